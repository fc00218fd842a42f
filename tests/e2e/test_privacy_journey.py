"""Datenschutz in einem echten Browser: das Mitglied lädt „Meine Daten“ herunter (die JSON-Datei
enthält seinen Namen); die Kassenwartin löscht eine ehemalige Mitgliedin auf deren Antrag: die
Bestätigungsseite nennt, was gelöscht und was bis 31.12.2036 gesperrt wird, und danach steht sie
nicht mehr in der Mitgliederliste."""

import json
from datetime import date

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from supportclub.auth.models import User
from supportclub.extensions import db
from tests.e2e.test_dues_journey import log_out
from tests.e2e.test_ledger_journey import go_to, log_in

pytestmark = pytest.mark.e2e


def seed(live_server) -> int:
    """Mia (running membership, the member login) and Erika (left at the end of 2024, her dues
    paid, a donation with its receipt). Returns Erika's person id."""
    from tests.factories import make_member
    from tests.privacy.helpers import former_member

    with live_server.app.app_context():
        mia = make_member(first_name="Mia", last_name="Mitglied", start_date=date(2022, 1, 1))
        user = db.session.execute(
            select(User).filter_by(email=live_server.emails["member"])
        ).scalar_one()
        user.person_id = mia.id
        erika = former_member(login=False)
        db.session.commit()
        return erika.person.id


def test_member_exports_and_treasurer_erases(page: Page, live_server, tmp_path):
    erika_id = seed(live_server)

    # das Mitglied lädt seine Daten herunter
    log_in(page, live_server.emails["member"], live_server.password)
    go_to(page, "Mein Konto")
    expect(page.get_by_test_id("my-data-pdf")).to_have_text("Meine Daten herunterladen")
    with page.expect_download() as download_info:
        page.get_by_test_id("my-data-json").click()
    download = download_info.value
    assert download.suggested_filename.startswith("auskunft-")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    master = data["categories"]["master_data"]["data"]
    assert (master["first_name"], master["last_name"]) == ("Mia", "Mitglied")
    assert "Ehemalig" not in path.read_text(encoding="utf-8")
    log_out(page)

    # die Kassenwartin findet Erika unter den ehemaligen Mitgliedern
    log_in(page, live_server.emails["treasurer"], live_server.password)
    go_to(page, "Mitglieder")
    page.goto("/mitglieder?status=alle")
    page.get_by_role("link", name="Ehemalig, Erika").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ehemalig, Erika")
    page.get_by_role("link", name="Daten löschen …").click()

    # die Bestätigungsseite: was gelöscht, was gesperrt wird
    expect(page.get_by_role("heading", level=1)).to_contain_text("Daten löschen")
    expect(page.get_by_role("heading", name="wird gelöscht")).to_be_visible()
    expect(page.get_by_test_id("deleted")).to_contain_text("Telefonnummer")
    expect(page.get_by_test_id("locked-until")).to_have_text("wird gesperrt bis 31.12.2036")
    expect(page.get_by_test_id("locked")).to_contain_text("Buchungen: 2")

    # ohne Bestätigung geht nichts
    page.get_by_label("Grund der Löschung").fill("Antrag per Brief vom 20.11.2026")
    page.get_by_role("button", name="Endgültig löschen und sperren").click()
    expect(page.get_by_text("Bitte die Löschung bestätigen.")).to_be_visible()

    page.get_by_label("Ich habe geprüft").check()
    page.get_by_role("button", name="Endgültig löschen und sperren").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Datenschutz")
    expect(page.get_by_text("Die Daten wurden gelöscht und der Rest gesperrt.")).to_be_visible()
    row = page.get_by_test_id("locked").locator(f'tr[data-person="{erika_id}"]')
    expect(row).to_contain_text("31.12.2036")
    expect(row).to_contain_text("Antrag per Brief vom 20.11.2026")

    # in der Mitgliederliste steht sie nicht mehr, Mia schon
    page.goto("/mitglieder?status=alle")
    expect(page.get_by_role("link", name="Mitglied, Mia")).to_be_visible()
    expect(page.get_by_role("link", name="Ehemalig, Erika")).to_have_count(0)
