"""Read side of the project pages: the filtered list with totals, a project's bookings and files.

Every function issues a fixed number of statements, however many projects or bookings exist:
the list and its totals aggregate in SQL over the same sums subquery the free-money rule uses.
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, extract, func, or_, select
from sqlalchemy.orm import joinedload

from supportclub.auth.models import User
from supportclub.extensions import db
from supportclub.ledger.models import Booking, BookingLine, Category, Person
from supportclub.projects.models import (
    Project,
    ProjectDocument,
    ProjectStage,
    ProjectStatus,
)
from supportclub.projects.queries import ProjectSums, _sums_select

PER_PAGE = 50
MAX_QUERY_CHARS = 100


@dataclass(frozen=True)
class ProjectFilter:
    """What the project list shows: a stage, a year of application, a search text."""

    stage: ProjectStage | None = None
    year: int | None = None
    query: str = ""


@dataclass(frozen=True)
class ProjectRow:
    """A project in the list with its sums."""

    project: Project
    sums: ProjectSums


@dataclass(frozen=True)
class ListTotals:
    """Count and sums over the whole filtered set (not only the page)."""

    count: int
    requested_cents: int
    approved_cents: int
    paid_cents: int
    fund_cents: int


def _escape_like(text: str) -> str:
    """Let % and _ typed by the user match themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _stage_condition(stage: ProjectStage, status, approved, paid):
    """SQL condition for a stage: the stored status, refined by what was paid."""
    if stage == ProjectStage.APPROVED:
        return and_(status == ProjectStatus.APPROVED, paid <= 0)
    if stage == ProjectStage.PARTLY_PAID:
        return and_(status == ProjectStatus.APPROVED, paid > 0, paid < approved)
    if stage == ProjectStage.PAID:
        return and_(status == ProjectStatus.APPROVED, paid > 0, paid >= approved)
    return status == ProjectStatus(stage.value)


def _filtered(flt: ProjectFilter):
    """(sums subquery, conditions) for a filter: one row per matching project."""
    sums = _sums_select().subquery()
    pid, status, approved, paid, _fund = sums.c
    conditions = []
    if flt.stage is not None:
        conditions.append(_stage_condition(flt.stage, status, approved, paid))
    if flt.year is not None:
        conditions.append(extract("year", Project.applied_on) == flt.year)
    words = (flt.query or "").strip().lower()[:MAX_QUERY_CHARS].split()
    for word in words[:5]:
        pattern = f"%{_escape_like(word)}%"
        conditions.append(
            or_(
                func.lower(Project.title).like(pattern, escape="\\"),
                func.lower(Person.last_name).like(pattern, escape="\\"),
                func.lower(Person.first_name).like(pattern, escape="\\"),
                func.lower(Project.contact_name).like(pattern, escape="\\"),
            )
        )
    return sums, conditions


def list_totals(flt: ProjectFilter) -> ListTotals:
    """How many projects match, and their requested, approved, paid and fund sums (one query)."""
    sums, conditions = _filtered(flt)
    _pid, _status, approved, paid, fund = sums.c
    row = db.session.execute(
        select(
            func.count(Project.id),
            func.coalesce(func.sum(Project.requested_cents), 0),
            func.coalesce(func.sum(approved), 0),
            func.coalesce(func.sum(paid), 0),
            func.coalesce(func.sum(fund), 0),
        )
        .select_from(Project)
        .join(sums, sums.c[0] == Project.id)
        .join(Person, Person.id == Project.applicant_id)
        .where(*conditions)
    ).one()
    return ListTotals(*(int(value) for value in row))


def list_projects(flt: ProjectFilter, *, page: int, per_page: int = PER_PAGE) -> list[ProjectRow]:
    """One page of matching projects, newest application first, with their sums (one query)."""
    sums, conditions = _filtered(flt)
    _pid, status, approved, paid, fund = sums.c
    rows = db.session.execute(
        select(Project, status, approved, paid, fund)
        .join(sums, sums.c[0] == Project.id)
        .join(Person, Person.id == Project.applicant_id)
        .where(*conditions)
        .options(joinedload(Project.applicant))
        .order_by(Project.applied_on.desc(), Project.id.desc())
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    )
    return [
        ProjectRow(project, ProjectSums(ProjectStatus(s), int(a), int(p), int(f)))
        for project, s, a, p, f in rows
    ]


def application_years() -> list[int]:
    """Years in which projects applied, newest first."""
    year = extract("year", Project.applied_on)
    rows = db.session.execute(select(year).distinct().order_by(year.desc())).scalars()
    return [int(y) for y in rows]


@dataclass(frozen=True)
class ProjectBookingLine:
    """A booking line that concerns a project: on its fund, or a payout naming it."""

    booking_id: int
    booking_date: date
    category_code: str
    category_name: str
    text: str
    amount_cents: int  # as booked on the line (negative for payouts and releases)
    is_reversal: bool
    on_project_fund: bool


def project_bookings(project: Project) -> list[ProjectBookingLine]:
    """Lines on the project's fund, plus lines naming it elsewhere except allocation mirrors."""
    allocation = select(Category.id).where(Category.code == "allocation").scalar_subquery()
    rows = db.session.execute(
        select(BookingLine, Booking.booking_date, Booking.reversal_of_id, Booking.text, Category)
        .join(Booking, Booking.id == BookingLine.booking_id)
        .join(Category, Category.id == BookingLine.category_id)
        .where(
            or_(
                BookingLine.fund_id == project.fund_id,
                and_(
                    BookingLine.project_id == project.id,
                    BookingLine.category_id != allocation,
                ),
            )
        )
        .order_by(Booking.booking_date, Booking.id, BookingLine.id)
    )
    return [
        ProjectBookingLine(
            booking_id=line.booking_id,
            booking_date=booking_date,
            category_code=category.code,
            category_name=category.name,
            text=line.text or booking_text,
            amount_cents=line.amount_cents,
            is_reversal=reversal_of is not None,
            on_project_fund=line.fund_id == project.fund_id,
        )
        for line, booking_date, reversal_of, booking_text, category in rows
    ]


@dataclass(frozen=True)
class DocumentRow:
    """A document with the e-mail of whoever uploaded it."""

    document: ProjectDocument
    uploaded_by: str
    uploaded_at: datetime


def project_documents(project: Project) -> list[DocumentRow]:
    """The project's documents, oldest first, with their uploader (one query)."""
    rows = db.session.execute(
        select(ProjectDocument, User.email)
        .outerjoin(User, User.id == ProjectDocument.uploaded_by_id)
        .where(ProjectDocument.project_id == project.id)
        .order_by(ProjectDocument.uploaded_at, ProjectDocument.id)
    )
    return [DocumentRow(doc, email or "System", doc.uploaded_at) for doc, email in rows]
