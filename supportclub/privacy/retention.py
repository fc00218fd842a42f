"""How long what is kept about a person must be kept (§ 147 AO), summed in SQL.

Books and records (bookings, dues claims, receipt copies) are kept 10 years, booking documents 8,
business letters 6, each counted from the end of the calendar year. What is locked on erasure is
kept until the longest of them has run out: 31 December of (the year of the person's last
booking, receipt or claim + 10).
"""

from datetime import date

from sqlalchemy import Integer, cast, extract, func, select, union_all

from supportclub.dues.models import DuesClaim
from supportclub.extensions import db
from supportclub.ledger.models import Booking
from supportclub.members.models import Membership
from supportclub.receipts.models import DonationReceipt

BOOKS_YEARS = 10  # Bücher, Aufzeichnungen, Jahresabschlüsse (§ 147 Abs. 1 Nr. 1, Abs. 3 AO)
DOCUMENTS_YEARS = 8  # Buchungsbelege (§ 147 Abs. 1 Nr. 4, Abs. 3 AO)
LETTERS_YEARS = 6  # empfangene und versandte Geschäftsbriefe (§ 147 Abs. 1 Nr. 2, 3 AO)
MANDATE_MONTHS = 14  # SEPA rulebook: mandate evidence after the last collection


def _year(column):
    """The calendar year of a date column, as an integer on SQLite and PostgreSQL."""
    return cast(extract("year", column), Integer)


def record_years(*, with_membership_end: bool = False):
    """(person_id, year) of every record that ties the person to the books (a subquery).

    Bookings naming the person, receipts issued to them, and claims of their memberships; with
    `with_membership_end`, also the year each membership ended (for the candidates' list).
    """
    parts = [
        select(Booking.person_id.label("person_id"), _year(Booking.booking_date).label("year"))
        .where(Booking.person_id.is_not(None))
        .distinct(),
        select(
            DonationReceipt.person_id.label("person_id"),
            _year(DonationReceipt.issued_on).label("year"),
        ).distinct(),
        select(Membership.person_id.label("person_id"), DuesClaim.year.label("year"))
        .join(DuesClaim, DuesClaim.membership_id == Membership.id)
        .distinct(),
    ]
    if with_membership_end:
        parts.append(
            select(
                Membership.person_id.label("person_id"), _year(Membership.end_date).label("year")
            ).where(Membership.end_date.is_not(None))
        )
    return union_all(*parts).subquery("record_years")


def last_record_year(person_id: int) -> int | None:
    """The year of the person's last booking, receipt or claim (None: nothing to keep)."""
    years = record_years()
    return db.session.execute(
        select(func.max(years.c.year)).where(years.c.person_id == person_id)
    ).scalar()


def retain_until_for(last_year: int | None) -> date | None:
    """31 December of the year the 10-year retention of `last_year`'s records ends."""
    if last_year is None:
        return None
    return date(int(last_year) + BOOKS_YEARS, 12, 31)


def add_months(day: date, months: int) -> date:
    """`day` plus whole months (the last day of a shorter month when it has no such day)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover (28 always exists)
