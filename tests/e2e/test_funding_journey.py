"""Funding in a real browser: the treasurer books the hiking day's revenue and costs, records a
project's application; the board member sees it; the treasurer records the board's approval, the
allocation and the payout; the dashboard's grants total and free money move by exactly that."""

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from supportclub.clock import today
from tests.e2e.test_dues_journey import log_out
from tests.e2e.test_ledger_journey import go_to, log_in

pytestmark = pytest.mark.e2e


def seed_general_fund(live_server) -> None:
    """5.000,00 € of donations in the general fund."""
    from tests.factories import make_booking

    with live_server.app.app_context():
        make_booking(500000, booking_date=today() - timedelta(days=60))


def key_figure(page: Page, testid: str) -> str:
    """A key figure of the dashboard, e.g. "5.690,00 €"."""
    go_to(page, "Finanzübersicht")
    return page.get_by_test_id(testid).inner_text()


def test_campaign_project_approval_payout_and_dashboard(page: Page, live_server):
    seed_general_fund(live_server)
    year = today().year
    day = (today() - timedelta(days=30)).isoformat()

    log_in(page, live_server.emails["treasurer"], live_server.password)

    # the hiking day: a campaign, then its revenue (120 start fees à 3 €, food) and costs
    go_to(page, "Aktionen")
    page.get_by_role("link", name="Neue Aktion").click()
    page.get_by_label("Reihe").fill("Familienwandertag")
    page.get_by_label("Jahr").fill(str(year))
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Familienwandertag {year}")
    page.get_by_role("link", name="Einnahmen und Kosten buchen").first.click()
    page.get_by_label("Datum").fill(day)
    page.get_by_label("Konto").select_option(label="Kasse")
    rows = [
        ("Startgelder und Teilnahmebeiträge", "", "120", "3,00", "Startgelder"),
        ("Verkaufserlöse (Speisen, Getränke, Karten)", "480,00", "", "", "Kuchen und Getränke"),
        ("Aktionskosten", "150,00", "", "", "Grillgut"),
    ]
    for index, (category, amount, quantity, price, text) in enumerate(rows):
        line = page.get_by_test_id(f"line-{index}")
        line.get_by_label("Kategorie").select_option(label=category)
        line.get_by_label("Betrag").fill(amount)
        line.get_by_label("Stückzahl").fill(quantity)
        line.get_by_label("Stückpreis").fill(price)
        line.get_by_label("Text").fill(text)
    page.get_by_role("button", name="Buchung speichern").click()
    expect(page.get_by_test_id("revenue")).to_have_text("840,00 €")
    expect(page.get_by_test_id("costs")).to_have_text("-150,00 €")
    expect(page.get_by_test_id("net")).to_have_text("690,00 €")
    expect(page.get_by_test_id("units")).to_have_text("120")

    free_before = key_figure(page, "free-money")
    assert free_before == "5.690,00 €"
    assert key_figure(page, "grants-total") == "0,00 €"

    # a local organisation applies for 800 €
    go_to(page, "Projekte")
    page.get_by_role("link", name="Neuer Antrag").click()
    page.get_by_text("Neue Person anlegen").click()
    page.get_by_label("Firma / Organisation").check()
    page.get_by_label("Nachname bzw. Name der Organisation").fill("Kita Sonnenblume")
    page.get_by_label("Titel").fill("Lesefest in der Kita")
    page.get_by_label("Beantragter Betrag").fill("800,00")
    page.get_by_label("Antrag vom").fill(day)
    page.get_by_role("button", name="Antrag erfassen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Lesefest in der Kita")
    log_out(page)

    # the board member sees the application, read-only
    log_in(page, live_server.emails["board"], live_server.password)
    go_to(page, "Projekte")
    expect(page.get_by_test_id("projects")).to_contain_text("Kita Sonnenblume")
    expect(page.get_by_test_id("projects")).to_contain_text("beantragt")
    page.get_by_role("link", name="Lesefest in der Kita").click()
    expect(page.get_by_test_id("project")).to_contain_text("800,00 €")
    expect(page.get_by_role("link", name="Bewilligen")).to_have_count(0)
    log_out(page)

    # the treasurer records the board's approval, allocates the money and pays it out
    log_in(page, live_server.emails["treasurer"], live_server.password)
    go_to(page, "Projekte")
    page.get_by_role("link", name="Lesefest in der Kita").click()
    page.get_by_test_id("actions").get_by_role("link", name="Bewilligen").click()
    page.get_by_label("Datum des Beschlusses").fill(day)
    page.get_by_label("Bewilligter Betrag").fill("800,00")
    page.get_by_role("button", name="Bewilligung erfassen").click()
    expect(page.get_by_test_id("grants")).to_contain_text("800,00 €")
    assert key_figure(page, "grants-total") == "800,00 €"
    assert key_figure(page, "free-money") == "4.890,00 €"

    go_to(page, "Projekte")
    page.get_by_role("link", name="Lesefest in der Kita").click()
    page.get_by_test_id("actions").get_by_role("link", name="Mittel zuweisen").click()
    page.get_by_label("Datum").fill(day)
    page.get_by_role("button", name="Mittel zuweisen").click()
    page.get_by_test_id("actions").get_by_role("link", name="Auszahlen").click()
    page.get_by_label("Datum").fill(day)
    page.get_by_label("Konto").select_option(label="Bank (Girokonto)")
    page.get_by_label("Betrag").fill("800,00")
    page.get_by_role("button", name="Auszahlung buchen").click()
    expect(page.get_by_test_id("bookings")).to_contain_text("-800,00 €")

    # the dashboard: grants total up by 800 €, free money down by 800 € (approval), payout neutral
    assert key_figure(page, "grants-total") == "800,00 €"
    assert key_figure(page, "free-money") == "4.890,00 €"
    expect(page.get_by_test_id("grants-period")).to_contain_text("800,00 €")
