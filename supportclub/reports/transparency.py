"""The public transparency page: grants total, funded projects, campaign results.

Nothing personal leaves this module: projects show their applicant only when it is an
organisation (a private person's name is never selected from the database), and there is no
donor or member data at all.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select

from supportclub.extensions import db
from supportclub.ledger.models import Person, PersonKind
from supportclub.projects import queries as pq
from supportclub.projects.models import Grant, Project, ProjectStatus

# approved projects and those further along (paid out is derived from approved)
FUNDED = (ProjectStatus.APPROVED, ProjectStatus.PROOF_RECEIVED, ProjectStatus.CLOSED)


@dataclass(frozen=True)
class PublicProject:
    """A funded project as the public sees it."""

    title: str
    organisation: str  # empty for a private applicant
    approved_cents: int
    year: int  # of the first approval


@dataclass(frozen=True)
class PublicCampaign:
    """A campaign's net result."""

    name: str
    net_cents: int


@dataclass(frozen=True)
class TransparencyPage:
    """Everything the public page shows."""

    grants_total: pq.GrantsTotal
    projects: list[PublicProject]
    campaigns: list[tuple[int, list[PublicCampaign]]]  # by year, newest first


def public_projects() -> list[PublicProject]:
    """Public, approved projects with their approved sum and first approval, newest first."""
    grants = (
        select(
            Grant.project_id.label("project_id"),
            func.sum(Grant.amount_cents).label("approved"),
            func.min(Grant.resolution_date).label("first"),
        )
        .where(Grant.revoked_on.is_(None))
        .group_by(Grant.project_id)
        .subquery()
    )
    organisation = case((Person.kind == PersonKind.ORGANISATION, Person.last_name), else_="")
    rows = db.session.execute(
        select(Project.title, organisation, grants.c.approved, grants.c.first)
        .join(grants, grants.c.project_id == Project.id)
        .join(Person, Person.id == Project.applicant_id)
        .where(Project.is_public.is_(True), Project.status.in_(FUNDED))
        .order_by(grants.c.first.desc(), Project.title)
    )
    return [
        PublicProject(title, org or "", int(approved), _as_date(first).year)
        for title, org, approved, first in rows
    ]


def _as_date(value) -> date:
    """min() of a date column: a date (PostgreSQL) or ISO text (SQLite)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def campaign_results() -> list[tuple[int, list[PublicCampaign]]]:
    """Campaigns with bookings, their net result, grouped by year (newest first)."""
    from supportclub.campaigns.queries import campaigns_overview

    by_year: dict[int, list[PublicCampaign]] = {}
    for row in campaigns_overview():
        if not (row.revenue_cents or row.cost_cents):
            continue
        by_year.setdefault(row.campaign.year, []).append(
            PublicCampaign(row.campaign.name, row.net_cents)
        )
    return [
        (year, sorted(items, key=lambda c: c.name))
        for year, items in sorted(by_year.items(), reverse=True)
    ]


def transparency_page() -> TransparencyPage:
    """The grants total, funded projects and campaign results."""
    return TransparencyPage(pq.grants_total(), public_projects(), campaign_results())
