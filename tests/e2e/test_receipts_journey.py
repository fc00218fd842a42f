"""Receipts in a real browser: the treasurer issues last year's receipts in one run and watches
its progress, opens a PDF, revokes it with a reason and issues the replacement; the donor
downloads their own receipt in "Mein Konto"; another member gets "Kein Zugriff" for it."""

from datetime import date
from io import BytesIO

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader
from sqlalchemy import select

from supportclub.clock import today
from tests.e2e.test_dues_journey import log_out
from tests.e2e.test_ledger_journey import go_to, log_in

pytestmark = pytest.mark.e2e

OTHER_MEMBER = "zweites.mitglied@example.org"


def seed_donors(live_server, year: int) -> None:
    """Receipt settings; the member login's person gave twice, another person once."""
    from supportclub.auth.models import User
    from supportclub.extensions import db
    from tests.factories import (
        make_contribution,
        make_person,
        make_receipt_settings,
        make_user,
    )

    with live_server.app.app_context():
        make_receipt_settings()
        donor = make_person(first_name="Erika", last_name="Mustermann", street="Am Anger 3")
        make_contribution(donor, 12000, booking_date=date(year, 3, 14))
        make_contribution(donor, 4800, kind="dues", booking_date=date(year, 1, 31))
        other = make_person(first_name="Otto", last_name="Beispiel")
        make_contribution(other, 2500, booking_date=date(year, 6, 1))
        user = db.session.execute(
            select(User).filter_by(email=live_server.emails["member"])
        ).scalar_one()
        user.person_id = donor.id
        db.session.commit()
        make_user(
            role="member", email=OTHER_MEMBER, password=live_server.password, person_id=other.id
        )


def pdf_text(page: Page, url: str) -> str:
    """Fetch a PDF with the browser's session and return its text (or fail on non-200)."""
    response = page.request.get(url)
    assert response.status == 200, (url, response.status)
    assert response.headers["content-type"] == "application/pdf"
    reader = PdfReader(BytesIO(response.body()))
    return " ".join(" ".join(p.extract_text().split()) for p in reader.pages)


def test_year_run_revoke_replace_and_donor_download(page: Page, live_server):
    year = today().year - 1
    seed_donors(live_server, year)

    # the treasurer previews last year's run: who gets what
    log_in(page, live_server.emails["treasurer"], live_server.password)
    go_to(page, "Zuwendungsbestätigungen")
    page.get_by_role("link", name=f"Zuwendungsbestätigungen {year} erstellen").click()
    planned = page.get_by_test_id("planned")
    expect(planned.get_by_role("row", name="Mustermann")).to_contain_text("168,00 €")
    expect(planned.get_by_role("row", name="Beispiel")).to_contain_text("25,00 €")

    # starts it, sees the progress page and the summary
    page.get_by_test_id("start").get_by_role(
        "button", name=f"Zuwendungsbestätigungen {year} erstellen"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Zuwendungsbestätigungen {year}")
    expect(page.get_by_test_id("progress")).to_be_visible()
    expect(page.get_by_test_id("summary")).to_contain_text(
        "2 Zuwendungsbestätigungen ausgestellt", timeout=30_000
    )

    # opens Erika's Sammelbestätigung (numbered by name: Beispiel 0001, Mustermann 0002) and its PDF
    go_to(page, "Zuwendungsbestätigungen")
    page.get_by_role("link", name=f"{year}-0002").click()
    expect(page.get_by_test_id("receipt")).to_contain_text("Erika Mustermann")
    pdf_url = page.get_by_role("link", name="PDF öffnen").get_attribute("href")
    text = pdf_text(page, pdf_url)
    assert "Sammelbestätigung über Geldzuwendungen/Mitgliedsbeiträge" in text
    assert f"Nr. {year}-0002" in text and "168,00 €" in text
    assert "einhundertachtundsechzig Euro" in text

    # the address was wrong: revoke with a reason, then issue the replacement
    page.get_by_role("link", name="Stornieren").click()
    page.get_by_label("Grund der Stornierung").fill("Hausnummer falsch")
    page.get_by_role("button", name="Stornieren").click()
    expect(page.get_by_test_id("revoked")).to_contain_text("Hausnummer falsch")
    page.get_by_role("button", name="Neu ausstellen").click()
    expect(page.get_by_test_id("replaces")).to_contain_text(f"{year}-0002")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{year}-0003")
    assert "STORNIERT" in pdf_text(page, pdf_url)  # the old one stays on file, stamped
    log_out(page)

    # Erika downloads her receipt in "Mein Konto"
    log_in(page, live_server.emails["member"], live_server.password)
    page.get_by_role("navigation").get_by_role("link", name="Mein Konto").click()
    page.get_by_role("link", name="Meine Zuwendungsbestätigungen").click()
    rows = page.get_by_test_id("portal-receipts")
    expect(rows.locator(f'tr[data-receipt="{year}-0003"]')).to_contain_text("gültig")
    expect(rows.locator(f'tr[data-receipt="{year}-0002"]')).to_contain_text("storniert")
    own_url = (
        rows.locator(f'tr[data-receipt="{year}-0003"]')
        .get_by_role("link", name="PDF herunterladen")
        .get_attribute("href")
    )
    assert "Erika Mustermann" in pdf_text(page, own_url)
    log_out(page)

    # another member cannot fetch it
    log_in(page, OTHER_MEMBER, live_server.password)
    response = page.goto(own_url)
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kein Zugriff")
