"""The auditor in a real browser: opens "Prüfung", checks the audit trail's chain ("Kette
intakt", the head hash to note down), and downloads last year's export, whose manifest lists the
bookings."""

import json
import zipfile
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from supportclub.clock import today
from supportclub.extensions import db
from tests.e2e.test_ledger_journey import go_to, log_in

pytestmark = pytest.mark.e2e


def seed(live_server) -> int:
    """Two bookings of last year (one with an umlaut in its text); returns that year."""
    from tests.factories import make_booking

    year = today().year - 1
    with live_server.app.app_context():
        make_booking(4200, booking_date=date(year, 3, 14), text="Spende Frühlingsfest")
        make_booking(-1500, category="admin_cost", booking_date=date(year, 4, 1), text="Porto")
        db.session.remove()
    return year


def test_auditor_checks_the_chain_and_downloads_the_year(page: Page, live_server, tmp_path):
    year = seed(live_server)
    log_in(page, live_server.emails["auditor"], live_server.password)
    go_to(page, "Prüfung")

    page.get_by_role("link", name="Kette prüfen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Protokoll-Kette")
    expect(page.get_by_test_id("chain-result")).to_contain_text("Kette intakt")
    head = page.get_by_test_id("head-hash").inner_text()
    assert len(head) == 64
    page.get_by_role("link", name="Zurück zur Prüfung").click()

    expect(page.get_by_label("Jahr", exact=True)).to_have_value(str(year))
    with page.expect_download() as info:
        page.get_by_role("link", name="Export herunterladen (ZIP)").click()
    download = info.value
    assert download.suggested_filename == f"supportclub-{year}-export.zip"
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    with zipfile.ZipFile(target) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        bookings = archive.read("buchungen.csv").decode("utf-8-sig")
    files = {entry["name"]: entry for entry in manifest["files"]}
    assert files["buchungen.csv"]["rows"] == 2
    assert "Spende Frühlingsfest" in bookings
    assert manifest["created_by"] == live_server.emails["auditor"]
