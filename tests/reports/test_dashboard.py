"""The dashboard's figures on a small hand-made book: exact cents, reversals netted out."""

from datetime import date

from supportclub.admin.models import ThresholdKind
from supportclub.admin.services import get_settings
from supportclub.extensions import db
from supportclub.ledger.models import Account, TaxSphere
from supportclub.ledger.services import LineInput, record_booking
from supportclub.reports.queries import dashboard
from supportclub.reports.services import add_threshold
from supportclub.reports.taxes import Level
from tests.factories import by_code, make_booking, make_campaign
from tests.reports.book import EXPENSE, INCOME, campaign_booking, line, small_book


def test_income_by_source_counts_each_campaign_and_nets_out_the_reversal(app):
    """Dues, donations (the reversed one gone), the campaign by name, other."""
    small_book()
    board = dashboard(2025, current_year=2025)
    assert [(row.label, row.cents) for row in board.income] == [
        ("Mitgliedsbeiträge", 3600),
        ("Spenden", 10000),
        ("Familienwandertag 2025", 50000),
        ("Sonstige", 500),
    ]
    assert board.income_cents == INCOME


def test_expenses_by_category_and_result(app):
    """Campaign costs, office costs and grant payouts; allocations are neutral."""
    small_book()
    board = dashboard(2025, current_year=2025)
    assert {row.code: row.cents for row in board.expenses} == {
        "grant_payout": -20000,
        "campaign_cost": -8000,
        "admin_cost": -2000,
    }
    assert board.expense_cents == EXPENSE
    assert board.result_cents == INCOME + EXPENSE


def test_spheres_sum_to_the_totals(app):
    """Each line sits in its category's sphere; the four spheres add up to income and expense."""
    small_book()
    board = dashboard(2025, current_year=2025)
    spheres = {row.sphere: (row.income_cents, row.expense_cents) for row in board.spheres}
    assert spheres == {
        TaxSphere.IDEELL: (13600, -22000),
        TaxSphere.VERMOEGENSVERWALTUNG: (500, 0),
        TaxSphere.ZWECKBETRIEB: (20000, 0),
        TaxSphere.WIRTSCHAFTLICH: (30000, -8000),
    }
    assert sum(i for i, _e in spheres.values()) == board.income_cents
    assert sum(e for _i, e in spheres.values()) == board.expense_cents


def test_grants_free_money_earmarked_and_commitments(app):
    """Approved 500, paid 200, the rest covered by the project's fund."""
    objects = small_book()
    board = dashboard(2025, current_year=2025)
    assert (board.grants_approved_cents, board.grants_paid_cents) == (50000, 20000)
    assert board.free.general_cents == 4100
    assert board.free.free_cents == 4100
    assert board.open_commitments_cents == 30000
    assert board.earmarked_cents == 30000
    [row] = board.earmarked
    assert (row.project_id, row.fund_cents, row.open_cents) == (objects["project"].id, 30000, 30000)


def test_grants_total_adds_the_opening_figure(app):
    """Total = figure before the software + every approval; per year and cumulative."""
    small_book()
    get_settings().grants_before_cents = 10_700_000
    db.session.commit()
    board = dashboard(None, current_year=2025)
    assert board.grants_total.total_cents == 10_750_000
    assert board.grants_total.paid_cents == 20000
    assert [(g.year, g.approved_cents, g.paid_cents) for g in board.grant_years] == [
        (2025, 50000, 20000)
    ]
    assert board.grants_cumulative[-1] == (2025, 10_750_000)


def test_since_founding_sums_every_year_and_lists_years(app):
    """?jahr=alle: income of all years, the business revenue per year instead of one check."""
    small_book()
    make_booking(1200, category="dues", booking_date=date(2023, 4, 1))
    board = dashboard(None, current_year=2026)
    assert board.income_cents == INCOME + 1200
    assert board.years == [2026, 2025, 2024, 2023]
    assert board.business_year is None and board.timely_year is None
    assert [(c.year, c.revenue_cents) for c in board.business] == [
        (2023, 0),
        (2024, 0),
        (2025, 30000),
        (2026, 0),
    ]
    assert board.income_series.years == [2023, 2024, 2025, 2026]


def test_year_without_bookings_shows_zeros(app):
    """A year with nothing booked: empty lists, zero totals, a check with revenue 0."""
    small_book()
    board = dashboard(2024, current_year=2025)
    assert board.income == [] and board.expenses == []
    assert board.business_year.revenue_cents == 0
    assert board.business_year.level == Level.OK


def _sales(cents: int, when: date = date(2025, 4, 1)) -> None:
    """Card sales (wirtschaftlicher Geschäftsbetrieb) of a campaign."""
    campaign = make_campaign(f"Karten {cents}", series="Weihnachtskarten", year=when.year)
    campaign_booking(campaign, when, line("sales", cents), account="bank")


def test_business_threshold_near_at_80_percent(app):
    """2025: 50.000 € in force; 40.000,00 € is 80 % and "nähert sich"; 39.999,99 € is not."""
    _sales(3_999_999)
    assert dashboard(2025, current_year=2025).business_year.level == Level.OK
    _sales(1)
    check = dashboard(2025, current_year=2025).business_year
    assert (check.threshold_cents, check.percent, check.level) == (5_000_000, 80, Level.NEAR)


def test_business_threshold_over_100_percent(app):
    """Exactly 50.000,00 € is still "near"; one cent more is over."""
    _sales(5_000_000)
    assert dashboard(2025, current_year=2025).business_year.level == Level.NEAR
    _sales(1)
    check = dashboard(2025, current_year=2025).business_year
    assert check.level == Level.OVER
    assert check.revenue_cents == 5_000_001


def test_threshold_in_force_follows_the_setting(app):
    """A new row from 2026 on applies to 2026, not to 2025; 2019 still has 35.000 €."""
    add_threshold(
        kind=ThresholdKind.BUSINESS_REVENUE,
        valid_from_year=2026,
        amount_cents=6_000_000,
        actor=None,
    )
    db.session.commit()
    make_booking(1200, category="dues", booking_date=date(2024, 4, 1))
    years = {c.year: c.threshold_cents for c in dashboard(None, current_year=2026).business}
    assert years == {2024: 4_500_000, 2025: 5_000_000, 2026: 6_000_000}
    assert dashboard(2019, current_year=2026).business_year.threshold_cents == 3_500_000


def _income(cents: int, when: date) -> None:
    """A plain donation."""
    make_booking(cents, category="donation", booking_date=when)


def _expense(cents: int, when: date) -> None:
    """Office costs."""
    make_booking(-cents, category="admin_cost", booking_date=when)


def test_timely_use_is_income_up_to_y_minus_2_minus_expenses_up_to_y(app):
    """2023 brings 60.000 €, 2024/2025 spend 30.000 €: 30.000 € unused at the end of 2025."""
    _income(6_000_000, date(2023, 3, 1))
    _income(100_000, date(2024, 3, 1))
    _income(12_000_000, date(2025, 3, 1))
    _expense(1_000_000, date(2024, 6, 1))
    _expense(2_000_000, date(2025, 6, 1))
    board = dashboard(2025, current_year=2025)
    use = board.timely_year
    assert (use.income_due_cents, use.expense_until_cents) == (6_000_000, -3_000_000)
    assert use.unused_cents == 3_000_000
    assert use.exempt is False  # 120.000 € in 2025: above 100.000 €
    by_year = {t.year: t for t in board.timely}
    assert by_year[2024].unused_cents == 0  # nothing due yet (income up to 2022)
    assert by_year[2024].exempt is True  # 1.000 € <= 45.000 €
    assert by_year[2023].exempt is False  # 60.000 € > 45.000 €


def test_timely_use_never_negative_and_without_exemption_before_2020(app):
    """Spending more than came in gives 0; 2019 has no exemption threshold."""
    _income(100_000, date(2017, 3, 1))
    _expense(500_000, date(2019, 6, 1))
    use = dashboard(2019, current_year=2025).timely_year
    assert use.unused_cents == 0
    assert use.exemption_cents is None and use.exempt is False


def test_neutral_categories_are_neither_income_nor_expense(app):
    """A transfer between accounts changes no figure."""
    small_book()
    before = dashboard(2025, current_year=2025)
    transfer = by_code_category("transfer")
    record_booking(
        booking_date=date(2025, 10, 1),
        account_id=by_code(Account, "cash").id,
        amount_cents=-1000,
        lines=[LineInput(transfer, general_id(), -1000)],
        actor=None,
    )
    record_booking(
        booking_date=date(2025, 10, 1),
        account_id=by_code(Account, "bank").id,
        amount_cents=1000,
        lines=[LineInput(transfer, general_id(), 1000)],
        actor=None,
    )
    db.session.commit()
    after = dashboard(2025, current_year=2025)
    assert (after.income_cents, after.expense_cents) == (before.income_cents, before.expense_cents)
    assert after.spheres == before.spheres


def by_code_category(code: str) -> int:
    """A category id by code."""
    from supportclub.ledger.models import Category

    return by_code(Category, code).id


def general_id() -> int:
    """The general fund's id."""
    from supportclub.ledger.models import Fund

    return by_code(Fund, "general").id
