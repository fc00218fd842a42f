"""Read side of projects and grants: what is approved, paid, committed and free, summed in SQL.

Definitions used everywhere (dashboard, approval check, transparency page):
- approved: the sum of a project's grants that are not revoked;
- paid: the sum of its grant payouts (booking lines of category "grant_payout" with its
  project_id; a reversed payout nets out);
- fund: the balance of its earmarked fund (earmarked donations, allocations, minus payouts);
- open commitment: approved minus paid, for projects that are neither closed nor rejected;
- uncovered: the part of the open commitment its own fund does not hold yet, which the general
  fund still has to supply;
- free money: the general fund's balance minus every project's uncovered commitment.
"""

from dataclasses import dataclass

from sqlalchemy import and_, case, func, select

from supportclub.extensions import db
from supportclub.ledger.models import Booking, BookingLine, Category, Fund
from supportclub.projects.models import Grant, Project, ProjectStage, ProjectStatus

PAYOUT_CATEGORY = "grant_payout"
# statuses in which earmarked donations may still reach a project
ACCEPTS_DONATIONS = (ProjectStatus.APPLIED, ProjectStatus.APPROVED)
# statuses whose unpaid approvals are commitments
COMMITTED = (ProjectStatus.APPROVED, ProjectStatus.PROOF_RECEIVED)


@dataclass(frozen=True)
class ProjectSums:
    """A project's money: approved, paid, its fund's balance; the rest is derived."""

    status: ProjectStatus
    approved_cents: int
    paid_cents: int
    fund_cents: int

    @property
    def open_cents(self) -> int:
        """Approved and not yet paid, while the project is committed (else 0)."""
        if self.status not in COMMITTED:
            return 0
        return max(self.approved_cents - self.paid_cents, 0)

    @property
    def uncovered_cents(self) -> int:
        """What the general fund still has to supply for the open commitment."""
        return max(self.open_cents - max(self.fund_cents, 0), 0)

    @property
    def stage(self) -> ProjectStage:
        """The lifecycle step a user sees, with "partly paid" and "paid" derived."""
        if self.status == ProjectStatus.APPROVED and self.paid_cents > 0:
            if self.paid_cents >= self.approved_cents:
                return ProjectStage.PAID
            return ProjectStage.PARTLY_PAID
        return ProjectStage(self.status.value)


def _payout_category_id():
    """Scalar subquery: the id of the grant payout category."""
    return select(Category.id).where(Category.code == PAYOUT_CATEGORY).scalar_subquery()


def _approved_subquery():
    """project_id -> sum of its grants that are not revoked."""
    return (
        select(Grant.project_id, func.sum(Grant.amount_cents).label("approved"))
        .where(Grant.revoked_on.is_(None))
        .group_by(Grant.project_id)
        .subquery()
    )


def _paid_subquery():
    """project_id -> sum of its payouts (positive)."""
    return (
        select(BookingLine.project_id, (-func.sum(BookingLine.amount_cents)).label("paid"))
        .where(
            BookingLine.project_id.is_not(None),
            BookingLine.category_id == _payout_category_id(),
        )
        .group_by(BookingLine.project_id)
        .subquery()
    )


def _fund_subquery():
    """fund_id -> balance, for the funds that belong to projects."""
    return (
        select(BookingLine.fund_id, func.sum(BookingLine.amount_cents).label("balance"))
        .where(BookingLine.fund_id.in_(select(Project.fund_id)))
        .group_by(BookingLine.fund_id)
        .subquery()
    )


def _sums_select(project_ids: list[int] | None = None):
    """SELECT project id, status, approved, paid, fund balance (one row per project)."""
    approved, paid, fund = _approved_subquery(), _paid_subquery(), _fund_subquery()
    stmt = (
        select(
            Project.id,
            Project.status,
            func.coalesce(approved.c.approved, 0),
            func.coalesce(paid.c.paid, 0),
            func.coalesce(fund.c.balance, 0),
        )
        .outerjoin(approved, approved.c.project_id == Project.id)
        .outerjoin(paid, paid.c.project_id == Project.id)
        .outerjoin(fund, fund.c.fund_id == Project.fund_id)
    )
    if project_ids is not None:
        stmt = stmt.where(Project.id.in_(project_ids))
    return stmt


def project_sums(project_ids: list[int] | None = None) -> dict[int, ProjectSums]:
    """Approved, paid and fund balance per project (all projects, or those given), one query."""
    if project_ids is not None and not project_ids:
        return {}
    rows = db.session.execute(_sums_select(project_ids))
    return {
        pid: ProjectSums(ProjectStatus(status), int(a), int(p), int(f))
        for pid, status, a, p, f in rows
    }


def sums_of(project: Project) -> ProjectSums:
    """The sums of one project."""
    return project_sums([project.id])[project.id]


@dataclass(frozen=True)
class FreeMoney:
    """The general fund, what it still owes to approved projects, and what is left."""

    general_cents: int
    commitments_cents: int

    @property
    def free_cents(self) -> int:
        """What the board may still give away (may be negative after an override)."""
        return self.general_cents - self.commitments_cents


def _general_balance():
    """Scalar subquery: the general fund's balance."""
    general = select(Fund.id).where(Fund.code == Fund.GENERAL).scalar_subquery()
    return (
        select(func.coalesce(func.sum(BookingLine.amount_cents), 0))
        .where(BookingLine.fund_id == general)
        .scalar_subquery()
    )


def free_money() -> FreeMoney:
    """General fund balance and the uncovered commitments of all projects, in one query."""
    sums = _sums_select().where(Project.status.in_(COMMITTED)).subquery()
    approved, paid, fund = (sums.c[name] for name in list(sums.c.keys())[2:5])
    open_ = case((approved > paid, approved - paid), else_=0)
    have = case((fund > 0, fund), else_=0)
    uncovered = case((open_ > have, open_ - have), else_=0)
    commitments = select(func.coalesce(func.sum(uncovered), 0)).scalar_subquery()
    general, owed = db.session.execute(select(_general_balance(), commitments)).one()
    return FreeMoney(int(general), int(owed))


def open_commitments_cents() -> int:
    """Approved minus paid over all committed projects (whoever's fund holds the money)."""
    sums = _sums_select().where(Project.status.in_(COMMITTED)).subquery()
    approved, paid = (sums.c[name] for name in list(sums.c.keys())[2:4])
    open_ = case((approved > paid, approved - paid), else_=0)
    return int(db.session.execute(select(func.coalesce(func.sum(open_), 0))).scalar_one())


@dataclass(frozen=True)
class ApprovalEffect:
    """What approving an amount would do to the free money."""

    free_cents: int  # free money now
    extra_cents: int  # how much more the general fund would owe the project afterwards

    @property
    def free_after_cents(self) -> int:
        """Free money after the approval (negative beyond the free money)."""
        return self.free_cents - self.extra_cents

    @property
    def over_cents(self) -> int:
        """How far the approval goes beyond the free money (needs an override when > 0)."""
        return max(self.extra_cents - max(self.free_cents, 0), 0)


def approval_effect(project: Project, amount_cents: int) -> ApprovalEffect:
    """Free money now, and what approving `amount_cents` more for `project` would take from it.

    The project's own fund covers its commitment first; only the rest is owed by the general
    fund.
    """
    before = sums_of(project)
    after_open = max(before.approved_cents + amount_cents - before.paid_cents, 0)
    after_uncovered = max(after_open - max(before.fund_cents, 0), 0)
    extra = after_uncovered - (before.uncovered_cents if project.status in COMMITTED else 0)
    return ApprovalEffect(free_money().free_cents, extra)


@dataclass(frozen=True)
class GrantYear:
    """Grants approved (by resolution year) and paid (by booking year) in one year."""

    year: int
    approved_cents: int
    paid_cents: int


def grants_by_year() -> list[GrantYear]:
    """Approvals and payouts per year, oldest first (two grouped queries)."""
    approved_year = func.extract("year", Grant.resolution_date)
    approved = db.session.execute(
        select(approved_year, func.sum(Grant.amount_cents))
        .where(Grant.revoked_on.is_(None))
        .group_by(approved_year)
    ).all()
    paid_year = func.extract("year", Booking.booking_date)
    paid = db.session.execute(
        select(paid_year, -func.sum(BookingLine.amount_cents))
        .join(Booking, BookingLine.booking_id == Booking.id)
        .where(
            BookingLine.project_id.is_not(None),
            BookingLine.category_id == _payout_category_id(),
        )
        .group_by(paid_year)
    ).all()
    years: dict[int, list[int]] = {}
    for year, cents in approved:
        years.setdefault(int(year), [0, 0])[0] = int(cents)
    for year, cents in paid:
        years.setdefault(int(year), [0, 0])[1] = int(cents)
    return [GrantYear(year, a, p) for year, (a, p) in sorted(years.items())]


@dataclass(frozen=True)
class GrantsTotal:
    """The running total of grants awarded since founding (the figure the association publishes)."""

    before_cents: int  # the opening figure from before the software
    approved_cents: int
    paid_cents: int

    @property
    def total_cents(self) -> int:
        """Opening figure plus every approval."""
        return self.before_cents + self.approved_cents


def grants_total() -> GrantsTotal:
    """Opening figure, all approvals and all payouts, in one query."""
    from supportclub.admin.models import AssociationSettings

    before = (
        select(AssociationSettings.grants_before_cents)
        .where(AssociationSettings.id == 1)
        .scalar_subquery()
    )
    approved = (
        select(func.coalesce(func.sum(Grant.amount_cents), 0))
        .where(Grant.revoked_on.is_(None))
        .scalar_subquery()
    )
    paid = (
        select(func.coalesce(-func.sum(BookingLine.amount_cents), 0))
        .where(
            BookingLine.project_id.is_not(None),
            BookingLine.category_id == _payout_category_id(),
        )
        .scalar_subquery()
    )
    row = db.session.execute(select(func.coalesce(before, 0), approved, paid)).one()
    return GrantsTotal(int(row[0]), int(row[1]), int(row[2]))


@dataclass(frozen=True)
class EarmarkRow:
    """A project with earmarked money or an open commitment."""

    project_id: int
    title: str
    status: ProjectStatus
    fund_cents: int
    approved_cents: int
    paid_cents: int

    @property
    def open_cents(self) -> int:
        """Approved and not yet paid (committed projects only)."""
        return ProjectSums(self.status, self.approved_cents, self.paid_cents, 0).open_cents


def earmarked_by_project() -> list[EarmarkRow]:
    """Projects whose fund holds money or who are still owed money, by title; one query."""
    sums = _sums_select().add_columns(Project.title).subquery()
    pid, status, approved, paid, fund, title = sums.c
    committed = and_(status.in_(COMMITTED), approved > paid)
    rows = db.session.execute(
        select(pid, title, status, fund, approved, paid)
        .where((fund != 0) | committed)
        .order_by(title, pid)
    )
    return [
        EarmarkRow(p, t, ProjectStatus(s), int(f), int(a), int(pd)) for p, t, s, f, a, pd in rows
    ]


def project_for_fund(fund_id: int | None) -> Project | None:
    """The project an earmarked fund belongs to (None for the general fund or others)."""
    if fund_id is None:
        return None
    return db.session.execute(select(Project).where(Project.fund_id == fund_id)).scalar()


def accepts_earmarked_donations(project: Project) -> bool:
    """True while earmarked donations may still go to the project (applied or approved)."""
    return project.status in ACCEPTS_DONATIONS


def projects_accepting_donations() -> list[Project]:
    """Projects an earmarked donation may name, by title (for select boxes)."""
    return list(
        db.session.execute(
            select(Project)
            .where(Project.status.in_(ACCEPTS_DONATIONS))
            .order_by(Project.title, Project.id)
        ).scalars()
    )
