"""The board's dashboard: every figure summed in SQL, in a constant number of queries.

One grouped query reads the whole book as (year, category, campaign) sums of income and
expense (the ledger's convention: a reversal counts against the side it cancels; neutral
categories, allocations and transfers, are neither). Everything per period, per source, per
sphere and per year is derived from those few hundred rows in Python. Grants, free and
earmarked money come from `supportclub.projects.queries`, the thresholds from one more query.

Closed years are frozen (no booking may be dated in or before the latest closed year), so their
sums are read once per process and kept (`_frozen_sums`), keyed by the database and the latest
closing; only the open years are summed on each request.
"""

import threading
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from sqlalchemy import extract, select

from supportclub.campaigns.models import Campaign
from supportclub.extensions import db
from supportclub.i18n import N_, _
from supportclub.ledger.models import Booking, BookingLine, Category, ClosedYear, TaxSphere
from supportclub.ledger.queries import _income_and_expense
from supportclub.projects import queries as pq
from supportclub.reports.taxes import (
    BusinessCheck,
    TimelyUse,
    business_checks,
    load_thresholds,
    timely_use,
)

DUES, DONATIONS, CAMPAIGN, OTHER = "dues", "donations", "campaign", "other"
SOURCE_LABELS = {
    DUES: N_("Mitgliedsbeiträge"),
    DONATIONS: N_("Spenden"),
    OTHER: N_("Sonstige"),
}
MORE_CAMPAIGNS = N_("Weitere Aktionen")
SERIES_IN_CHART = 4  # campaign series shown on their own in the chart; the rest are summed


@dataclass(frozen=True)
class LedgerRow:
    """Income and expense of one category (and campaign) in one year."""

    year: int
    code: str
    name: str
    sphere: TaxSphere
    direction: int
    sort_order: int
    campaign_id: int | None
    campaign_name: str | None
    campaign_series: str | None
    income_cents: int
    expense_cents: int


# (year, category id, campaign id, income, expense) per (database, latest closed year, closed at)
_FROZEN: dict[tuple, list[tuple]] = {}
_FROZEN_LOCK = threading.Lock()


def _sums(since: date | None = None, before: date | None = None) -> list[tuple]:
    """(year, category id, campaign id, income, expense) of the lines dated in [since, before)."""
    year = extract("year", Booking.booking_date)
    income, expense = _income_and_expense(BookingLine.amount_cents)
    stmt = (
        select(year, BookingLine.category_id, BookingLine.campaign_id, income, expense)
        .join(Booking, BookingLine.booking_id == Booking.id)
        .group_by(year, BookingLine.category_id, BookingLine.campaign_id)
    )
    if since is not None:
        stmt = stmt.where(Booking.booking_date >= since)
    if before is not None:
        stmt = stmt.where(Booking.booking_date < before)
    return [(int(y), c, k, int(i), int(e)) for y, c, k, i, e in db.session.execute(stmt)]


def _frozen_sums() -> tuple[list[tuple], date | None]:
    """The sums of the closed years (kept per process) and the first day after them."""
    latest = db.session.execute(
        select(ClosedYear.year, ClosedYear.closed_at).order_by(ClosedYear.year.desc()).limit(1)
    ).first()
    if latest is None:
        return [], None
    boundary = date(latest.year + 1, 1, 1)
    if not current_app.config.get("REPORT_CACHE_CLOSED_YEARS", True):
        return _sums(before=boundary), boundary
    key = (str(db.engine.url), latest.year, latest.closed_at.isoformat())
    rows = _FROZEN.get(key)
    if rows is None:
        rows = _sums(before=boundary)
        with _FROZEN_LOCK:
            _FROZEN.clear()  # one database per process: only the latest closing is worth keeping
            _FROZEN[key] = rows
    return rows, boundary


def _names() -> tuple[dict, dict]:
    """Categories and campaigns by id, with what a LedgerRow shows of them."""
    categories = {
        row[0]: row[1:]
        for row in db.session.execute(
            select(
                Category.id,
                Category.code,
                Category.name,
                Category.sphere,
                Category.direction,
                Category.sort_order,
            )
        )
    }
    campaigns = {
        row[0]: row[1:]
        for row in db.session.execute(select(Campaign.id, Campaign.name, Campaign.series))
    }
    return categories, campaigns


def ledger_rows() -> list[LedgerRow]:
    """The whole book summed by year, category and campaign: the closed years from the
    process's cache (names read fresh), the open years by one grouped query with the names."""
    frozen, boundary = _frozen_sums()
    rows = []
    if frozen:
        categories, campaigns = _names()
        for year, category_id, campaign_id, income, expense in frozen:
            code, name, sphere, direction, order = categories[category_id]
            campaign = campaigns.get(campaign_id)
            cname, cseries = campaign if campaign is not None else (None, None)
            rows.append(
                LedgerRow(
                    year,
                    code,
                    name,
                    TaxSphere(sphere),
                    int(direction),
                    int(order),
                    campaign_id if campaign is not None else None,
                    cname,
                    cseries,
                    income,
                    expense,
                )
            )
    year = extract("year", Booking.booking_date)
    income, expense = _income_and_expense(BookingLine.amount_cents)
    sums = (
        select(
            year.label("year"),
            BookingLine.category_id.label("category_id"),
            BookingLine.campaign_id.label("campaign_id"),
            income.label("income"),
            expense.label("expense"),
        )
        .join(Booking, BookingLine.booking_id == Booking.id)
        .group_by(year, BookingLine.category_id, BookingLine.campaign_id)
    )
    if boundary is not None:
        sums = sums.where(Booking.booking_date >= boundary)
    sums = sums.subquery()
    stmt = (
        select(
            sums.c.year,
            Category.code,
            Category.name,
            Category.sphere,
            Category.direction,
            Category.sort_order,
            Campaign.id,
            Campaign.name,
            Campaign.series,
            sums.c.income,
            sums.c.expense,
        )
        .join(Category, Category.id == sums.c.category_id)
        .outerjoin(Campaign, Campaign.id == sums.c.campaign_id)
    )
    rows += [
        LedgerRow(
            int(y),
            code,
            name,
            TaxSphere(sphere),
            int(d),
            int(o),
            cid,
            cname,
            cseries,
            int(i),
            int(e),
        )  # fmt: skip
        for y, code, name, sphere, d, o, cid, cname, cseries, i, e in db.session.execute(stmt)
    ]
    return rows


@dataclass(frozen=True)
class SourceRow:
    """Income from one source in the period: dues, donations, one campaign, or other."""

    kind: str
    cents: int
    campaign_id: int | None = None
    campaign_name: str | None = None

    @property
    def label(self) -> str:
        """The source as the board reads it (a campaign by its name)."""
        return self.campaign_name if self.kind == CAMPAIGN else _(SOURCE_LABELS[self.kind])


@dataclass(frozen=True)
class ExpenseRow:
    """Expenses of one category in the period (negative cents)."""

    code: str
    name: str
    sphere: TaxSphere
    cents: int


@dataclass(frozen=True)
class SphereRow:
    """Income and expense of one tax sphere in the period."""

    sphere: TaxSphere
    income_cents: int
    expense_cents: int

    @property
    def net_cents(self) -> int:
        """Income plus (negative) expense."""
        return self.income_cents + self.expense_cents


@dataclass(frozen=True)
class IncomeSeries:
    """Income per source per year, for the stacked chart and its table: labels x years."""

    years: list[int]
    labels: list[str]
    values: list[list[int]]  # one list per label, one value per year


@dataclass(frozen=True)
class Dashboard:
    """What the board sees for a year (or since founding, year None)."""

    year: int | None
    years: list[int]
    income: list[SourceRow]
    expenses: list[ExpenseRow]
    spheres: list[SphereRow]
    grants_approved_cents: int
    grants_paid_cents: int
    free: pq.FreeMoney
    earmarked: list[pq.EarmarkRow]
    open_commitments_cents: int
    grants_total: pq.GrantsTotal
    grant_years: list[pq.GrantYear]
    grants_cumulative: list[tuple[int, int]]
    business: list[BusinessCheck]
    timely: list[TimelyUse]
    income_series: IncomeSeries
    earmarked_cents: int = field(default=0)

    @property
    def income_cents(self) -> int:
        """All income of the period."""
        return sum(row.cents for row in self.income)

    @property
    def expense_cents(self) -> int:
        """All expenses of the period (negative)."""
        return sum(row.cents for row in self.expenses)

    @property
    def result_cents(self) -> int:
        """Income plus (negative) expenses."""
        return self.income_cents + self.expense_cents

    @property
    def business_year(self) -> BusinessCheck | None:
        """The § 64 check of the selected year (None for "since founding")."""
        return self._of_year(self.business)

    @property
    def timely_year(self) -> TimelyUse | None:
        """The timely-use figure of the selected year (None for "since founding")."""
        return self._of_year(self.timely)

    def _of_year(self, rows):
        """The row of the selected year (None for "since founding")."""
        if self.year is None:
            return None
        return next((row for row in rows if row.year == self.year), None)


def _source_of(row: LedgerRow) -> tuple[str, int | None]:
    """Where an income line comes from: its campaign, else dues, donations or other."""
    if row.campaign_id is not None:
        return CAMPAIGN, row.campaign_id
    if row.code == "dues":
        return DUES, None
    if row.code == "donation":
        return DONATIONS, None
    return OTHER, None


def income_by_source(rows: list[LedgerRow]) -> list[SourceRow]:
    """Income per source: dues, donations, each campaign (by name), other; empty ones left out."""
    totals: dict[tuple[str, int | None], int] = {}
    names: dict[int, str] = {}
    for row in rows:
        if row.direction == 0 or not row.income_cents:
            continue
        key = _source_of(row)
        totals[key] = totals.get(key, 0) + row.income_cents
        if row.campaign_id is not None:
            names[row.campaign_id] = row.campaign_name
    order = {DUES: 0, DONATIONS: 1, CAMPAIGN: 2, OTHER: 3}
    keys = sorted(totals, key=lambda k: (order[k[0]], names.get(k[1], ""), k[1] or 0))
    return [SourceRow(kind, totals[(kind, cid)], cid, names.get(cid)) for kind, cid in keys]


def expenses_by_category(rows: list[LedgerRow]) -> list[ExpenseRow]:
    """Expenses per category (neutral categories left out), in the ledger's category order."""
    totals: dict[str, list] = {}
    for row in rows:
        if row.direction == 0 or not row.expense_cents:
            continue
        entry = totals.setdefault(row.code, [row.sort_order, row.name, row.sphere, 0])
        entry[3] += row.expense_cents
    ordered = sorted(totals.items(), key=lambda item: (item[1][0], item[1][1]))
    return [ExpenseRow(code, name, sphere, cents) for code, (_o, name, sphere, cents) in ordered]


def spheres(rows: list[LedgerRow]) -> list[SphereRow]:
    """Income and expense per tax sphere (all four, neutral categories left out)."""
    totals = {sphere: [0, 0] for sphere in TaxSphere}
    for row in rows:
        if row.direction == 0:
            continue
        totals[row.sphere][0] += row.income_cents
        totals[row.sphere][1] += row.expense_cents
    return [SphereRow(sphere, inc, exp) for sphere, (inc, exp) in totals.items()]


def _per_year(rows: list[LedgerRow], *, side: str, sphere: TaxSphere | None = None):
    """Income or expense (side "income_cents"/"expense_cents") per year, neutral rows left out."""
    result: dict[int, int] = {}
    for row in rows:
        if row.direction == 0 or (sphere is not None and row.sphere != sphere):
            continue
        result[row.year] = result.get(row.year, 0) + getattr(row, side)
    return result


def income_series(rows: list[LedgerRow], years: list[int]) -> IncomeSeries:
    """Income per year by dues, donations, campaign series (the biggest few) and other."""
    per_series: dict[str, int] = {}
    for row in rows:
        if row.campaign_id is not None and row.direction != 0:
            per_series[row.campaign_series] = per_series.get(row.campaign_series, 0) + (
                row.income_cents
            )
    shown = sorted(per_series, key=lambda s: (-per_series[s], s))[:SERIES_IN_CHART]
    labels = [_(SOURCE_LABELS[DUES]), _(SOURCE_LABELS[DONATIONS]), *shown]
    if len(per_series) > len(shown):
        labels.append(_(MORE_CAMPAIGNS))
    labels.append(_(SOURCE_LABELS[OTHER]))
    index = {year: i for i, year in enumerate(years)}
    values = [[0] * len(years) for _label in labels]
    for row in rows:
        if row.direction == 0 or row.year not in index:
            continue
        kind, _cid = _source_of(row)
        if kind == CAMPAIGN:
            label = row.campaign_series if row.campaign_series in shown else _(MORE_CAMPAIGNS)
        else:
            label = _(SOURCE_LABELS[kind])
        values[labels.index(label)][index[row.year]] += row.income_cents
    return IncomeSeries(years, labels, values)


def cumulative_grants(total: pq.GrantsTotal, grant_years: list[pq.GrantYear], years: list[int]):
    """The grants total at the end of each year: opening figure plus approvals so far."""
    approved = {g.year: g.approved_cents for g in grant_years}
    running, result = total.before_cents, []
    for year in years:
        running += approved.get(year, 0)
        result.append((year, running))
    return result


def dashboard(year: int | None, *, current_year: int | None = None) -> Dashboard:
    """The dashboard for `year`, or since founding when `year` is None (8 queries).

    `current_year` (default: this year) is always among the years offered and charted.
    """
    if current_year is None:
        from supportclub.clock import today

        current_year = today().year
    rows = ledger_rows()
    thresholds = load_thresholds()
    grant_years = pq.grants_by_year()
    total = pq.grants_total()
    earmarked = pq.earmarked_by_project()
    booked = {row.year for row in rows} | {g.year for g in grant_years} | {current_year}
    all_years = list(range(min(booked), max(booked) + 1))
    period = rows if year is None else [row for row in rows if row.year == year]
    grants = grant_years if year is None else [g for g in grant_years if g.year == year]
    span = sorted(set(all_years) | ({year} if year is not None else set()))
    revenue = _per_year(rows, side="income_cents", sphere=TaxSphere.WIRTSCHAFTLICH)
    business = business_checks({y: revenue.get(y, 0) for y in span}, thresholds)
    timely = timely_use(
        span,
        _per_year(rows, side="income_cents"),
        _per_year(rows, side="expense_cents"),
        thresholds,
    )
    return Dashboard(
        year=year,
        years=all_years[::-1],
        income=income_by_source(period),
        expenses=expenses_by_category(period),
        spheres=spheres(period),
        grants_approved_cents=sum(g.approved_cents for g in grants),
        grants_paid_cents=sum(g.paid_cents for g in grants),
        free=pq.free_money(),
        earmarked=earmarked,
        earmarked_cents=sum(row.fund_cents for row in earmarked),
        open_commitments_cents=pq.open_commitments_cents(),
        grants_total=total,
        grant_years=grant_years,
        grants_cumulative=cumulative_grants(total, grant_years, all_years),
        business=business,
        timely=timely,
        income_series=income_series(rows, all_years),
    )
