"""The two yearly limits of the tax law the dashboard watches, applied to figures per year.

§ 64 Abs. 3 AO: a wirtschaftlicher Geschäftsbetrieb pays income taxes only when the gross
revenue of all of them exceeds the threshold in force that year. § 55 Abs. 1 Nr. 5 AO: money
must be used in due time, simplified here as "the income of a year must be used by the end of
the second following year"; associations whose yearly income stays at or below the exemption
threshold are exempt. These are plain functions over yearly sums, so they are tested without a
database; the thresholds themselves are rows of `TaxThreshold`, read in one query.
"""

import enum
from dataclasses import dataclass

from sqlalchemy import select

from supportclub.admin.models import TaxThreshold, ThresholdKind
from supportclub.extensions import db

NEAR_PERCENT = 80  # from here on the dashboard says "nähert sich"


class Level(enum.StrEnum):
    """How close the business revenue of a year is to its threshold."""

    OK = "ok"
    NEAR = "near"  # at least 80 % of the threshold
    OVER = "over"  # more than the threshold
    UNKNOWN = "unknown"  # no threshold in force for that year


@dataclass(frozen=True)
class Thresholds:
    """All threshold rows, by kind, oldest first: (valid_from_year, amount_cents)."""

    rows: dict[ThresholdKind, list[tuple[int, int]]]

    def in_force(self, kind: ThresholdKind, year: int) -> int | None:
        """The amount in force in `year` (the latest row starting at or before it), or None."""
        amount = None
        for valid_from, cents in self.rows.get(kind, []):
            if valid_from <= year:
                amount = cents
        return amount


def load_thresholds() -> Thresholds:
    """Every threshold row, in one query."""
    rows: dict[ThresholdKind, list[tuple[int, int]]] = {kind: [] for kind in ThresholdKind}
    result = db.session.execute(
        select(TaxThreshold.kind, TaxThreshold.valid_from_year, TaxThreshold.amount_cents).order_by(
            TaxThreshold.kind, TaxThreshold.valid_from_year
        )
    )
    for kind, year, cents in result:
        rows[ThresholdKind(kind)].append((int(year), int(cents)))
    return Thresholds(rows)


@dataclass(frozen=True)
class BusinessCheck:
    """The gross revenue of the wirtschaftliche Geschäftsbetriebe in a year against § 64 Abs. 3."""

    year: int
    revenue_cents: int
    threshold_cents: int | None

    @property
    def percent(self) -> int | None:
        """Revenue as whole percent of the threshold (rounded down), or None without one."""
        if not self.threshold_cents:
            return None
        return max(self.revenue_cents, 0) * 100 // self.threshold_cents

    @property
    def level(self) -> Level:
        """OK, near (>= 80 %), over (> 100 %), or unknown without a threshold."""
        if not self.threshold_cents:
            return Level.UNKNOWN
        if self.revenue_cents > self.threshold_cents:
            return Level.OVER
        if self.revenue_cents * 100 >= NEAR_PERCENT * self.threshold_cents:
            return Level.NEAR
        return Level.OK


def business_checks(revenue_by_year: dict[int, int], thresholds: Thresholds) -> list[BusinessCheck]:
    """One check per year (oldest first) with the threshold in force that year."""
    return [
        BusinessCheck(year, revenue, thresholds.in_force(ThresholdKind.BUSINESS_REVENUE, year))
        for year, revenue in sorted(revenue_by_year.items())
    ]


@dataclass(frozen=True)
class TimelyUse:
    """Money of the years up to Y-2 not yet used by the end of Y (simplified § 55 Abs. 1 Nr. 5)."""

    year: int
    income_cents: int  # the year's own income
    income_due_cents: int  # income of all years up to Y-2 (due for use by the end of Y)
    expense_until_cents: int  # expenses (costs and grant payouts) up to the end of Y, negative
    exemption_cents: int | None  # the exemption threshold in force in Y

    @property
    def unused_cents(self) -> int:
        """max(0, income up to Y-2 minus expenses up to Y)."""
        return max(0, self.income_due_cents + self.expense_until_cents)

    @property
    def exempt(self) -> bool:
        """True when the year's income is at or below the exemption threshold in force."""
        return self.exemption_cents is not None and self.income_cents <= self.exemption_cents


def timely_use(
    years: list[int],
    income_by_year: dict[int, int],
    expense_by_year: dict[int, int],
    thresholds: Thresholds,
) -> list[TimelyUse]:
    """The simplified timely-use figure for each of `years` (oldest first)."""
    result = []
    for year in years:
        due = sum(cents for y, cents in income_by_year.items() if y <= year - 2)
        spent = sum(cents for y, cents in expense_by_year.items() if y <= year)
        result.append(
            TimelyUse(
                year=year,
                income_cents=income_by_year.get(year, 0),
                income_due_cents=due,
                expense_until_cents=spent,
                exemption_cents=thresholds.in_force(ThresholdKind.TIMELY_USE_EXEMPTION, year),
            )
        )
    return result
