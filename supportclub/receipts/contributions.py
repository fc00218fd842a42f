"""Which booked income can go on a receipt: money donations, dues, donations in kind, waivers.

A contribution is a booking line of the category "donation" (or "dues" where dues are
deductible) with a positive amount, on a booking that names the payer, is not a reversal and
has not been reversed. It is open while no receipt that is not revoked covers it. Everything
here is one SQL query; nothing loops over donors.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import aliased

from supportclub.donations.models import DonationDetail, DonationKind
from supportclub.extensions import db
from supportclub.ledger.models import Booking, BookingLine, Category, Person
from supportclub.receipts.content import ContributionKind
from supportclub.receipts.models import ReceiptItem

DONATION = "donation"
DUES = "dues"


@dataclass(frozen=True)
class Contribution:
    """One receiptable booking line."""

    line_id: int
    booking_id: int
    person_id: int
    date: date
    kind: ContributionKind
    in_kind: bool
    waiver: bool
    amount_cents: int
    text: str


def receipt_categories(dues_deductible: bool) -> tuple[str, ...]:
    """The category codes a receipt may cover."""
    return (DONATION, DUES) if dues_deductible else (DONATION,)


def _reversed():
    """SQL: the booking has been reversed."""
    reversal = aliased(Booking)
    return exists().where(reversal.reversal_of_id == Booking.id)


def receipted():
    """SQL: the booking line is on a receipt that is not revoked."""
    return exists().where(ReceiptItem.booking_line_id == BookingLine.id, ~ReceiptItem.revoked)


def contribution_conditions(dues_deductible: bool) -> list:
    """The WHERE conditions of a receiptable line (open or not)."""
    return [
        Category.code.in_(receipt_categories(dues_deductible)),
        BookingLine.amount_cents > 0,
        Booking.person_id.is_not(None),
        Booking.reversal_of_id.is_(None),
        ~_reversed(),
    ]


def contribution_select():
    """The columns of a Contribution."""
    return (
        select(
            BookingLine.id,
            Booking.id,
            Booking.person_id,
            Booking.booking_date,
            Category.code,
            DonationDetail.kind,
            BookingLine.amount_cents,
            BookingLine.text,
            Booking.text,
        )
        .join(Booking, Booking.id == BookingLine.booking_id)
        .join(Category, Category.id == BookingLine.category_id)
        .outerjoin(DonationDetail, DonationDetail.booking_line_id == BookingLine.id)
    )


def contribution_from_row(row) -> Contribution:
    """A Contribution from a row of `contribution_select`."""
    line_id, booking_id, person_id, day, code, detail, cents, line_text, booking_text = row
    return Contribution(
        line_id=line_id,
        booking_id=booking_id,
        person_id=person_id,
        date=day,
        kind=ContributionKind.DUES if code == DUES else ContributionKind.DONATION,
        in_kind=detail == DonationKind.IN_KIND,
        waiver=detail == DonationKind.WAIVER,
        amount_cents=cents,
        text=line_text or booking_text or "",
    )


def open_contributions(
    person_id: int, start: date, end: date, *, dues_deductible: bool
) -> list[Contribution]:
    """The person's contributions in [start, end] that no receipt covers yet, by date."""
    stmt = (
        contribution_select()
        .where(
            Booking.person_id == person_id,
            Booking.booking_date.between(start, end),
            *contribution_conditions(dues_deductible),
            ~receipted(),
        )
        .order_by(Booking.booking_date, BookingLine.id)
    )
    return [contribution_from_row(row) for row in db.session.execute(stmt)]


def contributions_by_id(line_ids: list[int]) -> dict[int, Contribution]:
    """The given booking lines as contributions, if they are booked income (else absent)."""
    stmt = contribution_select().where(
        BookingLine.id.in_(line_ids),
        BookingLine.amount_cents > 0,
        Category.code.in_((DONATION, DUES)),
        Booking.reversal_of_id.is_(None),
        ~_reversed(),
    )
    return {row[0]: contribution_from_row(row) for row in db.session.execute(stmt)}


def line_receipt_numbers(line_ids: list[int]) -> dict[int, str]:
    """For each given line on a receipt that is not revoked: that receipt's number."""
    from supportclub.receipts.models import DonationReceipt

    stmt = (
        select(ReceiptItem.booking_line_id, DonationReceipt.number)
        .join(DonationReceipt, DonationReceipt.id == ReceiptItem.receipt_id)
        .where(ReceiptItem.booking_line_id.in_(line_ids), ~ReceiptItem.revoked)
    )
    return dict(db.session.execute(stmt).all())


@dataclass(frozen=True)
class DonorYear:
    """A donor's open contributions in a year, summed (the year's batch plans from this)."""

    person_id: int
    name: str
    has_address: bool
    email: str | None
    money_count: int
    money_cents: int
    waiver_count: int
    in_kind_count: int
    in_kind_cents: int
    receipted_count: int  # contributions of the year already on a receipt


def donors_of_year(year: int, *, dues_deductible: bool) -> list[DonorYear]:
    """Every payer with receiptable contributions in `year`, one aggregate query, by name."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    is_open = ~receipted()
    is_in_kind = DonationDetail.kind == DonationKind.IN_KIND
    money_open = and_(is_open, ~func.coalesce(is_in_kind, False))

    def count_if(condition):
        return func.sum(case((condition, 1), else_=0))

    def sum_if(condition):
        return func.sum(case((condition, BookingLine.amount_cents), else_=0))

    stmt = (
        select(
            Booking.person_id,
            Person.kind,
            Person.first_name,
            Person.last_name,
            Person.street,
            Person.postal_code,
            Person.city,
            Person.email,
            count_if(money_open),
            sum_if(money_open),
            count_if(and_(money_open, DonationDetail.kind == DonationKind.WAIVER)),
            count_if(and_(is_open, is_in_kind)),
            sum_if(and_(is_open, is_in_kind)),
            count_if(~is_open),
        )
        .select_from(BookingLine)
        .join(Booking, Booking.id == BookingLine.booking_id)
        .join(Category, Category.id == BookingLine.category_id)
        .join(Person, Person.id == Booking.person_id)
        .outerjoin(DonationDetail, DonationDetail.booking_line_id == BookingLine.id)
        .where(Booking.booking_date.between(start, end), *contribution_conditions(dues_deductible))
        .group_by(
            Booking.person_id,
            Person.kind,
            Person.first_name,
            Person.last_name,
            Person.street,
            Person.postal_code,
            Person.city,
            Person.email,
        )
        .order_by(Person.last_name, Person.first_name, Booking.person_id)
    )
    donors = []
    for row in db.session.execute(stmt):
        (person_id, kind, first, last, street, postal_code, city, email, *numbers) = row
        person = Person(kind=kind, first_name=first or "", last_name=last)
        donors.append(
            DonorYear(
                person_id=person_id,
                name=person.display_name,
                has_address=bool(street and postal_code and city),
                email=email or None,
                money_count=int(numbers[0] or 0),
                money_cents=int(numbers[1] or 0),
                waiver_count=int(numbers[2] or 0),
                in_kind_count=int(numbers[3] or 0),
                in_kind_cents=int(numbers[4] or 0),
                receipted_count=int(numbers[5] or 0),
            )
        )
    return donors
