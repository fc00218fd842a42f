"""The treasurer's ledger journey in a real browser, driven in German as a person would."""

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from supportclub.clock import today
from supportclub.extensions import db
from supportclub.ledger.models import Booking, Person
from supportclub.money import MSG_DECIMALS

pytestmark = pytest.mark.e2e


def log_in(page: Page, email: str, password: str) -> None:
    """Fill the login form and send it."""
    page.goto("/")
    page.get_by_label("E-Mail").fill(email)
    page.get_by_label("Passwort", exact=True).fill(password)
    page.get_by_role("button", name="Anmelden").click()


def nav(page: Page):
    """The main navigation bar."""
    return page.get_by_role("navigation")


def go_to(page: Page, link: str) -> None:
    """Click a link in the navigation and wait for its page."""
    nav(page).get_by_role("link", name=link, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(link)


def general_fund_balance(page: Page):
    """The general fund's amount cell on the balances page."""
    go_to(page, "Salden")
    return page.locator('tr[data-fund="general"] td.num')


def count(live_server, model) -> int:
    """How many rows of `model` the database holds."""
    with live_server.app.app_context():
        return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_treasurer_records_and_reverses_a_donation(page: Page, live_server):
    """Record a donation with a new donor, see it in the list and balances, reverse it."""
    log_in(page, live_server.emails["treasurer"], live_server.password)
    expect(page.get_by_test_id("who")).to_contain_text(live_server.emails["treasurer"])

    go_to(page, "Buchung erfassen")
    page.get_by_label("Einnahme").check()
    page.get_by_label("Datum", exact=True).fill(today().isoformat())
    page.get_by_label("Betrag", exact=True).fill("1.234,56")
    page.get_by_label("Konto").select_option(label="Bank (Girokonto)")
    page.get_by_text("Neue Person anlegen").click()
    page.get_by_label("Vorname").fill("Erika")
    page.get_by_label("Nachname").fill("Mustermann")
    page.get_by_label("Straße").fill("Lindenweg 7")
    page.get_by_label("PLZ").fill("07745")
    page.get_by_label("Ort", exact=True).fill("Jena")
    page.get_by_label("Buchungstext").fill("Spende Sommerfest")
    line = page.get_by_role("group", name="Position 1")
    line.get_by_label("Kategorie").select_option(label="Spenden")
    line.get_by_label("Fonds").select_option(label="Allgemeiner Fonds (frei)")
    expect(line.get_by_label("Betrag der Position")).to_have_value("")
    page.get_by_role("button", name="Buchung speichern").click()

    expect(page.get_by_role("alert")).to_contain_text(re.compile(r"Buchung \d+ gespeichert"))
    expect(page.get_by_test_id("booking-amount")).to_have_text("1.234,56 €")
    expect(page.get_by_text("Erika Mustermann, Lindenweg 7")).to_be_visible()

    go_to(page, "Buchungen")
    row = page.get_by_role("row").filter(has_text="Spende Sommerfest")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Mustermann, Erika")
    expect(row).to_contain_text("1.234,56 €")
    expect(page.get_by_test_id("total-count")).to_have_text("1")
    expect(page.get_by_test_id("total-income")).to_have_text("1.234,56 €")
    expect(page.get_by_test_id("total-expense")).to_have_text("0,00 €")
    expect(page.get_by_test_id("total-net")).to_have_text("1.234,56 €")

    expect(general_fund_balance(page)).to_have_text("1.234,56 €")

    go_to(page, "Buchungen")
    page.get_by_role("row").filter(has_text="Spende Sommerfest").get_by_role("link").click()
    page.get_by_label("Grund der Stornierung").fill("Doppelt erfasst")
    page.get_by_role("button", name="Buchung stornieren").click()
    expect(page.get_by_role("alert").first).to_contain_text("wurde storniert")

    go_to(page, "Buchungen")
    rows = page.get_by_role("row").filter(has_text="Spende Sommerfest")
    expect(rows).to_have_count(2)
    reversal = rows.filter(has=page.get_by_text("Storno", exact=True))
    original = rows.filter(has=page.get_by_text("storniert", exact=True))
    expect(reversal).to_have_count(1)
    expect(reversal).to_contain_text("-1.234,56 €")
    expect(original).to_have_count(1)
    expect(original).to_contain_text("1.234,56 €")
    expect(page.get_by_test_id("total-count")).to_have_text("2")
    expect(page.get_by_test_id("total-net")).to_have_text("0,00 €")

    expect(general_fund_balance(page)).to_have_text("0,00 €")

    page.get_by_role("button", name="Abmelden").click()
    expect(page.get_by_role("alert")).to_contain_text("Sie sind abgemeldet.")

    log_in(page, live_server.emails["member"], live_server.password)
    expect(page.get_by_test_id("who")).to_contain_text(live_server.emails["member"])
    response = page.goto("/buchungen")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="Kein Zugriff")).to_be_visible()
    expect(nav(page).get_by_role("link", name="Buchungen", exact=True)).to_have_count(0)


def test_wrong_password_and_bad_amount_save_nothing(page: Page, live_server):
    """A wrong password is refused; a bad amount is shown at its field and nothing is saved."""
    log_in(page, live_server.emails["treasurer"], "falsches-passwort")
    expect(page.get_by_role("alert")).to_have_text("E-Mail oder Passwort ist falsch.")
    expect(nav(page).get_by_role("link", name="Buchungen", exact=True)).to_have_count(0)

    log_in(page, live_server.emails["treasurer"], live_server.password)
    persons_before = count(live_server, Person)
    go_to(page, "Buchung erfassen")
    page.get_by_label("Betrag", exact=True).fill("12,345")
    page.get_by_label("Konto").select_option(label="Bank (Girokonto)")
    page.get_by_text("Neue Person anlegen").click()
    page.get_by_label("Nachname").fill("Nichtgespeichert")
    page.get_by_label("Buchungstext").fill("Tippfehler im Betrag")
    page.get_by_role("group", name="Position 1").get_by_label("Kategorie").select_option(
        label="Spenden"
    )
    page.get_by_role("button", name="Buchung speichern").click()

    amount = page.get_by_label("Betrag", exact=True)
    expect(amount).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(amount).to_have_value("12,345")
    field = page.locator("div.mb-3").filter(has=amount)
    expect(field.get_by_text(MSG_DECIMALS)).to_be_visible()
    expect(page.get_by_text(MSG_DECIMALS)).to_have_count(1)
    expect(page.get_by_role("alert").filter(has_text="gespeichert")).to_have_count(0)

    go_to(page, "Buchungen")
    expect(page.get_by_text("Keine Buchungen für diesen Filter.")).to_be_visible()
    expect(page.get_by_test_id("total-count")).to_have_text("0")
    assert count(live_server, Booking) == 0
    assert count(live_server, Person) == persons_before
