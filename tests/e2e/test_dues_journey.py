"""Dues in a real browser: the treasurer runs the dues and books a payment; the member sees it
in "Mein Konto" and changes the address; the treasurer sees the change in the history."""

from datetime import date

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from supportclub.auth.models import User
from supportclub.clock import today
from supportclub.dues.models import DuesClaim
from supportclub.extensions import db
from tests.e2e.test_ledger_journey import go_to, log_in

pytestmark = pytest.mark.e2e


def seed_member(live_server) -> tuple[int, int]:
    """A membership type (48 €) and a member linked to the member login; (person id, number)."""
    from supportclub.members.services import add_fee_rate, create_membership_type, join
    from tests.factories import make_person

    with live_server.app.app_context():
        mtype = create_membership_type(code="regular", name="Regulär", actor=None)
        add_fee_rate(mtype, valid_from=date(2009, 1, 1), amount_cents=4800, actor=None)
        person = make_person(
            first_name="Jana",
            last_name="Kowalski",
            street="Lutherstraße 5",
            postal_code="07743",
            city="Jena",
            email="jana@example.org",
        )
        join(person, membership_type_id=mtype.id, start_date=date(2020, 1, 1), actor=None)
        user = db.session.execute(
            select(User).filter_by(email=live_server.emails["member"])
        ).scalar_one()
        user.person_id = person.id
        db.session.commit()
        return person.id, person.member_number


def log_out(page: Page) -> None:
    """Use the logout button."""
    page.get_by_role("button", name="Abmelden").click()


def test_dues_run_payment_portal_and_history(page: Page, live_server):
    person_id, number = seed_member(live_server)
    year = today().year

    # the treasurer runs this year's dues: preview first, then the run
    log_in(page, live_server.emails["treasurer"], live_server.password)
    go_to(page, "Beiträge")
    page.get_by_role("link", name="Beitragslauf").first.click()
    page.get_by_label("Jahr").first.fill(str(year))
    page.get_by_role("button", name="Vorschau").click()
    expect(page.get_by_test_id("plan-count")).to_have_text("1")
    expect(page.get_by_test_id("plan-total")).to_contain_text("48,00 €")
    page.get_by_role("button", name="Beitragslauf ausführen").click()
    expect(page.get_by_role("alert").first).to_contain_text("1 Forderung")

    # the member's page shows the open claim; the treasurer books the bank payment against it
    go_to(page, "Mitglieder")
    page.get_by_label("Suche").fill(str(number))
    page.get_by_role("button", name="Suchen").click()
    page.get_by_role("link", name="Kowalski, Jana").click()
    expect(page.get_by_test_id("balance-open")).to_have_text("48,00 €")
    page.get_by_test_id("actions").get_by_role("link", name="Zahlung erfassen").click()
    page.get_by_label("Gezahlter Betrag").fill("48,00")
    page.get_by_label("Konto").select_option(label="Bank (Girokonto)")
    page.get_by_role("button", name="Zahlung buchen").click()
    expect(page.get_by_role("alert").first).to_contain_text("48,00 €")
    expect(page.get_by_test_id("balance-open")).to_have_text("0,00 €")
    expect(page.get_by_test_id("claims")).to_contain_text("bezahlt")
    with live_server.app.app_context():
        claim = db.session.execute(select(DuesClaim)).scalar_one()
        assert (claim.year, claim.amount_cents) == (year, 4800)
    log_out(page)

    # the member sees the payment in "Mein Konto" and changes the address
    log_in(page, live_server.emails["member"], live_server.password)
    page.get_by_role("navigation").get_by_role("link", name="Mein Konto").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mein Konto")
    expect(page.get_by_role("main")).to_contain_text("bezahlt")
    expect(page.get_by_role("main")).to_contain_text("48,00 €")
    page.get_by_role("link", name="Daten ändern").click()
    page.get_by_label("Straße und Hausnummer").fill("Saalbahnhofstraße 12")
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_role("main")).to_contain_text("Saalbahnhofstraße 12")
    log_out(page)

    # the treasurer finds the change in the member's history, marked as made by the member
    log_in(page, live_server.emails["treasurer"], live_server.password)
    page.goto(f"/mitglieder/{person_id}")
    history = page.get_by_test_id("history")
    expect(history).to_contain_text("vom Mitglied geändert")
    expect(history).to_contain_text("Lutherstraße 5")
    expect(history).to_contain_text("Saalbahnhofstraße 12")
