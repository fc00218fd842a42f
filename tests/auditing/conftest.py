"""A known year 2025 to export: bookings (one reversed), a dues claim partly paid, a receipt with
its stored PDF, a grant, audit entries on both sides of the year's edges."""

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from supportclub import audit
from supportclub.extensions import db
from supportclub.ledger.models import Account, Category, Channel, Fund
from supportclub.ledger.services import LineInput, record_booking, reverse_booking
from tests.factories import (
    by_code,
    donation_line,
    make_booking,
    make_claim,
    make_contribution,
    make_grant,
    make_member,
    make_person,
    make_receipt_settings,
)

YEAR = 2025


@dataclass
class YearData:
    """The ids and values the export tests assert on."""

    dues_booking: int
    donation_booking: int
    expense_booking: int
    wrong_booking: int
    reversal_booking: int
    cash_booking: int
    claim_id: int
    member_number: int
    receipt_number: str
    receipt_sha256: str
    receipt_key: str
    audit_in_year: list[int]
    audit_outside: list[int]


def pay_claim(person, claim, cents: int, day: date):
    """A bank booking paying `cents` of a dues claim."""
    return record_booking(
        booking_date=day,
        account_id=by_code(Account, "bank").id,
        amount_cents=cents,
        lines=[
            LineInput(
                by_code(Category, "dues").id,
                by_code(Fund, "general").id,
                cents,
                dues_claim_id=claim.id,
            )
        ],
        actor=None,
        person_id=person.id,
        text="Beitrag 2025",
        channel=Channel.BANK,
        external_ref="KTO-2025-0001",
    )


def dated_entry(action: str, when: datetime) -> int:
    """An audit entry with a given time (the chain takes it as it is)."""
    entry = audit.record(None, action, None, {"when": when.isoformat()})
    entry.created_at = when
    db.session.flush()
    return entry.id


@pytest.fixture
def year_data(db) -> YearData:
    """The year 2025 described in the module docstring, committed."""
    from supportclub.receipts import services as receipts

    make_receipt_settings()
    make_booking(10000, booking_date=date(2024, 6, 1), text="Spende Vorjahr")
    member = make_member(first_name="Max", last_name="Mitglied")
    claim = make_claim(member, YEAR)
    dues = pay_claim(member, claim, 1000, date(YEAR, 2, 1))
    donor = make_person(first_name="Carla", last_name="Spenderin")
    donation = make_contribution(donor, 12345, booking_date=date(YEAR, 3, 1))
    expense = make_booking(
        -2500, category="admin_cost", booking_date=date(YEAR, 4, 2), text="=Porto"
    )
    wrong = make_booking(777, booking_date=date(YEAR, 5, 5), text="Irrtum")
    reversal = reverse_booking(wrong, "Doppelt erfasst", actor=None, reversal_date=date(YEAR, 5, 6))
    cash = make_booking(
        5000, account="cash", category="sales", booking_date=date(YEAR, 7, 1), text="Kuchenverkauf"
    )
    make_booking(999, booking_date=date(YEAR + 1, 1, 10), text="Nächstes Jahr")
    make_grant(amount_cents=10000, resolution_date=date(YEAR, 3, 1))
    receipt = receipts.issue_single(donation_line(donation).id, actor=None)
    inside = [
        # 00:30 on 1 January in Jena is still 2024 in UTC
        dated_entry("test.new_year", datetime(YEAR - 1, 12, 31, 23, 30, tzinfo=UTC)),
        dated_entry("test.summer", datetime(YEAR, 6, 1, 12, 0, tzinfo=UTC)),
    ]
    outside = [
        dated_entry("test.old", datetime(YEAR - 1, 12, 31, 22, 59, tzinfo=UTC)),
        dated_entry("test.next", datetime(YEAR, 12, 31, 23, 0, tzinfo=UTC)),
    ]
    data = YearData(
        dues_booking=dues.id,
        donation_booking=donation.id,
        expense_booking=expense.id,
        wrong_booking=wrong.id,
        reversal_booking=reversal.id,
        cash_booking=cash.id,
        claim_id=claim.id,
        member_number=member.member_number,
        receipt_number=receipt.number,
        receipt_sha256=receipt.pdf_sha256,
        receipt_key=receipt.storage_key,
        audit_in_year=inside,
        audit_outside=outside,
    )
    db.session.commit()
    return data


def open_zip(payload) -> zipfile.ZipFile:
    """A ZIP from a path or bytes."""
    if isinstance(payload, bytes):
        payload = io.BytesIO(payload)
    return zipfile.ZipFile(payload)


def read_csv(archive: zipfile.ZipFile, name: str) -> list[list[str]]:
    """A CSV member's rows, header first (checks the BOM and the separator)."""
    raw = archive.read(name)
    assert raw.startswith("\ufeff".encode())
    text = raw.decode("utf-8-sig")
    assert "\r\n" in text
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
