"""Online payments in a real browser, against the local fake Stripe and its hosted Checkout page.

A member pays an open dues claim: "Jetzt online bezahlen" opens Checkout, the card payment
completes, Stripe's webhook reaches the app, the return page and "Mein Konto" say "bezahlt", and
the treasurer finds the booking with the dues line and Stripe's fee. A donor without a login gives
50 € for a project on the public page: the project's fund grows by the full 50 €, the fee is a
separate cost line on the general fund.
"""

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from supportclub.clock import today
from tests.e2e.test_dues_journey import log_out
from tests.e2e.test_ledger_journey import go_to, log_in
from tests.payments.conftest import API_KEY, WEBHOOK_SECRET, configure
from tests.stripe_fake.state import FakeStripe

pytestmark = pytest.mark.e2e


@pytest.fixture
def stripe_live(live_server):
    """The fake Stripe, delivering its webhooks to the running app."""
    fake = FakeStripe(
        api_key=API_KEY,
        webhook_url=f"{live_server.url}/stripe/webhook",
        webhook_secret=WEBHOOK_SECRET,
    )
    fake.start()
    configure(live_server.app, fake)
    try:
        yield fake
    finally:
        configure(live_server.app, None)
        fake.stop()


def seed(live_server) -> tuple[int, int, int]:
    """The member login's person with an open claim of this year; a project taking donations."""
    from supportclub.auth.models import User
    from supportclub.extensions import db
    from tests.factories import make_claim, make_member, make_project

    with live_server.app.app_context():
        person = make_member(first_name="Maria", last_name="Beitrag")
        claim = make_claim(person, today().year)
        user = db.session.execute(
            select(User).filter_by(email=live_server.emails["member"])
        ).scalar_one()
        user.person_id = person.id
        db.session.commit()
        project = make_project("Leseecke für die Kita")
        return claim.id, claim.amount_cents, project.fund_id


def sums(live_server, claim_id: int, fund_id: int) -> dict:
    """What the books say now (exact cents)."""
    from supportclub.extensions import db
    from supportclub.ledger.models import Account, Booking, BookingLine, Category, Fund

    with live_server.app.app_context():

        def total(*where) -> int:
            return db.session.scalar(
                select(func.coalesce(func.sum(BookingLine.amount_cents), 0))
                .join(Booking)
                .join(Category)
                .join(Fund)
                .where(*where)
            )

        stripe = db.session.scalar(select(Account.id).filter_by(code="stripe"))
        return {
            "claim": total(BookingLine.dues_claim_id == claim_id),
            "project": total(BookingLine.fund_id == fund_id),
            "fees": total(Category.code == "bank_fees", Fund.code == "general"),
            "stripe": db.session.scalar(
                select(func.coalesce(func.sum(Booking.amount_cents), 0)).where(
                    Booking.account_id == stripe
                )
            ),
        }


def test_member_pays_dues_and_donor_gives_for_a_project(page: Page, live_server, stripe_live):
    claim_id, claim_cents, fund_id = seed(live_server)
    password = live_server.password

    # The member pays the open claim by card through Checkout.
    log_in(page, live_server.emails["member"], password)
    go_to(page, "Mein Konto")
    row = page.locator(f'[data-claim="{claim_id}"]')
    expect(row).to_contain_text("offen")
    row.get_by_role("button", name="Jetzt online bezahlen").click()
    expect(page.get_by_text("Testzahlung – kein echtes Geld")).to_be_visible()
    page.get_by_role("button", name="Mit Karte bezahlen").click()
    expect(page.get_by_text("Bezahlt – vielen Dank!")).to_be_visible()
    go_to(page, "Mein Konto")
    expect(page.locator(f'[data-claim="{claim_id}"]')).to_contain_text("bezahlt")
    card_fee = 25 + (claim_cents * 15 + 500) // 1000
    assert sums(live_server, claim_id, fund_id) == {
        "claim": claim_cents,
        "project": 0,
        "fees": -card_fee,
        "stripe": claim_cents - card_fee,
    }
    log_out(page)

    # A donor without a login gives 50 € for the project on the public page.
    page.goto("/spende")
    page.get_by_text("50 €", exact=True).click()
    page.get_by_label("Wofür soll Ihre Spende verwendet werden?").select_option(
        label="Leseecke für die Kita"
    )
    page.get_by_label("Vorname").fill("Erika")
    page.get_by_label("Nachname bzw. Name der Firma/Organisation").fill("Spenderin")
    page.get_by_label("Straße und Hausnummer").fill("Lindenweg 3")
    page.get_by_label("Postleitzahl").fill("07743")
    page.get_by_label("Ort").fill("Jena")
    page.get_by_label("E-Mail").fill("erika.spenderin@example.org")
    page.get_by_label("Ich möchte eine Zuwendungsbestätigung").check()
    page.get_by_role("button", name="Weiter zur Zahlung").click()
    expect(page.get_by_text("50,00 €").first).to_be_visible()
    page.get_by_role("button", name="Mit Karte bezahlen").click()
    expect(page.get_by_text("Bezahlt – vielen Dank!")).to_be_visible()
    expect(page.get_by_text("Zuwendungsbestätigung erhalten Sie")).to_be_visible()
    after = sums(live_server, claim_id, fund_id)
    assert after["project"] == 5000  # the full 50 €
    assert after["fees"] == -card_fee - 100  # 1,00 € fee on the general fund
    assert after["stripe"] == claim_cents - card_fee + 5000 - 100

    # The treasurer sees both payments and, on the donation's page, its booking and fee.
    log_in(page, live_server.emails["treasurer"], password)
    go_to(page, "Online-Zahlungen")
    rows = page.get_by_test_id("payment-row")
    expect(rows).to_have_count(2)
    donation_row = rows.filter(has_text="Spenderin")
    expect(donation_row).to_contain_text("50,00 €")
    expect(donation_row).to_contain_text("1,00 €")
    donation_row.get_by_role("link").first.click()
    expect(page.get_by_test_id("fee")).to_have_text("1,00 €")
    booking = page.get_by_test_id("booking-row")
    expect(booking).to_have_count(1)
    expect(booking).to_contain_text("49,00 €")
    expect(booking).to_contain_text("aktuell")
