"""Numbering a chunk of donors at once (the batch's fast path): the same receipts as one by one,
numbers in the given order, the same refusals, and a fixed number of statements per chunk."""

from datetime import date

import pytest
from sqlalchemy import func, select

from supportclub.audit import AuditEntry
from supportclub.errors import ValidationError
from supportclub.extensions import db
from supportclub.ledger.models import Person
from supportclub.receipts.bulk import allocate_collectives
from supportclub.receipts.content import ReceiptContent, ReceiptKind
from supportclub.receipts.models import ReceiptItem
from supportclub.receipts.services import allocate_collective
from tests.factories import (
    donation_line,
    make_contribution,
    make_person,
    make_receipt_settings,
)
from tests.ledger.test_query_counts import recorded_statements

ISSUED = date(2026, 1, 12)


def donors(count: int, start: int = 0) -> list:
    """`count` donors with two donations and their dues in 2025 each (committed)."""
    people = []
    for n in range(start, start + count):
        person = make_person(first_name="Bea", last_name=f"Bulk{n:03d}")
        make_contribution(person, 1000 + n, booking_date=date(2025, 2, 1))
        make_contribution(person, 2000, booking_date=date(2025, 9, 1))
        make_contribution(person, 3600, kind="dues", booking_date=date(2025, 1, 15))
        people.append(person)
    return people


def test_a_chunk_gets_what_one_by_one_would_give(app):
    make_receipt_settings()
    two = make_person(first_name="Zoe", last_name="Zwei")
    make_contribution(two, 5000, booking_date=date(2025, 3, 1))
    make_contribution(two, 2500, kind="waiver", booking_date=date(2025, 4, 1))
    one = make_person(first_name="Otto", last_name="Eins")
    make_contribution(one, 4000, booking_date=date(2025, 5, 1))
    thing = make_contribution(one, 9900, kind="in_kind", booking_date=date(2025, 6, 1))
    homeless = make_person(first_name="Olga", last_name="Ohne", street="")
    make_contribution(homeless, 1000, booking_date=date(2025, 5, 1))
    idle = make_person(first_name="Ida", last_name="Idle")

    result = allocate_collectives([two, one, homeless, idle], 2025, actor=None, issued_on=ISSUED)
    db.session.commit()

    first, second = result.receipts
    assert (first.number, first.kind, first.total_cents) == ("2025-0001", "collective", 7500)
    assert first.waiver and not first.facsimile
    assert [(i.amount_cents, i.waiver) for i in first.items] == [(5000, False), (2500, True)]
    content = ReceiptContent.from_json(first.content)
    assert (content.period_start, content.period_end) == (date(2025, 1, 1), date(2025, 12, 31))
    assert sum(item.amount_cents for item in content.items) == content.total_cents == 7500
    # one money gift: a single receipt; the thing in kind stays open for its own receipt
    assert (second.number, second.kind, second.total_cents) == ("2025-0002", "single", 4000)
    assert ReceiptContent.from_json(second.content).contribution_date == date(2025, 5, 1)
    assert not db.session.execute(
        select(ReceiptItem).where(ReceiptItem.booking_line_id == donation_line(thing).id)
    ).first()
    assert homeless.id in result.skipped and "Postanschrift" in result.skipped[homeless.id]
    assert result.nothing_open == {idle.id}
    audited = db.session.execute(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "receipts.issued")
    ).scalar_one()
    assert audited == 2

    # the same donors again: nothing open, no number used
    again = allocate_collectives([two, one], 2025, actor=None, issued_on=ISSUED)
    assert again.receipts == [] and again.nothing_open == {two.id, one.id}
    single = allocate_collective(make_donor_with_gift(), 2025, actor=None, issued_on=ISSUED)
    assert single.number == "2025-0003"


def make_donor_with_gift():
    """Another donor with one 2025 donation."""
    person = make_person(first_name="Nina", last_name="Nachzügler")
    make_contribution(person, 700, booking_date=date(2025, 8, 8))
    return person


def test_a_refused_chunk_writes_nothing_and_uses_no_number(app):
    make_receipt_settings(tax_number="")
    people = donors(3)
    with pytest.raises(ValidationError, match="Steuernummer"):
        allocate_collectives(people, 2025, actor=None, issued_on=ISSUED)
    db.session.rollback()
    make_receipt_settings()
    result = allocate_collectives(people, 2025, actor=None, issued_on=ISSUED)
    assert [r.number for r in result.receipts] == ["2025-0001", "2025-0002", "2025-0003"]
    assert all(r.kind == ReceiptKind.COLLECTIVE for r in result.receipts)


def test_statements_per_chunk_do_not_grow_with_its_size(app):
    make_receipt_settings()
    first, small, large = donors(2), donors(5, start=2), donors(25, start=7)

    def count(people) -> int:
        db.session.expire_all()
        people = (
            db.session.execute(
                select(Person).where(Person.id.in_([p.id for p in people])).order_by(Person.id)
            )
            .scalars()
            .all()
        )  # as the batch has them: loaded (and locked) in one query
        with recorded_statements(db.engine) as statements:
            allocate_collectives(people, 2025, actor=None, issued_on=ISSUED)
        db.session.commit()
        return len(statements)

    count(first)  # the year's number series starts here (two statements more)
    # 9 for the receipts themselves, plus 2 for the audit trail's chain head (lock and read)
    assert count(small) == count(large) <= 11
