"""Read side of the ledger: filtered booking lists, totals and balances, all summed in SQL."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, exists, func, select
from sqlalchemy.orm import joinedload, selectinload

from supportclub.extensions import db
from supportclub.ledger.models import (
    Account,
    Booking,
    BookingLine,
    Category,
    Fund,
    TaxSphere,
)


@dataclass(frozen=True)
class BookingFilter:
    """What the bookings list is filtered by; None means "any"."""

    date_from: date | None = None
    date_to: date | None = None
    category_id: int | None = None
    fund_id: int | None = None
    account_id: int | None = None
    person_id: int | None = None

    @property
    def filters_lines(self) -> bool:
        """True when the filter looks at lines (category or fund), not whole bookings."""
        return self.category_id is not None or self.fund_id is not None


def _booking_conditions(flt: BookingFilter) -> list:
    """WHERE conditions on the booking itself (period, account, person)."""
    cond = []
    if flt.date_from is not None:
        cond.append(Booking.booking_date >= flt.date_from)
    if flt.date_to is not None:
        cond.append(Booking.booking_date <= flt.date_to)
    if flt.account_id is not None:
        cond.append(Booking.account_id == flt.account_id)
    if flt.person_id is not None:
        cond.append(Booking.person_id == flt.person_id)
    return cond


def _only_line_conditions(flt: BookingFilter) -> list:
    """WHERE conditions on booking lines (category, fund)."""
    cond = []
    if flt.category_id is not None:
        cond.append(BookingLine.category_id == flt.category_id)
    if flt.fund_id is not None:
        cond.append(BookingLine.fund_id == flt.fund_id)
    return cond


def _line_conditions(flt: BookingFilter) -> list:
    """WHERE conditions over booking and booking_line for a filter."""
    return _booking_conditions(flt) + _only_line_conditions(flt)


def _income_and_expense(amount):
    """SUM expressions for income and expense; a reversal counts against the side it cancels.

    A reversed donation therefore lowers income (to zero) instead of showing up as an expense,
    which would inflate both sides of the year's figures.
    """
    is_reversal = Booking.reversal_of_id.is_not(None)
    income_side = ((~is_reversal) & (amount > 0)) | (is_reversal & (amount < 0))
    expense_side = ((~is_reversal) & (amount < 0)) | (is_reversal & (amount > 0))
    return (
        func.coalesce(func.sum(case((income_side, amount), else_=0)), 0),
        func.coalesce(func.sum(case((expense_side, amount), else_=0)), 0),
    )


@dataclass(frozen=True)
class FilterTotals:
    """Count and sums of a filtered set of bookings (matching lines only)."""

    count: int
    income_cents: int
    expense_cents: int

    @property
    def net_cents(self) -> int:
        """Income plus (negative) expense."""
        return self.income_cents + self.expense_cents


def filter_totals(flt: BookingFilter) -> FilterTotals:
    """Totals of the filtered set, in one aggregate query."""
    if flt.filters_lines:
        # Sum per booking first, then over bookings: cheaper than count(DISTINCT ...).
        income, expense = _income_and_expense(BookingLine.amount_cents)
        per_booking = (
            select(income.label("income"), expense.label("expense"))
            .select_from(BookingLine)
            .join(Booking, BookingLine.booking_id == Booking.id)
            .where(*_line_conditions(flt))
            .group_by(BookingLine.booking_id)
            .subquery()
        )
        stmt = select(
            func.count(),
            func.coalesce(func.sum(per_booking.c.income), 0),
            func.coalesce(func.sum(per_booking.c.expense), 0),
        )
        count, income, expense = db.session.execute(stmt).one()
        return FilterTotals(int(count), int(income), int(expense))
    income, expense = _income_and_expense(Booking.amount_cents)
    stmt = select(func.count(Booking.id), income, expense).select_from(Booking)
    count, income, expense = db.session.execute(stmt.where(*_line_conditions(flt))).one()
    return FilterTotals(int(count), int(income), int(expense))


def list_bookings(flt: BookingFilter, *, page: int, per_page: int) -> list[tuple[Booking, int]]:
    """One page of bookings (newest first) with the amount of their matching lines."""
    if flt.filters_lines:
        # Only the page's bookings get their matching lines summed (correlated subquery),
        # instead of grouping every matching line of every year before the LIMIT.
        own_lines = [BookingLine.booking_id == Booking.id, *_only_line_conditions(flt)]
        matched = (
            select(func.sum(BookingLine.amount_cents))
            .where(*own_lines)
            .correlate(Booking)
            .scalar_subquery()
        )
        ids = select(Booking.id, matched.label("matched")).where(
            *_booking_conditions(flt), exists().where(*own_lines).correlate(Booking)
        )
    else:
        ids = select(Booking.id, Booking.amount_cents.label("matched")).where(
            *_booking_conditions(flt)
        )
    ids = (
        ids.order_by(Booking.booking_date.desc(), Booking.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    matched = {row.id: int(row.matched) for row in db.session.execute(ids)}
    if not matched:
        return []
    bookings = db.session.execute(
        select(Booking)
        .where(Booking.id.in_(matched))
        .options(
            joinedload(Booking.account),
            joinedload(Booking.person),
            selectinload(Booking.lines).joinedload(BookingLine.category),
            selectinload(Booking.reversed_by),
        )
        .order_by(Booking.booking_date.desc(), Booking.id.desc())
    ).scalars()
    return [(b, matched[b.id]) for b in bookings.unique()]


def booking_detail(booking_id: int) -> Booking | None:
    """A booking with its lines, account, person, reversal links loaded."""
    return db.session.execute(
        select(Booking)
        .where(Booking.id == booking_id)
        .options(
            joinedload(Booking.account),
            joinedload(Booking.person),
            selectinload(Booking.lines).joinedload(BookingLine.category),
            selectinload(Booking.lines).joinedload(BookingLine.fund),
            selectinload(Booking.lines).joinedload(BookingLine.campaign),
            selectinload(Booking.lines).joinedload(BookingLine.project),
            selectinload(Booking.lines).joinedload(BookingLine.donation_detail),
            joinedload(Booking.reversal_of),
            joinedload(Booking.reversed_by),
        )
    ).scalar_one_or_none()


def account_balances(as_of: date | None = None) -> list[tuple[Account, int]]:
    """Every account with its balance (sum of its bookings up to `as_of`)."""
    sums = select(Booking.account_id, func.sum(Booking.amount_cents).label("total"))
    if as_of is not None:
        sums = sums.where(Booking.booking_date <= as_of)
    sums = sums.group_by(Booking.account_id).subquery()
    rows = db.session.execute(
        select(Account, func.coalesce(sums.c.total, 0))
        .outerjoin(sums, sums.c.account_id == Account.id)
        .order_by(Account.id)
    )
    return [(account, int(total)) for account, total in rows]


def fund_balances(as_of: date | None = None) -> list[tuple[Fund, int]]:
    """Every fund with its balance (sum of its booking lines up to `as_of`)."""
    sums = select(BookingLine.fund_id, func.sum(BookingLine.amount_cents).label("total"))
    if as_of is not None:
        sums = sums.join(Booking, BookingLine.booking_id == Booking.id).where(
            Booking.booking_date <= as_of
        )
    sums = sums.group_by(BookingLine.fund_id).subquery()
    rows = db.session.execute(
        select(Fund, func.coalesce(sums.c.total, 0))
        .outerjoin(sums, sums.c.fund_id == Fund.id)
        .order_by(Fund.is_earmarked, Fund.name)
    )
    return [(fund, int(total)) for fund, total in rows]


@dataclass(frozen=True)
class CategoryYear:
    """Income and expense of one category in one year."""

    category: Category
    income_cents: int
    expense_cents: int

    @property
    def net_cents(self) -> int:
        """Income plus (negative) expense."""
        return self.income_cents + self.expense_cents

    @property
    def is_neutral(self) -> bool:
        """Transfers between accounts and allocations between funds: no income, no expense."""
        return self.category.direction == 0


def category_summary(year: int) -> list[CategoryYear]:
    """Income and expense per category for `year` (categories with movement only).

    Reversals net out on the side they cancel, so a reversed donation leaves no trace in the
    year's income, while the ledger itself keeps both bookings.
    """
    income, expense = _income_and_expense(BookingLine.amount_cents)
    sums = (
        select(
            BookingLine.category_id,
            income.label("income"),
            expense.label("expense"),
        )
        .join(Booking, BookingLine.booking_id == Booking.id)
        .where(Booking.booking_date >= date(year, 1, 1), Booking.booking_date <= date(year, 12, 31))
        .group_by(BookingLine.category_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Category, sums.c.income, sums.c.expense)
        .join(sums, sums.c.category_id == Category.id)
        .order_by(Category.sphere, Category.sort_order, Category.name)
    )
    return [CategoryYear(c, int(i), int(e)) for c, i, e in rows]


def sphere_summary(rows: list[CategoryYear]) -> list[tuple[TaxSphere, int, int]]:
    """Income and expense per tax sphere, from the category rows (all four spheres).

    Neutral rows (transfers, allocations) move money without earning or spending it, so they
    would only inflate both sides; they are left out.
    """
    totals = {sphere: [0, 0] for sphere in TaxSphere}
    for row in rows:
        if row.is_neutral:
            continue
        totals[row.category.sphere][0] += row.income_cents
        totals[row.category.sphere][1] += row.expense_cents
    return [(sphere, inc, exp) for sphere, (inc, exp) in totals.items()]


@dataclass(frozen=True)
class YearOverview:
    """A year's result: categories that earn or spend, neutral movements, spheres."""

    year: int
    rows: list[CategoryYear]
    neutral: list[CategoryYear]
    spheres: list[tuple[TaxSphere, int, int]]

    @property
    def income_cents(self) -> int:
        """The year's income (without transfers and allocations)."""
        return sum(row.income_cents for row in self.rows)

    @property
    def expense_cents(self) -> int:
        """The year's expense (negative; without transfers and allocations)."""
        return sum(row.expense_cents for row in self.rows)


def year_overview(year: int) -> YearOverview:
    """Income and expense per category and per tax sphere for `year`, in one query."""
    rows = category_summary(year)
    return YearOverview(
        year=year,
        rows=[row for row in rows if not row.is_neutral],
        neutral=[row for row in rows if row.is_neutral],
        spheres=sphere_summary(rows),
    )


def booking_years() -> list[int]:
    """The years from the first to the last booking, newest first (two index lookups)."""
    # Two scalar subqueries: each is a single index lookup (a plain min/max scans on SQLite).
    first, last = db.session.execute(
        select(
            select(func.min(Booking.booking_date)).scalar_subquery(),
            select(func.max(Booking.booking_date)).scalar_subquery(),
        )
    ).one()
    if first is None:
        return []
    return list(range(last.year, first.year - 1, -1))
