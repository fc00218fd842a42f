"""The tax limits as plain functions: threshold in force, warning levels, timely use."""

from supportclub.admin.models import ThresholdKind
from supportclub.reports.taxes import (
    BusinessCheck,
    Level,
    Thresholds,
    business_checks,
    load_thresholds,
    timely_use,
)

LAW = Thresholds(
    {
        ThresholdKind.BUSINESS_REVENUE: [(2007, 3_500_000), (2020, 4_500_000), (2025, 5_000_000)],
        ThresholdKind.TIMELY_USE_EXEMPTION: [(2020, 4_500_000), (2025, 10_000_000)],
    }
)


def test_threshold_in_force_is_the_latest_row_starting_at_or_before_the_year():
    """Each row holds until the next row of its kind."""
    assert LAW.in_force(ThresholdKind.BUSINESS_REVENUE, 2006) is None
    assert LAW.in_force(ThresholdKind.BUSINESS_REVENUE, 2007) == 3_500_000
    assert LAW.in_force(ThresholdKind.BUSINESS_REVENUE, 2019) == 3_500_000
    assert LAW.in_force(ThresholdKind.BUSINESS_REVENUE, 2024) == 4_500_000
    assert LAW.in_force(ThresholdKind.BUSINESS_REVENUE, 2030) == 5_000_000
    assert LAW.in_force(ThresholdKind.TIMELY_USE_EXEMPTION, 2019) is None


def test_seeded_thresholds_are_the_law_as_of_2025(app):
    """The migration seeds 35.000/45.000/50.000 € and 45.000/100.000 €."""
    assert load_thresholds() == LAW


def test_levels_at_the_edges():
    """< 80 % ok, 80 % up to 100 % near, above 100 % over, no threshold unknown."""
    limit = 5_000_000
    assert BusinessCheck(2025, 3_999_999, limit).level == Level.OK
    assert BusinessCheck(2025, 4_000_000, limit).level == Level.NEAR
    assert BusinessCheck(2025, 5_000_000, limit).level == Level.NEAR
    assert BusinessCheck(2025, 5_000_001, limit).level == Level.OVER
    assert BusinessCheck(2025, 5_000_001, limit).percent == 100
    assert BusinessCheck(2025, 7_500_000, limit).percent == 150
    assert BusinessCheck(2006, 1, None).level == Level.UNKNOWN
    assert BusinessCheck(2006, 1, None).percent is None


def test_business_checks_per_year_with_the_threshold_of_that_year():
    """2019 against 35.000 €, 2024 against 45.000 €."""
    checks = business_checks({2024: 4_000_000, 2019: 3_000_000}, LAW)
    assert [(c.year, c.threshold_cents, c.level) for c in checks] == [
        (2019, 3_500_000, Level.NEAR),
        (2024, 4_500_000, Level.NEAR),
    ]


def test_timely_use_simplified_rule():
    """Income up to Y-2 minus every expense up to Y, never below zero; exemption per year."""
    income = {2020: 5_000_000, 2021: 1_000_000, 2022: 2_000_000}
    expense = {2021: -500_000, 2022: -3_000_000}
    rows = {row.year: row for row in timely_use([2020, 2021, 2022], income, expense, LAW)}
    assert rows[2020].unused_cents == 0  # nothing due yet
    assert rows[2021].unused_cents == 0
    assert rows[2022].income_due_cents == 5_000_000
    assert rows[2022].expense_until_cents == -3_500_000
    assert rows[2022].unused_cents == 1_500_000
    assert [rows[y].exempt for y in (2020, 2021, 2022)] == [False, True, True]
    assert rows[2020].exemption_cents == 4_500_000
