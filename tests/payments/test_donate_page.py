"""The public donation page: what a donor sees and enters, what the app asks Stripe for, and the
thank-you page that says "bezahlt" only after the webhook confirmed it."""

import re
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import func, select

from supportclub.admin.services import get_settings, set_bank_iban
from supportclub.extensions import limiter
from supportclub.ledger.models import Booking, Fund
from supportclub.payments.models import OnlinePayment, PaymentStatus
from tests.conftest import login
from tests.factories import make_person, make_project, make_user
from tests.payments.conftest import deliver_all, new_events

ASSOCIATION = "Förderverein Lindenschule"
DONOR = {
    "first_name": "Erika",
    "last_name": "Spenderin",
    "street": "Lindenweg 3",
    "postal_code": "07743",
    "city": "Jena",
    "email": "erika@example.org",
}


@pytest.fixture(autouse=True)
def _fresh_rate_limit(app):
    """Each test starts with an empty rate-limit window (the POST allows 20 per minute)."""
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture
def settings(db):
    """The association's name and the donation page settings."""
    settings = get_settings()
    settings.name = ASSOCIATION
    settings.donation_amounts = "10,25,50,100"
    settings.donation_page_text = "Ihre Spende hilft der Schulbibliothek.\n\nDanke!"
    db.session.commit()
    return settings


def count(db, model) -> int:
    """Rows of a table."""
    return db.session.scalar(select(func.count()).select_from(model))


def creates(fake) -> list:
    """The Checkout Session create requests the app sent to the fake."""
    return fake.requests_to("POST", "/v1/checkout/sessions")


def form(**overrides) -> dict:
    """A complete donation form: 50 € from the suggestions, donor with address."""
    data = {"preset": "5000", "amount": "", "fund_id": "", **DONOR}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def field_error(page: str, field: str) -> str:
    """The error text shown at a field."""
    match = re.search(rf'id="{field}-error">(.*?)</div>', page, re.S)
    assert match, f"no error at {field}"
    return re.sub(r"\s+", " ", match.group(1)).strip()


def token_of(response) -> str:
    """The token of the payment a redirect to Checkout was made for (the newest payment)."""
    from supportclub.extensions import db

    return db.session.scalars(select(OnlinePayment).order_by(OnlinePayment.id.desc())).first().token


# Without Stripe ---------------------------------------------------------------------------------


def test_without_stripe_the_page_shows_the_bank_account_and_no_form(db, client, settings):
    set_bank_iban("DE89370400440532013000", actor=None)
    db.session.commit()
    page = client.get("/spende").get_data(as_text=True)
    assert "Online-Spenden sind bei uns noch nicht eingerichtet." in page
    assert "DE89 3704 0044 0532 0130 00" in page
    assert ASSOCIATION in page
    assert 'data-testid="donation-form"' not in page and 'name="preset"' not in page
    response = client.post("/spende", data=form())
    assert response.status_code == 200
    assert count(db, OnlinePayment) == 0


def test_without_stripe_and_without_iban_the_page_says_whom_to_ask(client, settings):
    page = client.get("/spende").get_data(as_text=True)
    assert "Bitte wenden Sie sich an den Verein" in page


# The page -----------------------------------------------------------------------------------


def test_page_offers_suggested_amounts_open_projects_and_explains_privacy(
    client, settings, stripe_fake
):
    project = make_project("Leseecke")
    page = client.get("/spende").get_data(as_text=True)
    assert re.findall(r'name="preset"[^>]*value="(\d+)"', page) == ["1000", "2500", "5000", "10000"]
    assert ">50 €</label>" in page and "Anderer Betrag in Euro" in page
    assert "Ihre Spende hilft der Schulbibliothek." in page and "<p>Danke!</p>" in page
    assert f'<option value="{project.fund_id}">Leseecke</option>' in page
    assert "frei (allgemeiner Fonds)" in page
    for label in (
        "Ich spende als Firma/Organisation",
        "Ich möchte eine Zuwendungsbestätigung",
        "anonym spenden",
        "Straße und Hausnummer",
    ):
        assert label in page
    assert "Datenschutz" in page and "Stripe" in page
    assert "css/donate.css" in page and "<script>" not in page
    assert 'name="viewport"' in page


def test_the_embeddable_link_prefills_amount_and_project(client, settings, stripe_fake):
    project = make_project("Leseecke")
    page = client.get(f"/spende?betrag=50&projekt={project.fund_id}").get_data(as_text=True)
    assert re.search(r'<input[^>]* checked [^>]*name="preset"[^>]*value="5000"', page)
    assert f'<option selected value="{project.fund_id}">' in page
    page = client.get("/spende?betrag=12,50").get_data(as_text=True)
    assert 'value="12,50"' in page and not re.search(r'<input[^>]* checked [^>]*"preset"', page)


def test_a_cancelled_checkout_comes_back_to_the_filled_in_form(client, settings, stripe_fake):
    page = client.get("/spende?betrag=50%2C00&zahlung=abgebrochen").get_data(as_text=True)
    assert "Zahlung abgebrochen – es wurde nichts abgebucht." in page
    assert re.search(r'<input[^>]* checked [^>]*name="preset"[^>]*value="5000"', page)


# Starting a donation ----------------------------------------------------------------------------


def test_donation_opens_checkout_with_exactly_what_the_donor_chose(
    db, client, settings, stripe_fake
):
    project = make_project("Leseecke")
    response = client.post("/spende", data=form(fund_id=str(project.fund_id), wants_receipt="y"))
    assert response.status_code == 303
    payment = db.session.scalars(select(OnlinePayment)).one()
    assert response.headers["Location"] == payment.checkout_url
    assert payment.checkout_url.startswith(stripe_fake.base_url + "/checkout/pay/")
    assert payment.status == PaymentStatus.CREATED
    assert payment.amount_cents == 5000 and payment.fund_id == project.fund_id
    assert payment.wants_receipt and not payment.anonymous and payment.person_id is None
    assert payment.email == "erika@example.org"
    assert payment.donor["last_name"] == "Spenderin" and payment.donor["city"] == "Jena"
    assert count(db, Booking) == 0  # only the webhook books

    (request,) = creates(stripe_fake)
    params = request.params
    assert params["mode"] == "payment" and params["submit_type"] == "donate"
    assert params["locale"] == "de"
    assert params["customer_email"] == "erika@example.org"
    (item,) = params["line_items"]
    assert item["quantity"] == "1"
    assert item["price_data"]["currency"] == "eur"
    assert item["price_data"]["unit_amount"] == "5000"
    assert (
        item["price_data"]["product_data"]["name"]
        == f"Spende an {ASSOCIATION} für Projekt: Leseecke"
    )
    metadata = {"online_payment": str(payment.id), "supportclub_token": payment.token}
    assert params["metadata"] == metadata
    assert params["payment_intent_data"]["metadata"] == metadata
    assert params["success_url"] == f"http://localhost/spende/danke/{payment.token}"
    cancel = urlsplit(params["cancel_url"])
    assert (cancel.netloc, cancel.path) == ("localhost", "/spende")
    assert parse_qs(cancel.query) == {
        "betrag": ["50,00"],
        "projekt": [str(project.fund_id)],
        "zahlung": ["abgebrochen"],
    }


def test_a_free_amount_counts_instead_of_the_suggestion(db, client, settings, stripe_fake):
    response = client.post("/spende", data=form(preset="2500", amount="12,50"))
    assert response.status_code == 303
    assert db.session.scalars(select(OnlinePayment)).one().amount_cents == 1250
    assert creates(stripe_fake)[0].params["line_items"][0]["price_data"]["unit_amount"] == "1250"


def test_an_anonymous_donor_needs_no_name_or_address(db, client, settings, stripe_fake):
    data = {"preset": "", "amount": "20", "fund_id": "", "anonymous": "y", "email": ""}
    response = client.post("/spende", data=data)
    assert response.status_code == 303
    payment = db.session.scalars(select(OnlinePayment)).one()
    assert payment.anonymous and payment.amount_cents == 2000 and payment.email is None
    assert "customer_email" not in creates(stripe_fake)[0].params


def test_an_organisation_gives_under_its_name(db, client, settings, stripe_fake):
    data = form(organisation="y", first_name="Max", last_name="Bäckerei Korn GmbH")
    assert client.post("/spende", data=data).status_code == 303
    donor = db.session.scalars(select(OnlinePayment)).one().donor
    assert donor["organisation"] is True
    assert donor["last_name"] == "Bäckerei Korn GmbH" and donor["first_name"] == ""


def test_a_logged_in_member_gives_as_themself(app, db, settings, stripe_fake):
    person = make_person(first_name="Anna", last_name="Schmidt", email="anna.schmidt@example.org")
    client = login(app.test_client(), make_user(role="member", person_id=person.id))
    page = client.get("/spende").get_data(as_text=True)
    assert "Sie spenden als Anna Schmidt" in page
    assert 'name="last_name"' not in page and 'name="street"' not in page
    assert 'name="anonymous"' not in page
    response = client.post("/spende", data={"preset": "2500", "fund_id": ""})
    assert response.status_code == 303
    payment = db.session.scalars(select(OnlinePayment)).one()
    assert payment.person_id == person.id and payment.email == "anna.schmidt@example.org"
    assert creates(stripe_fake)[0].params["customer_email"] == "anna.schmidt@example.org"


# What the donor is told ---------------------------------------------------------------------------


def _closed_project():
    """A project that no longer takes earmarked donations."""
    from supportclub.extensions import db
    from supportclub.projects.services import close_project, reject_project

    project = make_project("Vorbei")
    reject_project(project, decided_on=date(2025, 3, 1), actor=None)
    close_project(project, closed_on=date(2025, 3, 2), actor=None)
    db.session.commit()
    return project


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"preset": "", "amount": "0"}, "amount", "Der Betrag muss größer als 0 sein."),
        ({"preset": "", "amount": "abc"}, "amount", "„abc“ ist kein gültiger Betrag."),
        ({"preset": "", "amount": "0,50"}, "amount", "Bitte mindestens 1,00 € spenden."),
        (
            {"preset": "", "amount": "25.000,01"},
            "amount",
            "Online sind höchstens 25.000,00 € möglich.",
        ),
        ({"preset": ""}, "amount", "Bitte einen Betrag wählen oder eingeben."),
        ({"email": ""}, "email", "Bitte Ihre E-Mail-Adresse angeben."),
        ({"last_name": ""}, "last_name", "Bitte einen Namen angeben"),
        (
            {"street": "", "postal_code": "", "city": "", "wants_receipt": "y"},
            "street",
            "Bitte Straße und Hausnummer angeben (für die Bestätigung).",
        ),
        ({"city": "", "wants_receipt": "y"}, "city", "Bitte den Ort angeben."),
        (
            {"anonymous": "y", "wants_receipt": "y"},
            "wants_receipt",
            "anonym ist keine Bestätigung möglich",
        ),
        ({"fund_id": "closed"}, "fund_id", "ist abgeschlossen; zweckgebundene Spenden"),
        ({"fund_id": "999999"}, "fund_id", "Dieser Zweck ist unbekannt."),
    ],
)
def test_a_mistake_is_shown_at_its_field_and_nothing_goes_to_stripe(
    db, client, settings, stripe_fake, overrides, field, message
):
    if overrides.get("fund_id") == "closed":
        overrides = {**overrides, "fund_id": str(_closed_project().fund_id)}
    response = client.post("/spende", data=form(**overrides))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in field_error(page, field)
    assert 'data-testid="donation-form"' in page
    assert count(db, OnlinePayment) == 0 and creates(stripe_fake) == []


@pytest.mark.parametrize("fault", ["connection", 500])
def test_stripe_down_gives_a_clear_message_and_writes_nothing(
    db, client, settings, stripe_fake, fault
):
    stripe_fake.fail_next(1, status=fault)
    response = client.post("/spende", data=form(amount="42"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    alert = re.search(r'data-testid="gateway-error">(.*?)</div>', page, re.S).group(1)
    assert "Stripe ist gerade nicht erreichbar" in alert and "nichts abgebucht" in alert
    assert 'value="42"' in page and 'value="Spenderin"' in page  # the form keeps the entries
    assert count(db, OnlinePayment) == 0 and count(db, Booking) == 0


def test_the_form_is_rate_limited(client, settings, stripe_fake):
    statuses = [client.post("/spende", data=form(amount="abc")).status_code for _ in range(21)]
    assert statuses[:20] == [200] * 20 and statuses[20] == 429
    assert client.get("/spende").status_code == 200  # reading the page is not limited


# Thank-you page and status ------------------------------------------------------------------------


def test_unknown_tokens_are_not_found(client, stripe_fake):
    assert client.get("/spende/danke/unbekannt").status_code == 404
    assert client.get("/spende/danke/" + "x" * 200).status_code == 404
    response = client.get("/zahlung/unbekannt/status")
    assert response.status_code == 404 and response.json == {"error": "not found"}


def test_the_thank_you_page_is_honest_until_the_webhook_confirms(db, client, settings, stripe_fake):
    project = make_project("Leseecke")
    client.post("/spende", data=form(fund_id=str(project.fund_id), wants_receipt="y"))
    payment = db.session.scalars(select(OnlinePayment)).one()

    # the donor pays on the (fake) hosted Checkout page and is sent back to the success URL
    checkout = requests.get(payment.checkout_url, timeout=10)
    assert checkout.status_code == 200 and "50,00 €" in checkout.text
    since = len(stripe_fake.events)
    paid = requests.post(
        f"{stripe_fake.base_url}/checkout/pay/{payment.checkout_session_id}/pay",
        data={"method": "card"},
        allow_redirects=False,
        timeout=10,
    )
    assert paid.status_code == 303
    back = urlsplit(paid.headers["Location"])
    assert back.path == f"/spende/danke/{payment.token}"

    page = client.get(back.path).get_data(as_text=True)
    assert "Zahlung wird bestätigt" in page and "Bezahlt" not in page
    assert 'data-final="false"' in page and "js/payment-status.js" in page
    assert f'data-status-url="/zahlung/{payment.token}/status"' in page
    assert "50,00 €" in page and "Leseecke" in page
    assert "Ihre Zuwendungsbestätigung erhalten Sie zu Beginn des nächsten Jahres." in page
    status = client.get(f"/zahlung/{payment.token}/status")
    assert status.json == {"status": "created", "label": "Zahlung wird bestätigt", "final": False}
    assert status.headers["Cache-Control"] == "no-store"

    deliver_all(client, new_events(stripe_fake, since))
    db.session.expire_all()
    page = client.get(back.path).get_data(as_text=True)
    assert "Bezahlt – vielen Dank!" in page and 'data-final="true"' in page
    assert client.get(f"/zahlung/{payment.token}/status").json == {
        "status": "succeeded",
        "label": "Bezahlt – vielen Dank!",
        "final": True,
    }
    # the project's fund got the full 50 €, the fee is a cost line on the general fund
    lines = {
        (line.fund_id, line.amount_cents > 0): line.amount_cents for line in payment.booking.lines
    }
    general = db.session.scalar(select(Fund.id).where(Fund.code == Fund.GENERAL))
    fee = payment.fee_cents
    assert fee > 0
    assert lines == {(project.fund_id, True): 5000, (general, False): -fee}
    assert payment.booking.amount_cents == 5000 - fee


def test_a_free_donation_without_receipt_wish_gets_no_receipt_note(
    db, client, settings, stripe_fake
):
    client.post("/spende", data=form(preset="", amount="30"))
    payment = db.session.scalars(select(OnlinePayment)).one()
    page = client.get(f"/spende/danke/{payment.token}").get_data(as_text=True)
    assert "frei (allgemeiner Fonds)" in page and "30,00 €" in page
    assert "Zuwendungsbestätigung erhalten Sie" not in page


def test_failed_and_expired_donations_say_so(db, client, settings, stripe_fake, app):
    app.config["STRIPE_PAYMENT_METHODS"] = "card,sepa_debit"
    try:
        client.post("/spende", data=form())
        client.post("/spende", data=form(preset="", amount="15"))
    finally:
        app.config["STRIPE_PAYMENT_METHODS"] = None
    failing, expiring = db.session.scalars(select(OnlinePayment).order_by(OnlinePayment.id))
    since = len(stripe_fake.events)
    stripe_fake.complete(failing.checkout_session_id, method="sepa_debit")
    stripe_fake.settle_sepa(failing.checkout_session_id, succeed=False)
    stripe_fake.expire(expiring.checkout_session_id)
    deliver_all(client, new_events(stripe_fake, since))
    db.session.expire_all()

    page = client.get(f"/spende/danke/{failing.token}").get_data(as_text=True)
    assert "Die Zahlung ist fehlgeschlagen." in page
    assert "insufficient funds" in page  # Stripe's reason
    assert "Zuwendungsbestätigung erhalten Sie" not in page
    assert 'data-testid="retry"' in page
    assert client.get(f"/zahlung/{failing.token}/status").json["final"] is True

    page = client.get(f"/spende/danke/{expiring.token}").get_data(as_text=True)
    assert "abgelaufen" in page
    retry = re.search(r'href="([^"]+)" data-testid="retry"', page).group(1)
    assert retry == "/spende?betrag=15,00"
    assert client.get(f"/zahlung/{expiring.token}/status").json == {
        "status": "expired",
        "label": "Die Zahlungsseite ist abgelaufen; es wurde nichts abgebucht.",
        "final": True,
    }
