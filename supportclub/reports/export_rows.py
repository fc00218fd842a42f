"""The rows of the exports: plain column tuples read in chunks, never ORM objects.

Each `*_rows(date_from, date_to)` yields lists of cell values (text, int, date or `Cents`) in the
order of its COLUMNS; `exports.py` writes them as CSV or Excel.
"""

from collections.abc import Iterator
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from supportclub.campaigns.models import Campaign
from supportclub.donations.labels import KIND_LABELS
from supportclub.donations.models import DonationDetail, DonationKind
from supportclub.extensions import db
from supportclub.i18n import N_, _
from supportclub.ledger.labels import SPHERE_LABELS
from supportclub.ledger.models import (
    Account,
    Booking,
    BookingLine,
    Category,
    Fund,
    Person,
    TaxSphere,
    display_name_of,
)
from supportclub.projects import queries as pq
from supportclub.projects.labels import STAGE_LABELS
from supportclub.projects.models import Grant, Project
from supportclub.tables import Cents

CHUNK = 2000

BOOKINGS_TITLE = N_("Buchungen")
DONATIONS_TITLE = N_("Spenden")
GRANTS_TITLE = N_("Förderungen")

# (msgid, Excel column width)
BOOKING_COLUMNS = (
    (N_("Datum"), 11),
    (N_("Buchung"), 9),
    (N_("Konto"), 16),
    (N_("Person"), 26),
    (N_("Buchungstext"), 32),
    (N_("Positionstext"), 24),
    (N_("Kategorie"), 28),
    (N_("Sphäre"), 26),
    (N_("Fonds"), 22),
    (N_("Aktion"), 22),
    (N_("Projekt"), 24),
    (N_("Betrag"), 13),
    (N_("Storno von Buchung"), 10),
)
DONATION_COLUMNS = (
    (N_("Datum"), 11),
    (N_("Buchung"), 9),
    (N_("Spender"), 26),
    (N_("Straße"), 24),
    (N_("PLZ"), 8),
    (N_("Ort"), 18),
    (N_("Art"), 16),
    (N_("Fonds / Projekt"), 26),
    (N_("Betrag"), 13),
    (N_("Text"), 32),
    (N_("Storno von Buchung"), 10),
)
GRANT_COLUMNS = (
    (N_("Projekt"), 30),
    (N_("Antragsteller"), 28),
    (N_("Beschluss vom"), 12),
    (N_("Bewilligt"), 13),
    (N_("Ausgezahlt"), 13),
    (N_("Status"), 22),
)
REVERSAL = N_("Storno")


def person_name(kind, first_name: str | None, last_name: str | None) -> str:
    """ "Müller, Anna", an organisation's name, or "" without a person."""
    if last_name is None:
        return ""
    return display_name_of(kind, first_name, last_name)


def _in_period(date_from: date, date_to: date) -> list:
    """WHERE conditions for bookings dated inside the period."""
    return [Booking.booking_date >= date_from, Booking.booking_date <= date_to]


def _stream(stmt) -> Iterator:
    """The rows of `stmt`, fetched in chunks."""
    yield from db.session.execute(stmt.execution_options(yield_per=CHUNK))


def booking_rows(date_from: date, date_to: date) -> Iterator[list]:
    """One row per booking line in the period, oldest first."""
    stmt = (
        select(
            Booking.booking_date,
            Booking.id,
            Account.name,
            Person.kind,
            Person.first_name,
            Person.last_name,
            Booking.text,
            BookingLine.text,
            Category.name,
            Category.sphere,
            Fund.name,
            Campaign.name,
            Project.title,
            BookingLine.amount_cents,
            Booking.reversal_of_id,
        )  # fmt: skip
        .select_from(BookingLine)
        .join(Booking, BookingLine.booking_id == Booking.id)
        .join(Category, BookingLine.category_id == Category.id)
        .join(Fund, BookingLine.fund_id == Fund.id)
        .outerjoin(Account, Booking.account_id == Account.id)
        .outerjoin(Person, Booking.person_id == Person.id)
        .outerjoin(Campaign, BookingLine.campaign_id == Campaign.id)
        .outerjoin(Project, BookingLine.project_id == Project.id)
        .where(*_in_period(date_from, date_to))
        .order_by(Booking.booking_date, Booking.id, BookingLine.id)
    )
    spheres = {sphere: str(name) for sphere, name in SPHERE_LABELS.items()}
    for (day, bid, account, kind, first, last, text, line_text, category, sphere, fund,
         campaign, project, cents, reversal_of) in _stream(stmt):  # fmt: skip
        yield [
            day, bid, account or "", person_name(kind, first, last), text, line_text, category,
            spheres[TaxSphere(sphere)], fund, campaign or "", project or "", Cents(cents),
            reversal_of,
        ]  # fmt: skip


def donation_rows(date_from: date, date_to: date) -> Iterator[list]:
    """One row per donation line in the period (reversals included, marked), oldest first."""
    project = aliased(Project)
    stmt = (
        select(
            Booking.booking_date,
            Booking.id,
            Person.kind,
            Person.first_name,
            Person.last_name,
            Person.street,
            Person.postal_code,
            Person.city,
            DonationDetail.kind,
            Fund.name,
            project.title,
            BookingLine.amount_cents,
            Booking.text,
            BookingLine.text,
            Booking.reversal_of_id,
        )  # fmt: skip
        .select_from(BookingLine)
        .join(Booking, BookingLine.booking_id == Booking.id)
        .join(Category, BookingLine.category_id == Category.id)
        .join(Fund, BookingLine.fund_id == Fund.id)
        .outerjoin(project, project.fund_id == Fund.id)
        .outerjoin(Person, Booking.person_id == Person.id)
        .outerjoin(DonationDetail, DonationDetail.booking_line_id == BookingLine.id)
        .where(Category.code == "donation", *_in_period(date_from, date_to))
        .order_by(Booking.booking_date, Booking.id, BookingLine.id)
    )
    kinds = {kind: str(name) for kind, name in KIND_LABELS.items()}
    for (day, bid, pkind, first, last, street, postal_code, city, dkind, fund, title, cents,
         text, line_text, reversal_of) in _stream(stmt):  # fmt: skip
        if reversal_of is not None:
            kind = _(REVERSAL)
        else:
            kind = kinds[DonationKind(dkind) if dkind else DonationKind.MONEY]
        yield [
            day, bid, person_name(pkind, first, last), street or "", postal_code or "",
            city or "", kind, title or fund, Cents(cents), line_text or text, reversal_of,
        ]  # fmt: skip


def _approved_in(date_from: date, date_to: date):
    """project_id -> approvals (not revoked) resolved in the period, and the latest date."""
    return (
        select(
            Grant.project_id.label("project_id"),
            func.sum(Grant.amount_cents).label("approved"),
            func.max(Grant.resolution_date).label("resolved"),
        )
        .where(
            Grant.revoked_on.is_(None),
            Grant.resolution_date >= date_from,
            Grant.resolution_date <= date_to,
        )
        .group_by(Grant.project_id)
        .subquery()
    )


def _paid_in(date_from: date, date_to: date):
    """project_id -> payouts booked in the period (positive)."""
    return (
        select(
            BookingLine.project_id.label("project_id"),
            (-func.sum(BookingLine.amount_cents)).label("paid"),
        )
        .join(Booking, BookingLine.booking_id == Booking.id)
        .join(Category, BookingLine.category_id == Category.id)
        .where(
            BookingLine.project_id.is_not(None),
            Category.code == pq.PAYOUT_CATEGORY,
            *_in_period(date_from, date_to),
        )
        .group_by(BookingLine.project_id)
        .subquery()
    )


def grant_rows(date_from: date, date_to: date) -> Iterator[list]:
    """One row per project with an approval or a payout in the period, by title."""

    approved, paid = _approved_in(date_from, date_to), _paid_in(date_from, date_to)
    stmt = (
        select(
            Project.id,
            Project.title,
            Person.kind,
            Person.first_name,
            Person.last_name,
            approved.c.resolved,
            func.coalesce(approved.c.approved, 0),
            func.coalesce(paid.c.paid, 0),
        )  # fmt: skip
        .join(Person, Project.applicant_id == Person.id)
        .outerjoin(approved, approved.c.project_id == Project.id)
        .outerjoin(paid, paid.c.project_id == Project.id)
        .where((approved.c.project_id.is_not(None)) | (paid.c.project_id.is_not(None)))
        .order_by(Project.title, Project.id)
    )
    result = db.session.execute(stmt).all()
    sums = pq.project_sums([row[0] for row in result]) if result else {}
    for pid, title, kind, first, last, resolved, approved_cents, paid_cents in result:
        yield [
            title, person_name(kind, first, last), _as_date(resolved), Cents(int(approved_cents)),
            Cents(int(paid_cents)), str(STAGE_LABELS[sums[pid].stage]),
        ]  # fmt: skip


def _as_date(value) -> date | None:
    """max() of a date column: a date (PostgreSQL), ISO text (SQLite) or None."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
