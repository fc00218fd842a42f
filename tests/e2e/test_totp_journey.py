"""The second factor in a real browser: the treasurer sets it up under "Passwort" → "Zweiter
Faktor" (reads the key from the page, as an authenticator app would take it), keeps the recovery
codes, logs out, and logs in again: after the password the page asks for the "Bestätigungscode";
with the code from the app the start page opens."""

import re
import time

import pyotp
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_dues_journey import log_out
from tests.e2e.test_ledger_journey import log_in

pytestmark = pytest.mark.e2e


def app_code(secret: str) -> str:
    """What the app shows in the next 30-second step. The code of the current step was just
    used to confirm the set-up and is not accepted a second time; the next one is (one step of
    clock drift either side is allowed), so the journey need not wait for the step to change."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def test_the_treasurer_sets_up_the_second_factor_and_logs_in_with_a_code(page: Page, live_server):
    email, password = live_server.emails["treasurer"], live_server.password
    log_in(page, email, password)
    expect(page).to_have_title(re.compile("^Start"))

    page.get_by_role("link", name="Passwort", exact=True).click()
    page.get_by_role("link", name="Zweiter Faktor").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Zweiter Faktor")
    expect(page.get_by_test_id("totp-status")).to_contain_text("Nicht eingerichtet")
    page.get_by_role("button", name="Einrichten").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Zweiten Faktor einrichten")
    expect(
        page.get_by_role("img", name="QR-Code zum Einrichten der Authenticator-App")
    ).to_be_visible()
    shown = page.get_by_test_id("totp-secret").inner_text()
    assert re.fullmatch(r"([A-Z2-7]{4} ){7}[A-Z2-7]{4}", shown), shown
    secret = shown.replace(" ", "")

    # a wrong code first: refused, with the reason
    page.get_by_label("Code aus der App").fill(
        "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    )
    page.get_by_label("Aktuelles Passwort").fill(password)
    page.get_by_role("button", name="Zweiten Faktor einschalten").click()
    expect(page.get_by_text("Der Code ist falsch oder abgelaufen.")).to_be_visible()

    page.get_by_label("Code aus der App").fill(pyotp.TOTP(secret).now())
    page.get_by_label("Aktuelles Passwort").fill(password)
    page.get_by_role("button", name="Zweiten Faktor einschalten").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Wiederherstellungscodes")
    expect(page.get_by_text("Der zweite Faktor ist eingeschaltet.")).to_be_visible()
    codes = page.get_by_test_id("recovery-codes").get_by_role("listitem")
    expect(codes).to_have_count(10)
    assert all(re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}", c) for c in codes.all_inner_texts())

    page.get_by_role("link", name="Ich habe die Codes gesichert").click()
    expect(page.get_by_test_id("totp-status")).to_contain_text("Eingeschaltet seit")
    expect(page.get_by_test_id("totp-status")).to_contain_text("Wiederherstellungscodes: 10")
    assert secret not in page.content().replace(" ", "")  # shown only while setting it up

    log_out(page)
    log_in(page, email, password)
    expect(page.get_by_role("heading", level=1)).to_have_text("Bestätigungscode")
    page.goto("/buchungen")  # the password alone is no login
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")

    log_in(page, email, password)
    page.get_by_label("Bestätigungscode").fill(app_code(secret))
    page.get_by_role("button", name="Bestätigen").click()
    expect(page).to_have_title(re.compile("^Start"))
    expect(
        page.get_by_role("navigation").get_by_role("link", name="Buchungen", exact=True)
    ).to_be_visible()
