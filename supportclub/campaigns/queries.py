"""Read side of campaigns: results, the series over the years, the overview; summed in SQL.

A line counts as revenue or cost by its category's direction (costs are negative), so a
reversal nets out on the side it cancels, and the net result is simply the sum of the lines.
"""

from dataclasses import dataclass

from sqlalchemy import case, distinct, exists, func, select
from sqlalchemy.orm import aliased, joinedload

from supportclub.campaigns.models import Campaign
from supportclub.extensions import db
from supportclub.ledger.models import Booking, BookingLine, Category, TaxSphere


def _sums():
    """Revenue, cost and units of the selected lines (0 when there are none)."""
    is_cost = Category.direction < 0
    amount = BookingLine.amount_cents
    return (
        func.coalesce(func.sum(case((is_cost, 0), else_=amount)), 0).label("revenue"),
        func.coalesce(func.sum(case((is_cost, amount), else_=0)), 0).label("cost"),
        func.coalesce(func.sum(BookingLine.quantity), 0).label("units"),
    )


# One campaign's result -------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryResult:
    """A campaign's revenue, cost and units sold in one category (and so one sphere)."""

    category: Category
    revenue_cents: int
    cost_cents: int
    units: int

    @property
    def sphere(self) -> TaxSphere:
        """The tax sphere the category belongs to."""
        return self.category.sphere

    @property
    def net_cents(self) -> int:
        """Revenue plus (negative) cost."""
        return self.revenue_cents + self.cost_cents


@dataclass(frozen=True)
class CampaignResult:
    """A campaign's result by category, with exact totals."""

    rows: list[CategoryResult]

    @property
    def revenue_cents(self) -> int:
        """All revenue."""
        return sum(row.revenue_cents for row in self.rows)

    @property
    def cost_cents(self) -> int:
        """All costs (negative)."""
        return sum(row.cost_cents for row in self.rows)

    @property
    def net_cents(self) -> int:
        """The net result: revenue plus (negative) costs."""
        return self.revenue_cents + self.cost_cents

    @property
    def units(self) -> int:
        """Units sold over all categories."""
        return sum(row.units for row in self.rows)

    @property
    def spheres(self) -> list[tuple[TaxSphere, int, int]]:
        """(sphere, revenue, cost) for each sphere the campaign touches, in sphere order."""
        totals: dict[TaxSphere, list[int]] = {}
        for row in self.rows:
            pair = totals.setdefault(row.sphere, [0, 0])
            pair[0] += row.revenue_cents
            pair[1] += row.cost_cents
        return [(s, *totals[s]) for s in TaxSphere if s in totals]


def campaign_result(campaign_id: int) -> CampaignResult:
    """Revenue, cost, units and sphere per category of one campaign, in one query."""
    sums = (
        select(BookingLine.category_id, *_sums())
        .join(Category, BookingLine.category_id == Category.id)
        .where(BookingLine.campaign_id == campaign_id)
        .group_by(BookingLine.category_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Category, sums.c.revenue, sums.c.cost, sums.c.units)
        .join(sums, sums.c.category_id == Category.id)
        .order_by(Category.direction.desc(), Category.sort_order, Category.name)
    )
    return CampaignResult(
        [CategoryResult(c, int(rev), int(cost), int(units)) for c, rev, cost, units in rows]
    )


# A series over the years ----------------------------------------------------------------------


@dataclass(frozen=True)
class SeriesYear:
    """The campaigns of one series in one year (usually one campaign)."""

    year: int
    campaigns: int
    revenue_cents: int
    cost_cents: int
    units: int

    @property
    def net_cents(self) -> int:
        """Revenue plus (negative) cost."""
        return self.revenue_cents + self.cost_cents


def series_comparison(series: str) -> list[SeriesYear]:
    """Revenue, cost, net and units per year of every campaign of `series`, in one query."""
    revenue, cost, units = _sums()
    rows = db.session.execute(
        select(Campaign.year, func.count(distinct(Campaign.id)), revenue, cost, units)
        .select_from(Campaign)
        .outerjoin(BookingLine, BookingLine.campaign_id == Campaign.id)
        .outerjoin(Category, BookingLine.category_id == Category.id)
        .where(Campaign.series == series)
        .group_by(Campaign.year)
        .order_by(Campaign.year)
    )
    return [SeriesYear(int(y), int(n), int(r), int(c), int(u)) for y, n, r, c, u in rows]


# The overview -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignTotals:
    """A campaign with its revenue, costs (negative), net result and units sold."""

    campaign: Campaign
    revenue_cents: int
    cost_cents: int
    net_cents: int
    units: int


def campaigns_overview(year: int | None = None, series: str | None = None) -> list[CampaignTotals]:
    """Every campaign (of a year, of a series) with its totals, newest first, in one query."""
    sums = (
        select(BookingLine.campaign_id, *_sums())
        .join(Category, BookingLine.category_id == Category.id)
        .where(BookingLine.campaign_id.is_not(None))
        .group_by(BookingLine.campaign_id)
        .subquery()
    )
    stmt = (
        select(
            Campaign,
            func.coalesce(sums.c.revenue, 0),
            func.coalesce(sums.c.cost, 0),
            func.coalesce(sums.c.units, 0),
        )
        .outerjoin(sums, sums.c.campaign_id == Campaign.id)
        # by date within a year, undated ones last (the same on SQLite and PostgreSQL)
        .order_by(
            Campaign.year.desc(), Campaign.event_date.is_(None), Campaign.event_date, Campaign.name
        )
    )
    if year is not None:
        stmt = stmt.where(Campaign.year == year)
    if series is not None:
        stmt = stmt.where(Campaign.series == series)
    return [
        CampaignTotals(c, int(rev), int(cost), int(rev) + int(cost), int(units))
        for c, rev, cost, units in db.session.execute(stmt)
    ]


def campaign_filters() -> tuple[list[int], list[str]]:
    """The years (newest first) and series that campaigns exist for, in one query."""
    rows = db.session.execute(select(Campaign.year, Campaign.series).distinct()).all()
    years = sorted({year for year, _series in rows}, reverse=True)
    series = sorted({name for _year, name in rows}, key=str.lower)
    return years, series


# The campaign's bookings ----------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignBooking:
    """A booking with the part of it that belongs to the campaign."""

    booking: Booking
    campaign_cents: int
    units: int
    is_reversed: bool


def campaign_bookings(campaign_id: int) -> list[CampaignBooking]:
    """The bookings with lines of the campaign, newest first, in one query."""
    share = (
        select(
            BookingLine.booking_id,
            func.sum(BookingLine.amount_cents).label("cents"),
            func.coalesce(func.sum(BookingLine.quantity), 0).label("units"),
        )
        .where(BookingLine.campaign_id == campaign_id)
        .group_by(BookingLine.booking_id)
        .subquery()
    )
    reversal = aliased(Booking)
    reversed_ = exists().where(reversal.reversal_of_id == Booking.id).correlate(Booking)
    rows = db.session.execute(
        select(Booking, share.c.cents, share.c.units, reversed_)
        .join(share, share.c.booking_id == Booking.id)
        .options(joinedload(Booking.account), joinedload(Booking.person))
        .order_by(Booking.booking_date.desc(), Booking.id.desc())
    )
    return [CampaignBooking(b, int(cents), int(units), bool(rev)) for b, cents, units, rev in rows]
