"""Receipts issued at the same moment: four treasurers start the year's batch at once, eight
issue single receipts for different donors at once, two issue one for the same donation. Numbers
stay unique and gap-free per year, and no booking line is on two receipts."""

import hashlib
from datetime import date

import pytest
from sqlalchemy import func, select

from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.ledger.models import Booking, BookingLine, Person
from supportclub.receipts import batch as batch_module
from supportclub.receipts import storage
from supportclub.receipts.batch import run_batch, start_batch
from supportclub.receipts.models import BatchStatus, DonationReceipt, ReceiptBatch, ReceiptItem
from supportclub.receipts.services import issue_single
from tests.concurrency.conftest import assert_audit_chain_intact, at_once, committed, message_of
from tests.factories import donation_line, make_contribution, make_person, make_receipt_settings

DONORS = 24


def donors(app, count: int, *, years=(2025,)) -> dict[int, list[int]]:
    """`count` donors with one to three donations per year (committed); {person: [line ids]}."""

    def make():
        make_receipt_settings()
        result = {}
        for n in range(count):
            person = make_person(first_name="Dora", last_name=f"Gleichzeitig{n:02d}")
            lines = []
            for year in years:
                for k in range(1 + n % 3):
                    booking = make_contribution(
                        person, 1000 + 10 * n + k, booking_date=date(year, 2 + k, 10)
                    )
                    lines.append(donation_line(booking).id)
            result[person.id] = lines
        return result

    return committed(app, make)


def numbers_of(year: int) -> list[int]:
    """The receipt numbers (seq) of a year, in order."""
    return list(
        db.session.scalars(
            select(DonationReceipt.seq).where(DonationReceipt.year == year).order_by("seq")
        )
    )


def assert_pdfs_stored() -> None:
    """Every receipt has its stored PDF, and the file is the one its hash names."""
    for receipt in db.session.scalars(select(DonationReceipt)):
        assert receipt.storage_key is not None, receipt.number
        data = storage.path_for(receipt.storage_key).read_bytes()
        assert hashlib.sha256(data).hexdigest() == receipt.pdf_sha256, receipt.number


def lines_covered() -> list[int]:
    """The booking lines on receipts that are not revoked (each must appear once)."""
    return list(
        db.session.scalars(
            select(ReceiptItem.booking_line_id).where(ReceiptItem.revoked.is_(False))
        )
    )


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of three donors, so two workers interleave many times."""
    monkeypatch.setattr(batch_module, "CHUNK_SIZE", 3)


def test_four_treasurers_start_the_years_batch_at_once(pg_app, small_chunks):
    lines = donors(pg_app, DONORS)

    def start_and_run():
        # what the page does: start (commit), then the worker runs the batch
        batch = start_batch(2025, None, send_mail=False)
        db.session.commit()
        ran = run_batch(batch.id)
        return batch.id, ran.status if ran is not None else None

    outcomes = at_once(pg_app, [start_and_run] * 4)
    started = [o for o in outcomes if isinstance(o, tuple)]
    refused = [o for o in outcomes if not isinstance(o, tuple)]
    # the settings row serialises the starts: one batch, the others see it running
    assert len(started) == 1, outcomes
    assert started[0][1] == BatchStatus.DONE
    for exc in refused:
        assert isinstance(exc, DomainError), repr(exc)
        assert message_of(exc).startswith(
            f"Für 2025 läuft bereits ein Lauf (Nr. {started[0][0]})."
        ), message_of(exc)

    def read():
        batches = db.session.scalars(select(ReceiptBatch)).all()
        assert len(batches) == 1
        batch = batches[0]
        assert (batch.issued, batch.done, batch.total) == (DONORS, DONORS, DONORS)
        assert numbers_of(2025) == list(range(1, DONORS + 1))
        covered = lines_covered()
        assert len(covered) == len(set(covered)) == sum(len(x) for x in lines.values())
        assert set(covered) == {line for x in lines.values() for line in x}
        totals = dict(
            db.session.execute(select(DonationReceipt.person_id, DonationReceipt.total_cents)).all()
        )
        expected = {
            person_id: db.session.scalar(
                select(func.sum(BookingLine.amount_cents)).where(BookingLine.id.in_(ids))
            )
            for person_id, ids in lines.items()
        }
        assert totals == expected
        assert_pdfs_stored()

    committed(pg_app, read)
    assert_audit_chain_intact(pg_app)


def test_a_second_batch_run_at_once_issues_nothing_extra(pg_app, small_chunks):
    lines = donors(pg_app, DONORS)

    def start():
        batch = start_batch(2025, None, send_mail=False)
        db.session.commit()
        return batch.id

    batch_id = committed(pg_app, start)
    # the page's worker and a second worker (another gunicorn process) at once
    outcomes = at_once(pg_app, [lambda: run_batch(batch_id) is not None] * 2)
    assert sorted(outcomes) == [False, True], outcomes  # the second found it running
    # once it is done, starting the year again plans nobody and issues nothing
    again = committed(pg_app, start)
    assert committed(pg_app, lambda: run_batch(again).issued) == 0

    def read():
        assert numbers_of(2025) == list(range(1, DONORS + 1))
        covered = lines_covered()
        assert len(covered) == len(set(covered)) == sum(len(x) for x in lines.values())
        assert db.session.get(ReceiptBatch, batch_id).issued == DONORS
        assert_pdfs_stored()

    committed(pg_app, read)


def test_eight_treasurers_issue_single_receipts_for_different_donors_at_once(pg_app):
    lines = donors(pg_app, 16, years=(2024, 2025))
    people = sorted(lines)

    def issue_for(thread: int):
        issued = []
        for person_id in people[thread::8]:  # two donors per thread
            for line_id in lines[person_id]:
                issued.append(issue_single(line_id, actor=None).number)
                db.session.commit()
        return issued

    outcomes = at_once(pg_app, [lambda t=t: issue_for(t) for t in range(8)])
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    numbers = [n for o in outcomes for n in o]
    total = sum(len(x) for x in lines.values())
    assert len(numbers) == len(set(numbers)) == total

    def read():
        per_year = total // 2
        assert numbers_of(2024) == list(range(1, per_year + 1))
        assert numbers_of(2025) == list(range(1, per_year + 1))
        covered = lines_covered()
        assert len(covered) == len(set(covered)) == total
        # each receipt is the donor's own donation, to the cent
        rows = db.session.execute(
            select(DonationReceipt.person_id, DonationReceipt.total_cents, BookingLine.amount_cents)
            .join(ReceiptItem, ReceiptItem.receipt_id == DonationReceipt.id)
            .join(BookingLine, BookingLine.id == ReceiptItem.booking_line_id)
            .join(Booking, Booking.id == BookingLine.booking_id)
            .where(Booking.person_id != DonationReceipt.person_id)
        ).all()
        assert rows == []
        assert db.session.scalar(select(func.count()).select_from(Person)) == 16
        assert_pdfs_stored()

    committed(pg_app, read)
    assert_audit_chain_intact(pg_app)


def test_two_treasurers_issue_a_receipt_for_the_same_donation_at_once(pg_app):
    lines = donors(pg_app, 1)
    (line_id,) = next(iter(lines.values()))

    outcomes = at_once(pg_app, [lambda: issue_single(line_id, actor=None).number] * 2)
    assert "2025-0001" in outcomes, outcomes
    (refused,) = [o for o in outcomes if o != "2025-0001"]
    assert isinstance(refused, DomainError), repr(refused)
    assert "bereits" in message_of(refused), message_of(refused)

    def read():
        assert numbers_of(2025) == [1]  # the refused one used no number
        assert lines_covered() == [line_id]

    committed(pg_app, read)
