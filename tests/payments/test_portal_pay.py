"""Mein Konto: "Jetzt online bezahlen" per open claim or for all, the request Stripe gets, and the
return page that says "bezahlt" only once the webhook has confirmed the money."""

import re
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import func, select

from supportclub.dues.payments import Allocation, record_payment
from supportclub.ledger.models import Account, Booking, BookingLine
from supportclub.payments.models import OnlinePayment, PaymentStatus
from tests.conftest import login
from tests.factories import by_code, make_claim, make_member, make_user
from tests.payments.conftest import deliver_all, new_events

PAY_URL = "/mein-konto/beitraege/online-bezahlen"


def count(db, model) -> int:
    """Rows of a table."""
    return db.session.scalar(select(func.count()).select_from(model))


def creates(fake) -> list:
    """The Checkout Session create requests the app sent to the fake."""
    return fake.requests_to("POST", "/v1/checkout/sessions")


def cells(page: str, claim_id: int) -> list[str]:
    """The cell texts of a claim's row in the account page."""
    match = re.search(rf'<tr data-claim="{claim_id}">(.*?)</tr>', page, re.S)
    assert match, f"no row for claim {claim_id}"
    return [
        re.sub(r"<[^>]+>|\s+", " ", cell).strip()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", match.group(1), re.S)
    ]


def flashes(page: str) -> list[str]:
    """The flash messages at the top of a page."""
    return [
        re.sub(r"\s+", " ", text).strip()
        for text in re.findall(r'<div class="alert alert-\w+" role="alert">(.*?)</div>', page, re.S)
    ]


@pytest.fixture
def member(app, db):
    """A member (36 € a year) with open claims for 2024 and 2025 and a login."""
    person = make_member(first_name="Anna", last_name="Schmidt", email="anna@example.org")
    claims = [make_claim(person, 2024), make_claim(person, 2025)]
    client = login(app.test_client(), make_user(role="member", person_id=person.id))
    return person, claims, client


def paid_at_fake(fake, client, payment, *, method="card", deliver=True):
    """The member pays the payment's session at the fake; its events delivered (or not)."""
    since = len(fake.events)
    fake.complete(payment.checkout_session_id, method=method)
    if deliver:
        deliver_all(client, new_events(fake, since))


def the_payment(db) -> OnlinePayment:
    """The one online payment there is."""
    db.session.expire_all()
    return db.session.scalars(select(OnlinePayment)).one()


# Without Stripe -------------------------------------------------------------------------------


def test_without_stripe_the_account_page_has_no_payment_buttons(db, member):
    person, claims, client = member
    page = client.get("/mein-konto").get_data(as_text=True)
    assert "online bezahlen" not in page and "<th>Zahlung</th>" not in page
    assert len(cells(page, claims[0].id)) == 8  # the claims table as before
    response = client.post(PAY_URL, data={"claim_id": str(claims[0].id)})
    assert response.status_code == 302 and response.headers["Location"] == "/mein-konto"
    page = client.get("/mein-konto").get_data(as_text=True)
    assert "Online-Zahlungen sind nicht eingerichtet." in flashes(page)
    assert count(db, OnlinePayment) == 0


# Buttons and the request to Stripe ------------------------------------------------------------


def test_each_open_claim_and_all_of_them_have_a_button(db, member, stripe_fake):
    person, claims, client = member
    record_payment(
        person_id=person.id,
        booking_date=claims[0].due_date,
        account_id=by_code(Account, "bank").id,
        amount_cents=3600,
        allocations=[Allocation(claims[0].id, 3600)],
        actor=None,
    )
    db.session.commit()
    page = client.get("/mein-konto").get_data(as_text=True)
    assert "<th>Zahlung</th>" in page
    assert cells(page, claims[0].id)[-1] == "–"  # paid already
    assert cells(page, claims[1].id)[-1] == "Jetzt online bezahlen"
    assert f'name="claim_id" value="{claims[1].id}"' in page
    assert f'name="claim_id" value="{claims[0].id}"' not in page
    assert "Alle offenen Beiträge online bezahlen" in page


def test_paying_one_claim_opens_checkout_for_exactly_its_open_amount(db, member, stripe_fake):
    person, claims, client = member
    response = client.post(PAY_URL, data={"claim_id": str(claims[1].id)})
    assert response.status_code == 303
    payment = the_payment(db)
    assert response.headers["Location"] == payment.checkout_url
    assert payment.checkout_url.startswith(stripe_fake.base_url + "/checkout/pay/")
    assert payment.amount_cents == 3600 and payment.person_id == person.id
    assert [c.claim_id for c in payment.claims] == [claims[1].id]
    assert count(db, Booking) == 0

    (request,) = creates(stripe_fake)
    params = request.params
    assert params["mode"] == "payment" and params["submit_type"] == "pay"
    assert params["customer_email"] == "anna@example.org"
    (item,) = params["line_items"]
    assert item["price_data"]["currency"] == "eur"
    assert item["price_data"]["unit_amount"] == "3600"
    assert item["price_data"]["product_data"]["name"].startswith("Beitrag 2025 Anna Schmidt")
    assert params["metadata"] == {
        "online_payment": str(payment.id),
        "supportclub_token": payment.token,
    }
    assert params["success_url"] == f"http://localhost/mein-konto/zahlung/{payment.token}"
    assert params["cancel_url"] == "http://localhost/mein-konto?zahlung=abgebrochen"


def test_paying_all_open_claims_asks_for_their_sum(db, member, stripe_fake):
    person, claims, client = member
    assert client.post(PAY_URL, data={}).status_code == 303
    payment = the_payment(db)
    assert payment.amount_cents == 7200
    assert sorted(c.claim_id for c in payment.claims) == sorted(c.id for c in claims)
    items = creates(stripe_fake)[0].params["line_items"]
    assert [i["price_data"]["unit_amount"] for i in items] == ["3600", "3600"]
    assert [i["price_data"]["product_data"]["name"][:12] for i in items] == [
        "Beitrag 2024",
        "Beitrag 2025",
    ]


def test_a_second_click_reuses_the_open_checkout(db, member, stripe_fake):
    person, claims, client = member
    first = client.post(PAY_URL, data={"claim_id": str(claims[0].id)})
    second = client.post(PAY_URL, data={"claim_id": str(claims[0].id)})
    assert first.headers["Location"] == second.headers["Location"]
    assert count(db, OnlinePayment) == 1 and len(creates(stripe_fake)) == 1


@pytest.mark.parametrize("claim_id", ["abc", "other"])
def test_a_claim_that_is_not_open_for_the_member_is_refused(db, member, stripe_fake, claim_id):
    person, claims, client = member
    if claim_id == "other":
        claim_id = str(make_claim(make_member(), 2025).id)
    response = client.post(PAY_URL, data={"claim_id": claim_id})
    assert response.status_code == 302 and response.headers["Location"] == "/mein-konto"
    page = client.get("/mein-konto").get_data(as_text=True)
    assert "Dieser Beitrag ist nicht (mehr) offen. Bitte laden Sie die Seite neu." in flashes(page)
    assert count(db, OnlinePayment) == 0 and creates(stripe_fake) == []


@pytest.mark.parametrize("fault", ["connection", 500])
def test_stripe_down_gives_a_clear_message_and_writes_nothing(db, member, stripe_fake, fault):
    person, claims, client = member
    stripe_fake.fail_next(1, status=fault)
    response = client.post(PAY_URL, data={"claim_id": str(claims[0].id)})
    assert response.status_code == 302 and response.headers["Location"] == "/mein-konto"
    page = client.get("/mein-konto").get_data(as_text=True)
    assert '<div class="alert alert-danger" role="alert">' in page
    (message,) = flashes(page)
    assert "Stripe ist gerade nicht erreichbar" in message and "nichts gebucht" in message
    assert count(db, OnlinePayment) == 0 and count(db, Booking) == 0
    assert cells(page, claims[0].id)[-1] == "Jetzt online bezahlen"  # try again later


def test_cancelling_on_checkout_says_nothing_was_charged(member, stripe_fake):
    person, claims, client = member
    response = client.get("/mein-konto?zahlung=abgebrochen")
    assert response.status_code == 302 and response.headers["Location"] == "/mein-konto"
    page = client.get("/mein-konto").get_data(as_text=True)
    assert flashes(page) == ["Zahlung abgebrochen – es wurde nichts abgebucht."]
    page = client.get("/mein-konto").get_data(as_text=True)
    assert flashes(page) == []  # once


# The return page --------------------------------------------------------------------------------


def test_back_from_checkout_before_the_webhook_the_page_says_it_is_being_confirmed(
    db, member, stripe_fake
):
    person, claims, client = member
    client.post(PAY_URL, data={"claim_id": str(claims[1].id)})
    payment = the_payment(db)
    paid_at_fake(stripe_fake, client, payment, deliver=False)
    assert stripe_fake.get(payment.checkout_session_id)["status"] == "complete"
    page = client.get(f"/mein-konto/zahlung/{payment.token}").get_data(as_text=True)
    assert "Zahlung wird bestätigt" in page
    assert "Bezahlt" not in page and "bezahlt –" not in page.lower()
    assert 'data-final="false"' in page and "js/payment-status.js" in page
    assert "<script>" not in page  # no inline script (CSP)
    assert the_payment(db).status == PaymentStatus.CREATED


def test_pay_end_to_end_through_checkout_and_the_webhook(db, member, stripe_fake):
    person, claims, client = member
    response = client.post(PAY_URL, data={"claim_id": str(claims[1].id)})
    payment = the_payment(db)

    # the member pays on the (fake) hosted Checkout page and is sent back to the success URL
    assert "36,00 €" in requests.get(response.headers["Location"], timeout=10).text
    since = len(stripe_fake.events)
    paid = requests.post(
        f"{stripe_fake.base_url}/checkout/pay/{payment.checkout_session_id}/pay",
        data={"method": "card"},
        allow_redirects=False,
        timeout=10,
    )
    back = urlsplit(paid.headers["Location"])
    assert back.path == f"/mein-konto/zahlung/{payment.token}"
    assert "Zahlung wird bestätigt" in client.get(back.path).get_data(as_text=True)

    deliver_all(client, new_events(stripe_fake, since))
    page = client.get(back.path).get_data(as_text=True)
    assert "Bezahlt – vielen Dank!" in page and "36,00 €" in page
    assert 'data-final="true"' in page
    status = client.get(f"/zahlung/{payment.token}/status").json
    assert status == {"status": "succeeded", "label": "Bezahlt – vielen Dank!", "final": True}

    account = client.get("/mein-konto").get_data(as_text=True)
    row = cells(account, claims[1].id)
    assert row[-2:] == ["bezahlt", "–"] and row[-3] == "0,00 €"
    paid_on_claim = db.session.scalar(
        select(func.sum(BookingLine.amount_cents)).where(BookingLine.dues_claim_id == claims[1].id)
    )
    assert paid_on_claim == 3600


def test_a_debit_being_confirmed_blocks_a_second_payment(app, db, member, stripe_fake):
    person, claims, client = member
    app.config["STRIPE_PAYMENT_METHODS"] = "card,sepa_debit"
    try:
        client.post(PAY_URL, data={"claim_id": str(claims[0].id)})
    finally:
        app.config["STRIPE_PAYMENT_METHODS"] = None
    payment = the_payment(db)
    paid_at_fake(stripe_fake, client, payment, method="sepa_debit")
    assert the_payment(db).status == PaymentStatus.PENDING

    page = client.get("/mein-konto").get_data(as_text=True)
    assert cells(page, claims[0].id)[-1] == "Zahlung wird bestätigt"
    assert cells(page, claims[1].id)[-1] == "Jetzt online bezahlen"
    assert "Alle offenen Beiträge online bezahlen" not in page
    assert f'name="claim_id" value="{claims[0].id}"' not in page
    assert "Zahlung wird bestätigt" in client.get(f"/mein-konto/zahlung/{payment.token}").get_data(
        as_text=True
    )
    assert client.get(f"/zahlung/{payment.token}/status").json == {
        "status": "pending",
        "label": "Zahlung wird bestätigt",
        "final": False,
    }

    # pressing "all" anyway (an old page) is refused: nothing is paid twice
    response = client.post(PAY_URL, data={})
    assert response.headers["Location"] == "/mein-konto"
    assert count(db, OnlinePayment) == 1
    assert "Bitte zahlen Sie nicht doppelt." in " ".join(
        flashes(client.get("/mein-konto").get_data(as_text=True))
    )

    # the bank refuses the debit: the member reads why, and may pay again
    since = len(stripe_fake.events)
    stripe_fake.settle_sepa(payment.checkout_session_id, succeed=False)
    deliver_all(client, new_events(stripe_fake, since))
    page = client.get(f"/mein-konto/zahlung/{payment.token}").get_data(as_text=True)
    assert "Die Zahlung ist fehlgeschlagen." in page and "insufficient funds" in page
    page = client.get("/mein-konto").get_data(as_text=True)
    assert cells(page, claims[0].id)[-1] == "Jetzt online bezahlen"


def test_the_return_page_belongs_to_its_member_only(app, db, member, stripe_fake, clients):
    person, claims, client = member
    client.post(PAY_URL, data={"claim_id": str(claims[0].id)})
    url = f"/mein-konto/zahlung/{the_payment(db).token}"
    assert client.get(url).status_code == 200
    other = make_member()
    make_claim(other, 2025)
    other_client = login(app.test_client(), make_user(role="member", person_id=other.id))
    assert other_client.get(url).status_code == 404
    assert clients["treasurer"].get(url).status_code == 403  # a login without member record
    assert "/anmelden" in clients["anonymous"].get(url).headers["Location"]
    assert client.get("/mein-konto/zahlung/unbekannt").status_code == 404
