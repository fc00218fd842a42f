"""The dashboard keeps the sums of closed years per process (they cannot change) and sums only
the open years on each request: the figures are the same as summing the whole book."""

from datetime import date

import pytest

from supportclub.closing.services import close_year
from supportclub.ledger.services import reverse_booking
from supportclub.reports import queries as q
from tests.factories import make_booking, make_campaign
from tests.ledger.test_query_counts import recorded_statements
from tests.reports.book import campaign_booking, line


def as_sums(rows) -> list[tuple]:
    """Rows as comparable tuples, in one order."""
    return sorted(
        (r.year, r.code, r.campaign_name or "", r.income_cents, r.expense_cents) for r in rows
    )


@pytest.fixture
def cached(app):
    """The process cache switched on (the test config has it off) and empty."""
    app.config["REPORT_CACHE_CLOSED_YEARS"] = True
    q._FROZEN.clear()
    yield
    q._FROZEN.clear()
    app.config["REPORT_CACHE_CLOSED_YEARS"] = False


def uncached(app) -> list[tuple]:
    """ledger_rows() summing the whole book, without the cache."""
    app.config["REPORT_CACHE_CLOSED_YEARS"] = False
    try:
        return as_sums(q.ledger_rows())
    finally:
        app.config["REPORT_CACHE_CLOSED_YEARS"] = True


def test_closed_years_are_summed_once_and_open_years_every_time(app, db, cached):
    make_booking(3600, category="dues", booking_date=date(2023, 4, 1))
    wrong = make_booking(5000, category="donation", booking_date=date(2024, 6, 1))
    make_booking(10000, category="donation", booking_date=date(2024, 7, 1))
    hike = make_campaign("Familienwandertag 2024", series="Familienwandertag", year=2024)
    campaign_booking(hike, date(2024, 5, 4), line("campaign_fees", 20000))
    for year in (2023, 2024):
        close_year(year, actor=None, confirm_warnings=True)
    db.session.commit()

    with recorded_statements(db.engine) as first:
        rows = as_sums(q.ledger_rows())
    assert rows == uncached(app)
    assert (2024, "donation", "", 15000, 0) in rows
    assert (2024, "campaign_fees", "Familienwandertag 2024", 20000, 0) in rows

    # 2025: new money and the reversal of a 2024 booking, dated in the open year
    make_booking(700, category="donation", booking_date=date(2025, 2, 1))
    reverse_booking(wrong, "Doppelt erfasst", actor=None, reversal_date=date(2025, 2, 2))
    hike.name = "Wandertag 2024"  # names are read fresh, not kept
    db.session.commit()
    with recorded_statements(db.engine) as second:
        rows = as_sums(q.ledger_rows())
    assert rows == uncached(app)
    assert (2024, "donation", "", 15000, 0) in rows  # the closed year keeps its figures
    assert (2024, "campaign_fees", "Wandertag 2024", 20000, 0) in rows
    donations_2025 = [r for r in rows if r[:2] == (2025, "donation")]
    # a reversal counts against the side it cancels: 7,00 € in, 50,00 € of 2024 cancelled
    assert donations_2025 == [(2025, "donation", "", -4300, 0)]
    # the closed years' grouped query ran the first time only
    assert len(second) == len(first) - 1


def test_a_new_closing_replaces_the_kept_sums(app, db, cached):
    make_booking(3600, category="dues", booking_date=date(2023, 4, 1))
    make_booking(1000, category="donation", booking_date=date(2024, 4, 1))
    close_year(2023, actor=None, confirm_warnings=True)
    db.session.commit()
    assert as_sums(q.ledger_rows()) == uncached(app)
    make_booking(2000, category="donation", booking_date=date(2024, 5, 1))
    close_year(2024, actor=None, confirm_warnings=True)
    db.session.commit()
    rows = as_sums(q.ledger_rows())
    assert rows == uncached(app)
    assert (2024, "donation", "", 3000, 0) in rows
    assert len(q._FROZEN) == 1


def test_without_a_closed_year_the_whole_book_is_summed(app, db, cached):
    make_booking(3600, category="dues", booking_date=date(2024, 4, 1))
    rows = as_sums(q.ledger_rows())
    assert rows == [(2024, "dues", "", 3600, 0)]
    assert q._FROZEN == {}
