"""Campaign results, the series over the years and the overview: exact sums from the ledger."""

from datetime import date

from supportclub.campaigns import queries as q
from supportclub.ledger.models import Account, Category, Fund, TaxSphere
from supportclub.ledger.services import LineInput, record_booking, reverse_booking
from tests.campaigns.helpers import book, campaign
from tests.factories import by_code, make_booking


def hiking_day(year: int = 2025, actor=None):
    """A hiking day: fees 80 × 5 €, food 612,50 €, donations 120 €, costs 234,80 € + 90 €."""
    made = campaign("Familienwandertag", year)
    book(
        made,
        ("campaign_fees", None, 80, 500),
        ("sales", 61250),
        ("donation", 12000),
        ("campaign_cost", 23480),
        ("purpose_cost", 9000),
        actor=actor,
    )
    return made


def test_net_result_is_revenue_minus_costs_exactly(app, db):
    made = hiking_day()
    book(made, ("sales", None, 120, 250))  # a second booking: card sale
    book(made, ("campaign_cost", 1999), account="bank")
    result = q.campaign_result(made.id)
    assert result.revenue_cents == 40000 + 61250 + 12000 + 30000
    assert result.cost_cents == -(23480 + 9000 + 1999)
    assert result.net_cents == 143250 - 34479 == 108771
    assert result.units == 200
    by_code_ = {row.category.code: row for row in result.rows}
    assert [row.category.code for row in result.rows] == [  # revenue, then costs; sort order
        "donation",
        "campaign_fees",
        "sales",
        "campaign_cost",
        "purpose_cost",
    ]
    assert (by_code_["sales"].revenue_cents, by_code_["sales"].units) == (91250, 120)
    assert by_code_["sales"].sphere == TaxSphere.WIRTSCHAFTLICH
    assert by_code_["campaign_fees"].sphere == TaxSphere.ZWECKBETRIEB
    assert by_code_["purpose_cost"].sphere == TaxSphere.ZWECKBETRIEB
    assert by_code_["donation"].sphere == TaxSphere.IDEELL
    assert by_code_["campaign_cost"].net_cents == -(23480 + 1999)
    assert result.spheres == [
        (TaxSphere.IDEELL, 12000, 0),
        (TaxSphere.ZWECKBETRIEB, 40000, -9000),
        (TaxSphere.WIRTSCHAFTLICH, 91250, -25479),
    ]


def test_a_reversal_nets_out_money_and_units(app, db):
    made = hiking_day()
    sale = book(made, ("sales", None, 120, 250), ("campaign_cost", 5000))
    before = q.campaign_result(made.id)
    reverse_booking(sale, "doppelt erfasst", actor=None, reversal_date=date(2025, 6, 2))
    db.session.commit()
    after = q.campaign_result(made.id)
    assert before.net_cents - after.net_cents == 30000 - 5000
    assert (after.revenue_cents, after.cost_cents) == (113250, -32480)
    assert after.net_cents == 113250 - 32480
    assert after.units == 80  # the 120 cards are gone again, the 80 starters stay
    rows = {b.booking.id: b for b in q.campaign_bookings(made.id)}
    assert rows[sale.id].is_reversed and rows[sale.id].units == 120
    reversal = [b for b in rows.values() if b.booking.is_reversal][0]
    assert (reversal.campaign_cents, reversal.units) == (-25000, -120)


def test_lines_of_other_campaigns_and_plain_bookings_do_not_count(app, db):
    made = hiking_day()
    other = campaign("Weihnachtskarten", 2025)
    book(other, ("sales", 99900))
    make_booking(50000, booking_date=date(2025, 9, 14))  # a donation without campaign
    # a booking whose line without campaign sits next to a campaign line
    record_booking(
        booking_date=date(2025, 9, 15),
        account_id=by_code(Account, "bank").id,
        amount_cents=1500,
        lines=[
            LineInput(
                by_code(Category, "sales").id,
                by_code(Fund, "general").id,
                1000,
                campaign_id=made.id,
            ),
            LineInput(by_code(Category, "donation").id, by_code(Fund, "general").id, 500),
        ],
        actor=None,
    )
    db.session.commit()
    assert q.campaign_result(made.id).net_cents == 113250 - 32480 + 1000
    shares = [b.campaign_cents for b in q.campaign_bookings(made.id)]
    assert shares == [1000, 113250 - 32480]  # newest first; only the campaign's part


def test_empty_campaign_has_a_zero_result(app, db):
    made = campaign()
    result = q.campaign_result(made.id)
    assert (result.rows, result.revenue_cents, result.cost_cents, result.net_cents) == ([], 0, 0, 0)
    assert q.campaign_bookings(made.id) == []


def test_series_comparison_over_three_years(app, db):
    for year, (fees, food, cost) in {
        2023: (30, 41000, 20000),
        2024: (55, 52000, 26000),
        2025: (80, 61250, 23480),
    }.items():
        made = campaign("Familienwandertag", year)
        book(made, ("campaign_fees", None, fees, 500), ("sales", food), ("campaign_cost", cost))
    campaign("Familienwandertag", 2022)  # planned, nothing booked
    book(campaign("Weihnachtskarten", 2024), ("sales", 77700))  # another series
    rows = q.series_comparison("Familienwandertag")
    assert [
        (r.year, r.campaigns, r.revenue_cents, r.cost_cents, r.net_cents, r.units) for r in rows
    ] == [
        (2022, 1, 0, 0, 0, 0),
        (2023, 1, 15000 + 41000, -20000, 36000, 30),
        (2024, 1, 27500 + 52000, -26000, 53500, 55),
        (2025, 1, 40000 + 61250, -23480, 77770, 80),
    ]
    assert q.series_comparison("Gibt es nicht") == []


def test_two_campaigns_of_a_series_in_one_year_add_up(app, db):
    book(campaign("Flohmarkt", 2025, name="Flohmarkt Frühjahr 2025"), ("sales", 10000))
    book(campaign("Flohmarkt", 2025, name="Flohmarkt Herbst 2025"), ("sales", 5000))
    (row,) = q.series_comparison("Flohmarkt")
    assert (row.year, row.campaigns, row.revenue_cents) == (2025, 2, 15000)


def test_campaigns_overview_with_filters(app, db):
    hiking = hiking_day(2025)
    cards = campaign("Weihnachtskarten", 2025, event_date=date(2025, 11, 1))
    book(cards, ("sales", None, 300, 250), ("campaign_cost", 18000))
    old = campaign("Familienwandertag", 2024)
    rows = q.campaigns_overview()
    assert [r.campaign.id for r in rows] == [cards.id, hiking.id, old.id]  # undated last
    totals = {r.campaign.id: r for r in rows}
    assert isinstance(totals[cards.id], q.CampaignTotals)
    assert (
        totals[cards.id].revenue_cents,
        totals[cards.id].cost_cents,
        totals[cards.id].net_cents,
        totals[cards.id].units,
    ) == (75000, -18000, 57000, 300)
    assert totals[hiking.id].net_cents == q.campaign_result(hiking.id).net_cents
    assert (totals[old.id].revenue_cents, totals[old.id].net_cents) == (0, 0)
    assert [r.campaign.id for r in q.campaigns_overview(year=2024)] == [old.id]
    assert [r.campaign.id for r in q.campaigns_overview(series="Weihnachtskarten")] == [cards.id]
    assert q.campaign_filters() == ([2025, 2024], ["Familienwandertag", "Weihnachtskarten"])
