"""The Kassenbericht PDF: headings, totals in German format, balances, campaigns, grants."""

import io
from datetime import date

from pypdf import PdfReader

from supportclub.admin.services import get_settings
from supportclub.extensions import db
from supportclub.ledger.queries import account_balances, fund_balances
from supportclub.reports.annual_data import annual_report_data, balances
from supportclub.reports.annual_report import annual_report_pdf
from tests.factories import make_booking
from tests.reports.book import small_book


def pdf_text(body: bytes) -> tuple[int, str]:
    """The page count and the text of every page, joined."""
    reader = PdfReader(io.BytesIO(body))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_pdf_has_headings_figures_and_page_numbers(app):
    """A donation of 1.234,56 € shows exactly so; every heading is there; "Seite 1 von N"."""
    get_settings().name = "Förderkreis Familie Jena e. V."
    db.session.commit()
    small_book()
    make_booking(123456, category="donation", booking_date=date(2025, 11, 2))
    body = annual_report_pdf(2025, today=date(2026, 1, 15))
    assert body.startswith(b"%PDF")
    pages, text = pdf_text(body)
    for heading in (
        "Kassenbericht 2025",
        "Förderkreis Familie Jena e. V.",
        "Einnahmen und Ausgaben nach Kategorien",
        "Nach steuerlichen Sphären",
        "Kontostände",
        "Fonds",
        "Aktionen",
        "Förderungen",
        "Einnahmen nach Herkunft und Jahr",
        "Fördersumme seit Gründung",
    ):
        assert heading in text, heading
    assert "1.875,56 €" in text  # income: 641,00 € of the small book plus the donation
    assert "1.334,56 €" in text  # donations: 100,00 € plus 1.234,56 €
    assert "Familienwandertag 2025" in text and "Lesefest" in text
    assert f"Seite 1 von {pages}" in text and f"Seite {pages} von {pages}" in text
    assert "Erstellt am 15.01.2026" in text


def test_a_known_total_is_formatted_the_german_way(app):
    """The only booking of the year, 1.234,56 €, is the income, the result and the bank's end."""
    make_booking(123456, category="donation", booking_date=date(2025, 11, 2))
    _pages, text = pdf_text(annual_report_pdf(2025, today=date(2026, 1, 15)))
    assert text.count("1.234,56 €") >= 5  # income, result, donations, sphere, bank, fund


def test_report_data_balances_at_start_and_end_of_year(app):
    """Bank and cash: nothing on 1.1., the year's movements on 31.12.; funds likewise."""
    small_book()
    make_booking(10000, category="donation", booking_date=date(2024, 12, 31))
    report = annual_report_data(2025, today=date(2026, 1, 15))
    accounts = {row.name: (row.start_cents, row.end_cents) for row in report.accounts}
    assert sum(start for start, _end in accounts.values()) == 10000
    assert sum(end for _start, end in accounts.values()) == 10000 + 64100 - 30000
    funds = {row.name: (row.start_cents, row.end_cents) for row in report.funds}
    assert funds["Projekt: Lesefest"] == (0, 30000)
    assert sum(end for _s, end in funds.values()) == sum(end for _s, end in accounts.values())
    assert report.income_cents == 64100 and report.expense_cents == -30000
    assert (report.grants_approved_cents, report.grants_paid_cents) == (50000, 20000)
    assert [c.campaign.name for c in report.campaigns] == ["Familienwandertag 2025"]
    assert report.campaigns[0].net_cents == 42000


def test_balances_equal_the_ledgers_balances_at_both_dates(app):
    """The one-pass balances match ledger.queries.account_balances/fund_balances(as_of=...)."""
    small_book()
    make_booking(10000, category="donation", booking_date=date(2024, 12, 31))
    make_booking(-700, category="bank_fees", booking_date=date(2026, 1, 2))  # after the year
    accounts, funds = balances(2025)
    for as_of, attr in ((date(2024, 12, 31), "start_cents"), (date(2025, 12, 31), "end_cents")):
        expected = {a.name: cents for a, cents in account_balances(as_of)}
        assert {row.name: getattr(row, attr) for row in accounts} == expected
        expected = {
            f.name: cents for f, cents in fund_balances(as_of) if cents or not f.is_earmarked
        }
        got = {row.name: getattr(row, attr) for row in funds}
        assert {k: v for k, v in got.items() if v or k == "Allgemeiner Fonds (frei)"} == expected


def test_empty_year_still_renders(app):
    """A year without bookings gives a valid report with zeros."""
    body = annual_report_pdf(2019, today=date(2026, 1, 15))
    _pages, text = pdf_text(body)
    assert "Kassenbericht 2019" in text
    assert "Keine Buchungen in diesem Jahr." in text


def test_route_sends_the_pdf(clients):
    """GET /berichte/kassenbericht/2025.pdf: a PDF download named after the year."""
    small_book()
    response = clients["board"].get("/berichte/kassenbericht/2025.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert 'filename="kassenbericht-2025.pdf"' in response.headers["Content-Disposition"]
    assert "Kassenbericht 2025" in pdf_text(response.data)[1]


def test_route_refuses_absurd_years(clients):
    """A year outside 1990..2200 is not found."""
    assert clients["board"].get("/berichte/kassenbericht/1066.pdf").status_code == 404
    assert clients["board"].get("/berichte/kassenbericht/abc.pdf").status_code == 404
