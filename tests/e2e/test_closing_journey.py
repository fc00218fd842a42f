"""The year-end closing in a real browser, in German: the treasurer reviews last year's
checklist, confirms the hints and closes the year; a booking dated in it is refused afterwards;
the auditor sees the closing."""

from datetime import date

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from supportclub.clock import today
from supportclub.extensions import db
from supportclub.ledger.models import Booking, ClosedYear
from tests.factories import make_booking

pytestmark = pytest.mark.e2e

LAST = today().year - 1


def log_in(page: Page, email: str, password: str) -> None:
    """Fill the login form and send it."""
    page.goto("/")
    page.get_by_label("E-Mail").fill(email)
    page.get_by_label("Passwort", exact=True).fill(password)
    page.get_by_role("button", name="Anmelden").click()


def bookings_in_last_year(live_server) -> int:
    """How many bookings are dated in last year."""
    with live_server.app.app_context():
        return db.session.execute(
            select(func.count(Booking.id)).where(
                Booking.booking_date.between(date(LAST, 1, 1), date(LAST, 12, 31))
            )
        ).scalar_one()


def test_treasurer_closes_last_year_and_the_auditor_sees_it(page: Page, live_server):
    with live_server.app.app_context():
        make_booking(2500, booking_date=date(LAST, 3, 1), text="Spende Frühjahr")
        make_booking(700, account="cash", booking_date=date(LAST, 11, 2), text="Kuchenverkauf")

    log_in(page, live_server.emails["treasurer"], live_server.password)
    expect(page.get_by_test_id("who")).to_contain_text(live_server.emails["treasurer"])
    page.goto("/jahresabschluss")
    expect(page.get_by_role("heading", level=1)).to_have_text("Jahresabschluss")
    row = page.get_by_test_id(f"year-{LAST}")
    expect(row).to_contain_text("offen")
    expect(row).to_contain_text("32,00 €")
    row.get_by_role("link", name=f"Checkliste {LAST}").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Jahresabschluss {LAST}")
    expect(page.get_by_test_id("item-year_over")).to_contain_text("in Ordnung")
    expect(page.get_by_test_id("item-bank_lines")).to_contain_text(
        "Alle Bankumsätze des Jahres sind gebucht."
    )
    hint = page.get_by_test_id("item-bank_balance")
    expect(hint).to_contain_text("Hinweis")
    expect(hint).to_contain_text(f"Kein Kontoauszug bis zum 31.12.{LAST} importiert")
    expect(hint).to_contain_text("25,00 €")

    # closing without the confirmation is refused
    page.get_by_role("button", name=f"Jahr {LAST} festschreiben").click()
    expect(
        page.get_by_text("Bitte bestätigen Sie, dass Sie die Hinweise geprüft haben")
    ).to_be_visible()
    expect(page.get_by_test_id("status")).to_have_text("offen")

    page.get_by_label("Ich habe die Hinweise geprüft").check()
    page.get_by_label("Bemerkung").fill("Kassenprüfung am 20. Januar")
    page.get_by_role("button", name=f"Jahr {LAST} festschreiben").click()
    expect(page.get_by_role("alert").first).to_contain_text(f"Das Jahr {LAST} ist festgeschrieben.")
    expect(page.get_by_test_id("status")).to_have_text("festgeschrieben")
    expect(page.get_by_test_id("note")).to_contain_text("Kassenprüfung am 20. Januar")
    expect(page.get_by_test_id("closed-accounts")).to_contain_text("25,00 €")
    expect(page.get_by_test_id("closed-accounts")).to_contain_text("7,00 €")
    with live_server.app.app_context():
        assert db.session.get(ClosedYear, LAST) is not None

    # a booking dated in the closed year is refused at its date
    before = bookings_in_last_year(live_server)
    page.goto("/buchungen/neu")
    page.get_by_label("Einnahme").check()
    page.get_by_label("Datum", exact=True).fill(f"{LAST}-12-31")
    page.get_by_label("Betrag", exact=True).fill("10,00")
    page.get_by_label("Konto").select_option(label="Bank (Girokonto)")
    page.get_by_label("Buchungstext").fill("Nachzügler")
    line = page.get_by_role("group", name="Position 1")
    line.get_by_label("Kategorie").select_option(label="Spenden")
    line.get_by_label("Fonds").select_option(label="Allgemeiner Fonds (frei)")
    page.get_by_role("button", name="Buchung speichern").click()
    expect(page.get_by_text(f"Das Jahr {LAST} ist abgeschlossen (festgeschrieben)")).to_be_visible()
    assert bookings_in_last_year(live_server) == before

    page.get_by_role("button", name="Abmelden").click()
    expect(page.get_by_role("alert")).to_contain_text("Sie sind abgemeldet.")

    log_in(page, live_server.emails["auditor"], live_server.password)
    expect(page.get_by_test_id("who")).to_contain_text(live_server.emails["auditor"])
    page.goto("/jahresabschluss")
    row = page.get_by_test_id(f"year-{LAST}")
    expect(row).to_contain_text("festgeschrieben")
    expect(row).to_contain_text(live_server.emails["treasurer"])
    row.get_by_role("link", name="Abschluss ansehen").click()
    expect(page.get_by_test_id("closed-info")).to_contain_text("Festgeschrieben am")
    expect(page.get_by_test_id("checklist")).to_contain_text("Kontostand Bank zum 31.12.")
    expect(page.get_by_role("button", name=f"Jahr {LAST} festschreiben")).to_have_count(0)
