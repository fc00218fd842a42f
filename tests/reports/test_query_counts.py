"""The dashboard sends a fixed number of SQL statements, however big the book is."""

from datetime import date

from supportclub.extensions import db as _db
from supportclub.ledger.models import Account
from supportclub.ledger.services import reverse_booking
from supportclub.projects.services import allocate_funds, approve_project, record_payout
from supportclub.reports.queries import dashboard
from tests.factories import by_code, make_booking, make_campaign, make_project
from tests.ledger.test_query_counts import page_statements, recorded_statements, tally
from tests.reports.book import campaign_booking, line, small_book

MAX_SERVICE_STATEMENTS = 10
PAGES = {
    "dashboard": "/berichte",
    "a year": "/berichte?jahr=2025",
    "since founding": "/berichte?jahr=alle",
}


def many_more() -> None:
    """30 campaigns over 10 years, 30 projects with grants and payouts, 30 more bookings."""
    make_booking(10_000_000, category="donation", booking_date=date(2015, 1, 2))
    for i in range(30):
        year = 2016 + i % 10
        campaign = make_campaign(f"Aktion {i}", series=f"Reihe {i % 6}", year=year)
        campaign_booking(
            campaign,
            date(year, 6, 1 + i % 28),
            line("sales", 10_000 + i, quantity=10_000 + i, unit_price_cents=1),
            line("campaign_cost", -(1000 + i)),
        )
        booking = make_booking(2000 + i, category="dues", booking_date=date(year, 2, 1))
        if i == 7:
            reverse_booking(booking, "doppelt", actor=None, reversal_date=date(year, 3, 1))
        project = make_project(f"Projekt {i}", applied_on=date(year, 1, 10))
        approve_project(
            project, resolution_date=date(year, 3, 1), amount_cents=50_000 + i, actor=None
        )
        allocate_funds(project, amount_cents=40_000, booking_date=date(year, 3, 2), actor=None)
        record_payout(
            project,
            amount_cents=30_000,
            booking_date=date(year, 4, 1),
            account_id=by_code(Account, "bank").id,
            actor=None,
        )
    _db.session.commit()


def service_statements(year) -> list[str]:
    """The statements one dashboard() call sends, from an empty session."""
    _db.session.remove()
    with recorded_statements(_db.engine) as statements:
        dashboard(year, current_year=2025)
    return statements


def test_dashboard_service_statement_count_is_constant(app):
    """The same (small) number of statements with a tiny and with a bigger book."""
    small_book()
    few = {year: service_statements(year) for year in (2025, None)}
    many_more()
    many = {year: service_statements(year) for year in (2025, None)}
    for year in (2025, None):
        assert len(many[year]) == len(few[year]), tally(many[year])
        assert len(many[year]) <= MAX_SERVICE_STATEMENTS, tally(many[year])


def test_dashboard_page_statement_count_is_constant(db, clients):
    """The pages (charts and tables included) send no statement per row."""
    client = clients["board"]
    small_book()
    few = {name: page_statements(db, client, url) for name, url in PAGES.items()}
    many_more()
    many = {name: page_statements(db, client, url) for name, url in PAGES.items()}
    counts_few = {name: len(s) for name, s in few.items()}
    counts_many = {name: len(s) for name, s in many.items()}
    assert counts_many == counts_few, {name: tally(many[name]) for name in PAGES}


def test_the_bigger_book_really_shows_on_the_page(db, clients):
    """The check above only bites if the page lists the projects and years."""
    small_book()
    many_more()
    _db.session.remove()
    page = clients["board"].get("/berichte?jahr=alle").get_data(as_text=True)
    assert page.count("Projekt ") >= 30
    assert "Aktion 29" in page
    assert "2016" in page and "2025" in page
