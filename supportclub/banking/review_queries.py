"""Reading the review queue: filtered lines in pages, counts per kind, the claim years and the
choices of the correction form. A constant number of queries per page, paging in SQL."""

from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from supportclub.banking.models import LineState, MatchKind, StatementLine
from supportclub.banking.suggestion import Suggestion
from supportclub.dues.models import DuesClaim
from supportclub.extensions import db

PAGE_SIZE = 100


@dataclass
class ReviewFilter:
    """What the review queue shows."""

    import_id: int | None = None
    kind: MatchKind | None = None
    status: LineState = LineState.OPEN
    search: str = ""


def _filtered(flt: ReviewFilter, *, with_kind: bool = True) -> Select:
    """Lines of the filter (no order, no paging)."""
    query = select(StatementLine).where(StatementLine.state == flt.status)
    if flt.import_id:
        query = query.where(StatementLine.import_id == flt.import_id)
    if with_kind and flt.kind is not None:
        query = query.where(StatementLine.match_kind == flt.kind)
    if flt.search:
        text = flt.search.strip().lower()
        pattern = f"%{text}%"
        iban = "".join(flt.search.split()).upper()
        query = query.where(
            or_(
                func.lower(StatementLine.counterparty_name).like(pattern),
                func.lower(StatementLine.purpose).like(pattern),
                StatementLine.counterparty_iban.like(f"%{iban}%"),
            )
        )
    return query


def kind_counts(flt: ReviewFilter) -> dict[MatchKind, int]:
    """Number of lines per kind for the filter (ignoring its kind): one GROUP BY."""
    sub = _filtered(flt, with_kind=False).subquery()
    rows = db.session.execute(select(sub.c.match_kind, func.count()).group_by(sub.c.match_kind))
    return {MatchKind(kind): count for kind, count in rows}


def pages_of(total: int, page: int) -> tuple[int, int]:
    """(page, pages): the page clamped to what exists."""
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return min(max(page, 1), pages), pages


def page_lines(flt: ReviewFilter, page: int) -> list[StatementLine]:
    """One page of lines, by date, with the suggested person loaded."""
    query = (
        _filtered(flt)
        .options(selectinload(StatementLine.match_person))
        .order_by(StatementLine.booking_date, StatementLine.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    return list(db.session.execute(query).scalars())


def bookable_lines(flt: ReviewFilter) -> list[StatementLine]:
    """Every open line of the filter whose suggestion can be confirmed."""
    open_flt = ReviewFilter(flt.import_id, flt.kind, LineState.OPEN, flt.search)
    query = _filtered(open_flt).where(StatementLine.match_kind != MatchKind.NONE)
    lines = db.session.execute(query.order_by(StatementLine.id)).scalars()
    return [line for line in lines if Suggestion.of(line).is_bookable]


def open_lines() -> list[StatementLine]:
    """All open lines (for recomputing the suggestions)."""
    query = select(StatementLine).where(StatementLine.state == LineState.OPEN)
    return list(db.session.execute(query.order_by(StatementLine.id)).scalars())


def claim_years(lines: list[StatementLine]) -> dict[int, int]:
    """The years of every claim the lines' suggestions name: one query."""
    ids = {c for line in lines for c, _cents in Suggestion.of(line).claims}
    if not ids:
        return {}
    rows = db.session.execute(select(DuesClaim.id, DuesClaim.year).where(DuesClaim.id.in_(ids)))
    return dict(rows.all())


def lines_by_id(ids: list[int]) -> list[StatementLine]:
    """The lines with these ids."""
    if not ids:
        return []
    query = select(StatementLine).where(StatementLine.id.in_(ids))
    return list(db.session.execute(query.order_by(StatementLine.id)).scalars())


def form_choices() -> dict:
    """Funds, projects, campaigns and categories the correction form offers."""
    from supportclub.campaigns.models import Campaign
    from supportclub.ledger.models import Category, Fund
    from supportclub.projects.models import Project

    funds = db.session.execute(
        select(Fund).where(Fund.is_active.is_(True)).order_by(Fund.is_earmarked, Fund.name)
    ).scalars()
    projects = db.session.execute(select(Project).order_by(Project.title, Project.id)).scalars()
    campaigns = db.session.execute(
        select(Campaign).order_by(Campaign.year.desc(), Campaign.name).limit(200)
    ).scalars()
    categories = db.session.execute(
        select(Category)
        .where(Category.is_active.is_(True), Category.direction != 0)
        .order_by(Category.sort_order, Category.name)
    ).scalars()
    return {
        "funds": list(funds),
        "projects": list(projects),
        "campaigns": list(campaigns),
        "categories": list(categories),
    }
