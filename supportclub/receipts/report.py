"""The reconciliation of a year: receipted totals against booked donations and dues.

Per donor and in total: what was booked (receiptable contributions of the year whose booking
stands), what the valid receipts of the year confirm, and what is booked but not receipted. The
lists name every open contribution, any booking line on two valid receipts (the database makes
that impossible; the report proves it), and every valid receipt whose booking was reversed
afterwards (it must be revoked). A handful of aggregate queries, whatever the number of donors.
"""

from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import aliased

from supportclub.donations.models import DonationDetail, DonationKind
from supportclub.extensions import db
from supportclub.i18n import N_, _
from supportclub.ledger.models import Booking, BookingLine, Category, Person
from supportclub.receipts.content import ContributionKind
from supportclub.receipts.contributions import DUES, receipt_categories, receipted
from supportclub.receipts.models import DonationReceipt, ReceiptItem
from supportclub.tables import Cents, csv_bytes


@dataclass
class DonorRow:
    """One donor's year: booked, receipted, open, and receipts over reversed bookings."""

    person_id: int
    name: str = ""
    booked_cents: int = 0
    receipted_cents: int = 0
    open_cents: int = 0
    open_count: int = 0
    reversed_cents: int = 0  # on valid receipts although the booking was reversed
    receipts: int = 0

    @property
    def difference_cents(self) -> int:
        """Receipted minus (booked minus open): 0 when receipts and bookings agree."""
        return self.receipted_cents - (self.booked_cents - self.open_cents)


@dataclass(frozen=True)
class OpenLine:
    """A contribution booked in the year but on no valid receipt."""

    line_id: int
    booking_id: int
    date: date
    person_id: int
    name: str
    kind: ContributionKind
    in_kind: bool
    waiver: bool
    amount_cents: int


@dataclass(frozen=True)
class ReceiptedLine:
    """A contribution on a valid receipt that needs attention (twice, or reversed)."""

    line_id: int
    booking_id: int
    receipt_id: int
    number: str
    name: str
    amount_cents: int
    reversal_id: int | None = None


@dataclass
class Reconciliation:
    """The year's report."""

    year: int
    donors: list[DonorRow]
    open_lines: list[OpenLine]
    twice: list[ReceiptedLine]
    reversed: list[ReceiptedLine]
    total: DonorRow = field(default_factory=lambda: DonorRow(person_id=0))

    @property
    def ok(self) -> bool:
        """True when nothing is open, nothing receipted twice and no receipt over a reversal."""
        return not (self.open_lines or self.twice or self.reversed)


def _reversal():
    """An alias of Booking for the reversal of a booking."""
    return aliased(Booking)


def _booked(year: int, dues_deductible: bool) -> dict[int, DonorRow]:
    """Per payer: booked, receipted-of-booked, open and receipted-but-reversed cents."""
    reversal = _reversal()
    stands = reversal.id.is_(None)
    is_receipted = receipted()

    def total(condition):
        return func.coalesce(func.sum(case((condition, BookingLine.amount_cents), else_=0)), 0)

    stmt = (
        select(
            Booking.person_id,
            total(stands),
            total(and_(stands, ~is_receipted)),
            func.sum(case((and_(stands, ~is_receipted), 1), else_=0)),
            total(and_(~stands, is_receipted)),
        )
        .select_from(BookingLine)
        .join(Booking, Booking.id == BookingLine.booking_id)
        .join(Category, Category.id == BookingLine.category_id)
        .outerjoin(reversal, reversal.reversal_of_id == Booking.id)
        .where(
            Booking.booking_date.between(date(year, 1, 1), date(year, 12, 31)),
            Booking.person_id.is_not(None),
            Booking.reversal_of_id.is_(None),
            BookingLine.amount_cents > 0,
            or_(Category.code.in_(receipt_categories(dues_deductible)), is_receipted),
        )
        .group_by(Booking.person_id)
    )
    rows = {}
    for person_id, booked, open_cents, open_count, reversed_cents in db.session.execute(stmt):
        rows[person_id] = DonorRow(
            person_id=person_id,
            booked_cents=int(booked),
            open_cents=int(open_cents),
            open_count=int(open_count or 0),
            reversed_cents=int(reversed_cents),
        )
    return rows


def _receipted(year: int) -> list[tuple[int, int, int]]:
    """Per person: the valid receipts of the year and their total (person, count, cents)."""
    return list(
        db.session.execute(
            select(
                DonationReceipt.person_id,
                func.count(DonationReceipt.id),
                func.sum(DonationReceipt.total_cents),
            )
            .where(DonationReceipt.year == year, DonationReceipt.revoked_at.is_(None))
            .group_by(DonationReceipt.person_id)
        ).all()
    )


def _names(person_ids) -> dict[int, tuple[str, str]]:
    """(sort key, display name) of the persons (one query)."""
    if not person_ids:
        return {}
    persons = db.session.execute(select(Person).where(Person.id.in_(person_ids))).scalars()
    return {p.id: (f"{p.last_name} {p.first_name}".lower(), p.display_name) for p in persons}


def _open_lines(year: int, dues_deductible: bool) -> list[OpenLine]:
    """Every contribution of the year that stands and is on no valid receipt, by date."""
    reversal = _reversal()
    stmt = (
        select(
            BookingLine.id,
            Booking.id,
            Booking.booking_date,
            Booking.person_id,
            Category.code,
            DonationDetail.kind,
            BookingLine.amount_cents,
        )
        .join(Booking, Booking.id == BookingLine.booking_id)
        .join(Category, Category.id == BookingLine.category_id)
        .outerjoin(DonationDetail, DonationDetail.booking_line_id == BookingLine.id)
        .outerjoin(reversal, reversal.reversal_of_id == Booking.id)
        .where(
            Booking.booking_date.between(date(year, 1, 1), date(year, 12, 31)),
            Booking.person_id.is_not(None),
            Booking.reversal_of_id.is_(None),
            reversal.id.is_(None),
            BookingLine.amount_cents > 0,
            Category.code.in_(receipt_categories(dues_deductible)),
            ~receipted(),
        )
        .order_by(Booking.booking_date, BookingLine.id)
    )
    return [
        OpenLine(
            line_id=line_id,
            booking_id=booking_id,
            date=day,
            person_id=person_id,
            name="",
            kind=ContributionKind.DUES if code == DUES else ContributionKind.DONATION,
            in_kind=detail == DonationKind.IN_KIND,
            waiver=detail == DonationKind.WAIVER,
            amount_cents=cents,
        )
        for line_id, booking_id, day, person_id, code, detail, cents in db.session.execute(stmt)
    ]


def _item_select():
    """Valid receipt items with their booking, receipt and the booking's reversal."""
    reversal = _reversal()
    stmt = (
        select(
            ReceiptItem.booking_line_id,
            BookingLine.booking_id,
            DonationReceipt.id,
            DonationReceipt.number,
            DonationReceipt.donor_name,
            ReceiptItem.amount_cents,
            reversal.id,
        )
        .join(DonationReceipt, DonationReceipt.id == ReceiptItem.receipt_id)
        .join(BookingLine, BookingLine.id == ReceiptItem.booking_line_id)
        .outerjoin(reversal, reversal.reversal_of_id == BookingLine.booking_id)
        .where(~ReceiptItem.revoked, DonationReceipt.revoked_at.is_(None))
    )
    return stmt, reversal


def _receipted_lines(rows) -> list[ReceiptedLine]:
    """ReceiptedLine objects from rows of `_item_select`."""
    return [ReceiptedLine(*row) for row in rows]


def _twice(year: int) -> list[ReceiptedLine]:
    """Booking lines on more than one valid receipt (must be none)."""
    doubled = (
        select(ReceiptItem.booking_line_id)
        .join(DonationReceipt, DonationReceipt.id == ReceiptItem.receipt_id)
        .where(
            ~ReceiptItem.revoked,
            DonationReceipt.revoked_at.is_(None),
            DonationReceipt.year == year,
        )
        .group_by(ReceiptItem.booking_line_id)
        .having(func.count(ReceiptItem.id) > 1)
    )
    stmt, _reversal_alias = _item_select()
    stmt = stmt.where(ReceiptItem.booking_line_id.in_(doubled)).order_by(
        ReceiptItem.booking_line_id, DonationReceipt.number
    )
    return _receipted_lines(db.session.execute(stmt))


def _reversed(year: int) -> list[ReceiptedLine]:
    """Contributions on valid receipts of the year whose booking was reversed afterwards."""
    stmt, reversal = _item_select()
    stmt = stmt.where(DonationReceipt.year == year, reversal.id.is_not(None)).order_by(
        DonationReceipt.number, ReceiptItem.booking_line_id
    )
    return _receipted_lines(db.session.execute(stmt))


def reconcile(year: int, *, dues_deductible: bool) -> Reconciliation:
    """The year's report: per donor and in total, and the lists that need attention."""
    donors = _booked(year, dues_deductible)
    for person_id, count, cents in _receipted(year):
        row = donors.setdefault(person_id, DonorRow(person_id=person_id))
        row.receipts, row.receipted_cents = int(count), int(cents or 0)
    open_lines = _open_lines(year, dues_deductible)
    names = _names(set(donors) | {line.person_id for line in open_lines})
    for row in donors.values():
        row.name = names.get(row.person_id, ("", "?"))[1]
    open_lines = [
        replace(line, name=names.get(line.person_id, ("", "?"))[1]) for line in open_lines
    ]
    ordered = sorted(
        donors.values(), key=lambda r: (names.get(r.person_id, ("", ""))[0], r.person_id)
    )
    total = DonorRow(person_id=0)
    for row in ordered:
        for name in (
            "booked_cents",
            "receipted_cents",
            "open_cents",
            "open_count",
            "reversed_cents",
            "receipts",
        ):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    return Reconciliation(
        year=year,
        donors=ordered,
        open_lines=open_lines,
        twice=_twice(year),
        reversed=_reversed(year),
        total=total,
    )


CSV_COLUMNS = (
    N_("Personennummer"),
    N_("Zuwendender"),
    N_("Gebucht"),
    N_("Bestätigt"),
    N_("Nicht bestätigt"),
    N_("Offene Zuwendungen"),
    N_("Bestätigt, aber storniert gebucht"),
    N_("Bestätigungen"),
    N_("Differenz"),
)


def report_csv(report: Reconciliation) -> bytes:
    """The per-donor table and its total as CSV for Excel."""

    def values(row: DonorRow, person: int | str, name: str) -> list:
        return [
            person,
            name,
            Cents(row.booked_cents),
            Cents(row.receipted_cents),
            Cents(row.open_cents),
            row.open_count,
            Cents(row.reversed_cents),
            row.receipts,
            Cents(row.difference_cents),
        ]

    rows = [values(row, row.person_id, row.name) for row in report.donors]
    rows.append(values(report.total, "", _("Summe")))
    return csv_bytes(CSV_COLUMNS, rows)
