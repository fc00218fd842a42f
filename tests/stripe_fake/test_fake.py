"""The Stripe fake itself, driven through the real ``stripe`` library (no app, no database)."""

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
import stripe
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.stripe_fake import FakeStripe, FakeStripeError, sign
from tests.stripe_fake.checkout_page import format_amount
from tests.stripe_fake.objects import card_fee
from tests.stripe_fake.params import decode
from tests.stripe_fake.webhooks import payload_of

SECRET = "whsec_test_secret"
ROOT = Path(__file__).resolve().parents[2]


class Receiver:
    """A tiny webhook endpoint that verifies signatures like the app will."""

    def __init__(self):
        """Listen on a free port and collect verified events."""
        self.events: list[dict] = []
        self.rejected = 0
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.socket.getsockname()[1]}/webhook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def app(self, environ, start_response):
        """Accept a correctly signed event (200) or refuse it (400)."""
        request = Request(environ)
        payload = request.get_data()
        try:
            event = stripe.Webhook.construct_event(
                payload, request.headers.get("Stripe-Signature"), SECRET
            )
        except (stripe.SignatureVerificationError, ValueError):
            self.rejected += 1
            return Response("bad signature", 400)(environ, start_response)
        self.events.append(event.to_dict())
        return Response("ok")(environ, start_response)

    @property
    def types(self) -> list[str]:
        """Return the types of the received events, in order."""
        return [event["type"] for event in self.events]

    def close(self):
        """Stop listening."""
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def receiver():
    """One webhook receiver for the module."""
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def fake(receiver):
    """A running fake that delivers to the receiver."""
    receiver.events.clear()
    receiver.rejected = 0
    with FakeStripe(webhook_url=receiver.url, webhook_secret=SECRET) as fake:
        yield fake


@pytest.fixture
def client(fake):
    """A real StripeClient pointed at the fake."""
    return stripe.StripeClient(
        "sk_test_123", base_addresses={"api": fake.base_url}, max_network_retries=0
    )


def session_params(**overrides) -> dict:
    """Return parameters the app would send for a 50,00 € donation."""
    params = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": "eur",
                    "unit_amount": 5000,
                    "product_data": {"name": "Spende an den Förderverein"},
                },
            }
        ],
        "metadata": {"online_payment": "12"},
        "payment_intent_data": {"metadata": {"online_payment": "12"}},
        "payment_method_types": ["card", "sepa_debit"],
        "customer_email": "erika@example.org",
        "client_reference_id": "op-12",
        "success_url": "http://app.test/danke?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://app.test/spenden",
        "locale": "de",
    }
    params.update(overrides)
    return params


def create_session(client, **overrides):
    """Create a Checkout Session through the library."""
    return client.v1.checkout.sessions.create(params=session_params(**overrides))


# --- the request the app sends ------------------------------------------------------------------


def test_create_session_answers_open_session_and_records_the_request(fake, client):
    """A created session is open, unpaid, has the fake's hosted URL; the request is recorded."""
    session = client.v1.checkout.sessions.create(
        params=session_params(), options={"idempotency_key": "op-12-create"}
    )
    assert isinstance(session, stripe.checkout.Session)
    assert session.id.startswith("cs_test_")
    assert (session.status, session.payment_status, session.mode) == ("open", "unpaid", "payment")
    assert session.amount_total == 5000
    assert session.amount_subtotal == 5000
    assert session.currency == "eur"
    assert session.url == f"{fake.base_url}/checkout/pay/{session.id}"
    assert session.payment_intent is None
    assert session.metadata.to_dict() == {"online_payment": "12"}
    assert session.client_reference_id == "op-12"
    assert session.customer_email == "erika@example.org"
    assert session.customer_details is None
    assert session.payment_method_types == ["card", "sepa_debit"]
    assert session.locale == "de"
    assert session.livemode is False
    assert session.expires_at - session.created == 86_400

    [request] = fake.requests
    assert (request.method, request.path, request.status) == ("POST", "/v1/checkout/sessions", 200)
    item = request.params["line_items"][0]
    assert item["price_data"]["unit_amount"] == "5000"
    assert item["price_data"]["product_data"]["name"] == "Spende an den Förderverein"
    assert request.params["metadata"] == {"online_payment": "12"}
    assert request.params["payment_method_types"] == ["card", "sepa_debit"]
    assert request.header("idempotency-key") == "op-12-create"
    assert request.header("Authorization") == "Bearer sk_test_123"


@pytest.mark.parametrize(
    ("overrides", "param", "message"),
    [
        ({"colour": "blue"}, "colour", "Received unknown parameter: colour"),
        ({"line_items": []}, "line_items", "at least one"),
        (
            {"line_items": [{"price": "price_123", "quantity": 1}]},
            "line_items[0][price]",
            "No such",
        ),
        (
            {
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": "eur",
                            "unit_amount": 49,
                            "product_data": {"name": "x"},
                        },
                    }
                ]
            },
            "line_items",
            "at least €0.50",
        ),
        ({"payment_method_types": ["cash"]}, "payment_method_types[0]", "Invalid"),
        ({"expires_at": int(time.time()) + 60}, "expires_at", "30 minutes"),
    ],
)
def test_invalid_session_parameters_are_refused_like_stripe(client, overrides, param, message):
    """Mistakes in the create call raise InvalidRequestError naming the parameter."""
    with pytest.raises(stripe.InvalidRequestError) as caught:
        create_session(client, **overrides)
    assert caught.value.http_status == 400
    assert caught.value.param == param
    assert message in caught.value.user_message


# --- paying -------------------------------------------------------------------------------------


def test_card_payment_completes_session_with_expandable_objects(fake, client, receiver):
    """Paying by card: PI, charge and balance transaction exist, events arrive in Stripe's order."""
    session = create_session(client)
    result = fake.complete(session.id, name="Max Muster")
    assert [e["type"] for e in result["events"]] == [
        "charge.succeeded",
        "payment_intent.succeeded",
        "checkout.session.completed",
    ]
    assert receiver.types == [e["type"] for e in result["events"]]

    paid = client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent.latest_charge.balance_transaction"]}
    )
    assert (paid.status, paid.payment_status, paid.url) == ("complete", "paid", None)
    assert paid.customer_details.email == "erika@example.org"
    assert paid.customer_details.name == "Max Muster"
    pi = paid.payment_intent
    assert isinstance(pi, stripe.PaymentIntent)
    assert (pi.status, pi.amount, pi.amount_received) == ("succeeded", 5000, 5000)
    assert pi.metadata.to_dict() == {"online_payment": "12"}
    charge = pi.latest_charge
    assert isinstance(charge, stripe.Charge)
    assert (charge.status, charge.paid, charge.amount_captured) == ("succeeded", True, 5000)
    assert charge.payment_method_details.type == "card"
    assert charge.payment_method_details.card.last4 == "4242"
    assert charge.billing_details.name == "Max Muster"
    assert "refunds" not in charge
    bt = charge.balance_transaction
    assert (bt.amount, bt.fee, bt.net, bt.type, bt.source) == (5000, 100, 4900, "charge", charge.id)
    assert bt.fee_details[0].type == "stripe_fee"
    assert bt.fee_details[0].amount == 100

    plain = client.v1.payment_intents.retrieve(pi.id)
    assert plain.latest_charge == charge.id
    charge_again = client.v1.charges.retrieve(charge.id, params={"expand": ["balance_transaction"]})
    assert charge_again.balance_transaction.net == 4900


def test_event_objects_are_snapshots(fake, client):
    """An event keeps the object as it was when the event happened."""
    session = create_session(client)
    result = fake.complete(session.id)
    fake.refund(result["payment_intent"]["id"], amount=1000)
    succeeded = client.v1.events.retrieve(result["events"][0]["id"])
    assert isinstance(succeeded, stripe.Event)
    assert succeeded.type == "charge.succeeded"
    assert succeeded.data.object.amount_refunded == 0
    assert fake.get(result["charge"]["id"])["amount_refunded"] == 1000
    assert succeeded.api_version == stripe.api_version
    assert succeeded.pending_webhooks == 1
    assert succeeded.request.id is None


@pytest.mark.parametrize(("amount", "fee"), [(5000, 100), (1000, 40), (3333, 75), (100, 27)])
def test_card_fee_is_25_cents_plus_1_5_percent_rounded_half_up(amount, fee):
    """The default card fee in cents."""
    assert card_fee(amount) == fee


def test_fee_and_amount_can_be_chosen(fake, client):
    """A test can set the fee and pay a different amount than the session total."""
    session = create_session(client)
    result = fake.complete(session.id, fee=12, amount=4000)
    assert result["payment_intent"]["amount"] == 4000
    assert result["balance_transaction"]["net"] == 3988
    assert fake.get(session.id)["amount_total"] == 5000


def test_sepa_payment_processes_then_succeeds(fake, client, receiver):
    """SEPA: session complete but unpaid, no balance transaction until the bank settles."""
    session = create_session(client)
    result = fake.complete(session.id, method="sepa_debit")
    assert [e["type"] for e in result["events"]] == [
        "payment_intent.processing",
        "charge.pending",
        "checkout.session.completed",
    ]
    pending = client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent.latest_charge"]}
    )
    assert (pending.status, pending.payment_status) == ("complete", "unpaid")
    assert pending.payment_intent.status == "processing"
    charge = pending.payment_intent.latest_charge
    assert (charge.status, charge.balance_transaction) == ("pending", None)
    assert charge.payment_method_details.sepa_debit.last4 == "3000"

    settled = fake.settle_sepa(session.id)
    assert [e["type"] for e in settled["events"]] == [
        "charge.succeeded",
        "payment_intent.succeeded",
        "checkout.session.async_payment_succeeded",
    ]
    assert settled["balance_transaction"]["fee"] == 35
    assert settled["balance_transaction"]["net"] == 4965
    assert client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"
    assert receiver.types[-1] == "checkout.session.async_payment_succeeded"


def test_sepa_payment_can_fail(fake, client):
    """A failed SEPA debit: charge failed, PI back to requires_payment_method with the reason."""
    session = create_session(client)
    fake.complete(session.id, method="sepa_debit")
    failed = fake.settle_sepa(session.id, succeed=False)
    assert [e["type"] for e in failed["events"]] == [
        "charge.failed",
        "payment_intent.payment_failed",
        "checkout.session.async_payment_failed",
    ]
    pi = client.v1.payment_intents.retrieve(
        failed["payment_intent"]["id"], params={"expand": ["latest_charge"]}
    )
    assert pi.status == "requires_payment_method"
    assert pi.last_payment_error.code == "insufficient_funds"
    assert pi.latest_charge.status == "failed"
    assert pi.latest_charge.failure_code == "insufficient_funds"
    assert client.v1.checkout.sessions.retrieve(session.id).payment_status == "unpaid"


def test_expire_by_python_and_by_api(fake, client):
    """Sessions expire once; an API expire carries its request in the event."""
    first, second = create_session(client), create_session(client)
    assert fake.expire(first.id)["session"]["status"] == "expired"
    expired = client.v1.checkout.sessions.expire(second.id)
    assert (expired.status, expired.url) == ("expired", None)
    event = fake.events[-1]
    assert event["type"] == "checkout.session.expired"
    assert event["request"]["id"] == fake.requests[-1].request_id
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.expire(second.id)
    with pytest.raises(FakeStripeError):
        fake.complete(first.id)


# --- refunds, disputes, payouts -----------------------------------------------------------------


def test_refund_through_the_api(fake, client, receiver):
    """Partial refunds add up on the charge; more than is left is refused."""
    session = create_session(client)
    pi_id = fake.complete(session.id)["payment_intent"]["id"]
    refund = client.v1.refunds.create(
        params={"payment_intent": pi_id, "amount": 1500, "reason": "requested_by_customer"},
        options={"idempotency_key": "refund-1"},
    )
    assert isinstance(refund, stripe.Refund)
    assert (refund.amount, refund.status, refund.payment_intent) == (1500, "succeeded", pi_id)
    assert fake.event_types[-3:] == ["charge.refunded", "refund.created", "charge.refund.updated"]
    assert fake.events[-1]["request"]["idempotency_key"] == "refund-1"

    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.refunds.create(params={"payment_intent": pi_id, "amount": 3501})
    assert caught.value.code == "amount_too_large"

    again = client.v1.refunds.retrieve(refund.id, params={"expand": ["balance_transaction"]})
    assert (again.balance_transaction.amount, again.balance_transaction.fee) == (-1500, 0)
    assert again.balance_transaction.type == "refund"
    charge = client.v1.charges.retrieve(refund.charge, params={"expand": ["refunds"]})
    assert (charge.amount_refunded, charge.refunded) == (1500, False)
    assert [r.id for r in charge.refunds.data] == [refund.id]
    via_session = client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent.latest_charge.refunds"]}
    )
    assert via_session.payment_intent.latest_charge.refunds.data[0].amount == 1500
    listed = client.v1.refunds.list(params={"payment_intent": pi_id})
    assert [r.id for r in listed.data] == [refund.id]
    assert fake.wait_for_deliveries()
    assert receiver.types[-3:] == ["charge.refunded", "refund.created", "charge.refund.updated"]


def test_full_refund_and_a_failed_refund(fake, client):
    """A pending refund that fails gives the money back to the charge."""
    session = create_session(client)
    pi_id = fake.complete(session.id)["payment_intent"]["id"]
    pending = fake.refund(pi_id, status="pending")
    assert pending["charge"]["amount_refunded"] == 5000
    assert pending["charge"]["refunded"] is True
    assert [e["type"] for e in pending["events"]] == ["charge.refunded", "refund.created"]
    failed = fake.settle_refund(pending["refund"]["id"], status="failed")
    assert failed["refund"]["status"] == "failed"
    assert failed["charge"]["amount_refunded"] == 0
    assert [e["type"] for e in failed["events"]] == ["charge.refund.updated", "refund.failed"]
    back = fake.get(failed["refund"]["failure_balance_transaction"])
    assert (back["amount"], back["type"]) == (5000, "refund_failure")
    assert fake.refund(session.id)["refund"]["amount"] == 5000
    with pytest.raises(FakeStripeError, match="already been refunded"):
        fake.refund(pi_id)


@pytest.mark.parametrize("won", [True, False])
def test_dispute_withdraws_amount_and_fee_and_may_reinstate(fake, client, won):
    """A dispute withdraws amount + 15,00 fee; a won dispute gives the amount back."""
    session = create_session(client)
    pi_id = fake.complete(session.id)["payment_intent"]["id"]
    opened = fake.dispute(pi_id)
    assert [e["type"] for e in opened["events"]] == [
        "charge.dispute.created",
        "charge.dispute.funds_withdrawn",
    ]
    dispute = client.v1.disputes.retrieve(opened["dispute"]["id"])
    assert isinstance(dispute, stripe.Dispute)
    assert (dispute.status, dispute.amount, dispute.reason) == (
        "needs_response",
        5000,
        "fraudulent",
    )
    [withdrawal] = dispute.balance_transactions
    assert (withdrawal.amount, withdrawal.fee, withdrawal.net) == (-5000, 1500, -6500)
    charge = client.v1.charges.retrieve(dispute.charge, params={"expand": ["dispute"]})
    assert charge.disputed is True
    assert charge.dispute.id == dispute.id

    closed = fake.close_dispute(dispute.id, won=won)
    expected = ["charge.dispute.closed"] + (["charge.dispute.funds_reinstated"] if won else [])
    assert [e["type"] for e in closed["events"]] == expected
    dispute = client.v1.disputes.retrieve(dispute.id)
    assert dispute.status == ("won" if won else "lost")
    amounts = [(bt.amount, bt.fee) for bt in dispute.balance_transactions]
    assert amounts == ([(-5000, 1500), (5000, 0)] if won else [(-5000, 1500)])


@pytest.mark.parametrize(
    ("status", "types"),
    [
        ("paid", ["payout.created", "payout.paid"]),
        ("failed", ["payout.created", "payout.failed"]),
        ("pending", ["payout.created"]),
    ],
)
def test_payouts(fake, client, status, types):
    """Payouts go out with a negative balance transaction and end paid or failed."""
    result = fake.payout(123_45, status=status)
    assert [e["type"] for e in result["events"]] == types
    payout = client.v1.payouts.retrieve(
        result["payout"]["id"], params={"expand": ["balance_transaction"]}
    )
    assert isinstance(payout, stripe.Payout)
    assert (payout.amount, payout.status, payout.method) == (12345, status, "standard")
    assert payout.balance_transaction.amount == -12345
    assert payout.balance_transaction.type == "payout"
    assert payout.arrival_date >= payout.created
    if status == "failed":
        assert payout.failure_code == "account_closed"


# --- errors, idempotency, faults ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "object_id"),
    [
        ("checkout.sessions", "cs_test_nope"),
        ("payment_intents", "pi_nope"),
        ("charges", "ch_nope"),
        ("refunds", "re_nope"),
        ("disputes", "dp_nope"),
        ("payouts", "po_nope"),
        ("payment_intents", "cs_test_wrong_type"),
    ],
)
def test_unknown_ids_answer_404_resource_missing(client, service, object_id):
    """Retrieving an unknown id raises InvalidRequestError with code resource_missing."""
    target = client.v1
    for part in service.split("."):
        target = getattr(target, part)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        target.retrieve(object_id)
    assert caught.value.http_status == 404
    assert caught.value.code == "resource_missing"
    assert object_id in caught.value.user_message


def test_unexpandable_path_is_refused(fake, client):
    """Expanding a field Stripe cannot expand is an error, not silently ignored."""
    session = create_session(client)
    with pytest.raises(stripe.InvalidRequestError, match="cannot be expanded"):
        client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["success_url"]})


def test_wrong_or_missing_api_key_is_refused(fake):
    """A wrong key raises AuthenticationError; a configured key must match exactly."""
    fake.api_key = "sk_test_right"
    wrong = stripe.StripeClient("sk_test_wrong", base_addresses={"api": fake.base_url})
    with pytest.raises(stripe.AuthenticationError) as caught:
        wrong.v1.payment_intents.retrieve("pi_x")
    assert caught.value.http_status == 401
    answer = requests.get(f"{fake.base_url}/v1/charges/ch_x", timeout=5)
    assert answer.status_code == 401
    assert answer.json()["error"]["type"] == "invalid_request_error"
    right = stripe.StripeClient("sk_test_right", base_addresses={"api": fake.base_url})
    with pytest.raises(stripe.InvalidRequestError):
        right.v1.payment_intents.retrieve("pi_x")


def test_same_idempotency_key_returns_the_same_session(fake, client):
    """A retried create with the same key creates nothing new; other params are refused."""
    options = {"idempotency_key": "op-7"}
    first = client.v1.checkout.sessions.create(params=session_params(), options=options)
    second = client.v1.checkout.sessions.create(params=session_params(), options=options)
    assert first.id == second.id
    assert len(fake.objects("checkout.session")) == 1
    assert fake.requests[-1].replayed is True
    with pytest.raises(stripe.IdempotencyError):
        client.v1.checkout.sessions.create(params=session_params(locale="en"), options=options)
    other = client.v1.checkout.sessions.create(params=session_params())
    assert other.id != first.id


def test_injected_server_errors_and_dropped_connections(fake, client):
    """fail_next answers 500s (APIError) or drops the connection (APIConnectionError)."""
    fake.fail_next(2)
    for _ in range(2):
        with pytest.raises(stripe.APIError) as caught:
            create_session(client)
        assert caught.value.http_status == 500
    fake.fail_next(status="connection")
    with pytest.raises(stripe.APIConnectionError):
        create_session(client)
    assert create_session(client).status == "open"
    assert [r.status for r in fake.requests] == [500, 500, "connection", 200]
    assert len(fake.objects("checkout.session")) == 1


def test_delay_slows_every_answer(fake, client):
    """``fake.delay`` makes each API request take at least that long."""
    fake.delay = 0.2
    started = time.monotonic()
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.charges.retrieve("ch_missing")
    assert time.monotonic() - started >= 0.2


def test_a_timeout_in_the_client_is_a_connection_error(fake):
    """With a short client timeout a slow fake raises APIConnectionError."""
    fake.delay = 1.0
    http = stripe.RequestsClient(timeout=0.2)
    slow = stripe.StripeClient(
        "sk_test_1", base_addresses={"api": fake.base_url}, max_network_retries=0, http_client=http
    )
    with pytest.raises(stripe.APIConnectionError):
        slow.v1.charges.retrieve("ch_x")
    http.close()


def test_decode_form_keys():
    """Bracket keys become nested dicts and lists; metadata stays a dict."""
    pairs = [
        ("line_items[0][price_data][unit_amount]", "5000"),
        ("line_items[1][quantity]", "2"),
        ("metadata[0]", "zero"),
        ("expand[]", "a"),
        ("expand[]", "b"),
        ("mode", "payment"),
    ]
    assert decode(pairs) == {
        "line_items": [{"price_data": {"unit_amount": "5000"}}, {"quantity": "2"}],
        "metadata": {"0": "zero"},
        "expand": ["a", "b"],
        "mode": "payment",
    }


# --- webhooks -----------------------------------------------------------------------------------


def test_signature_is_accepted_by_the_library_and_tampering_is_not():
    """construct_event accepts our header and rejects wrong secret, changed body, old time."""
    event = {"id": "evt_1", "object": "event", "type": "charge.succeeded", "data": {"object": {}}}
    payload = payload_of(event)
    header = sign(payload, SECRET)
    assert stripe.Webhook.construct_event(payload, header, SECRET).id == "evt_1"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, header, "whsec_other")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload.replace(b"evt_1", b"evt_2"), header, SECRET)
    old = sign(payload, SECRET, timestamp=int(time.time()) - 600)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, old, SECRET)
    assert sign(payload, SECRET, 1700000000) == stripe.WebhookSignature.generate_signature_header(
        payload.decode(), SECRET, 1700000000
    )


def test_manual_delivery_in_any_order_with_duplicates(fake, client, receiver):
    """With auto_deliver off nothing is sent; the test delivers events itself."""
    fake.auto_deliver = False
    session = create_session(client)
    fake.complete(session.id)
    assert receiver.events == []
    events = fake.events
    for event in [events[2], events[0], events[2]]:
        assert fake.deliver(event).status_code == 200
    assert receiver.types == [
        "checkout.session.completed",
        "charge.succeeded",
        "checkout.session.completed",
    ]
    assert receiver.rejected == 0


def test_deliveries_are_recorded(fake, client):
    """Each automatic delivery is recorded with the endpoint's status."""
    session = create_session(client)
    fake.complete(session.id)
    assert [(d["type"], d["status"]) for d in fake.deliveries] == [
        ("charge.succeeded", 200),
        ("payment_intent.succeeded", 200),
        ("checkout.session.completed", 200),
    ]


# --- the hosted checkout page -------------------------------------------------------------------


def test_hosted_page_shows_amount_and_buttons(fake, client):
    """The page says it is a test, shows the amount the German way and the three buttons."""
    session = create_session(client)
    page = requests.get(session.url, timeout=5)
    assert page.status_code == 200
    for text in (
        "Testzahlung – kein echtes Geld",
        "50,00 €",
        "Spende an den Förderverein",
        "Mit Karte bezahlen",
        "Per SEPA-Lastschrift bezahlen",
        "Abbrechen",
    ):
        assert text in page.text
    assert "<script" not in page.text


def test_hosted_page_card_button_pays_delivers_and_redirects(fake, client, receiver):
    """ "Mit Karte bezahlen" completes the session, delivers signed events, then 303s."""
    session = create_session(client)
    answer = requests.post(
        f"{session.url}/pay",
        data={"method": "card", "name": "Max"},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"http://app.test/danke?session_id={session.id}"
    assert receiver.types == [
        "charge.succeeded",
        "payment_intent.succeeded",
        "checkout.session.completed",
    ]
    completed = receiver.events[-1]["data"]["object"]
    assert (completed["id"], completed["payment_status"]) == (session.id, "paid")
    again = requests.get(session.url, timeout=5).text
    assert "bereits abgeschlossen" in again
    assert "<button" not in again


def test_hosted_page_sepa_button_and_cancel(fake, client, receiver):
    """The SEPA button leaves the payment processing; Abbrechen goes to cancel_url."""
    session = create_session(client)
    cancel = requests.post(f"{session.url}/cancel", allow_redirects=False, timeout=5)
    assert (cancel.status_code, cancel.headers["Location"]) == (303, "http://app.test/spenden")
    assert fake.get(session.id)["status"] == "open"
    answer = requests.post(
        f"{session.url}/pay", data={"method": "sepa_debit"}, allow_redirects=False, timeout=10
    )
    assert answer.status_code == 303
    assert fake.get(session.id)["payment_status"] == "unpaid"
    assert receiver.types[-1] == "checkout.session.completed"


def test_hosted_page_of_expired_session_has_no_buttons(fake, client):
    """An expired session shows a message and no buttons."""
    session = create_session(client, payment_method_types=["card"])
    text = requests.get(session.url, timeout=5).text
    assert "Per SEPA-Lastschrift bezahlen" not in text
    fake.expire(session.id)
    text = requests.get(session.url, timeout=5).text
    assert "abgelaufen" in text
    assert "<button" not in text


def test_format_amount():
    """Amounts on the page look German."""
    assert format_amount(5000) == "50,00 €"
    assert format_amount(123456) == "1.234,56 €"
    assert format_amount(-5) == "-0,05 €"


# --- bulk seeding, lists, control API, command line ---------------------------------------------


def test_seed_paid_payments_creates_consistent_objects_without_delivering(fake, receiver):
    """Seeding makes paid sessions with PIs, charges, fees and refunds, and returns the events."""
    specs = [
        {"amount": 1000 + i, "metadata": {"online_payment": i}, "created": 1_700_000_000 + i}
        for i in range(50)
    ]
    specs.append({"amount": 2000, "fee": 50, "refund": 500, "method": "sepa_debit"})
    events = fake.seed_paid_payments(specs)
    assert receiver.events == []
    assert len(fake.objects("checkout.session")) == 51
    assert sum(1 for e in events if e["type"] == "checkout.session.completed") == 51
    assert events[0]["created"] == 1_700_000_000
    first_pi = fake.objects("payment_intent")[0]
    assert first_pi["metadata"] == {"online_payment": "0"}
    assert first_pi["created"] == 1_700_000_000
    last = fake.objects("charge")[-1]
    assert (last["amount_refunded"], last["status"]) == (500, "succeeded")
    bt = fake.get(last["balance_transaction"])
    assert (bt["fee"], bt["net"]) == (50, 1950)
    assert [e["type"] for e in events[-3:]] == [
        "charge.refunded",
        "refund.created",
        "charge.refund.updated",
    ]


def test_list_endpoints(fake, client):
    """Lists are newest first, filter, and page with limit/starting_after."""
    fake.seed_paid_payments([{"amount": 1000 + i} for i in range(3)])
    page = client.v1.payment_intents.list(params={"limit": 2})
    assert [pi.amount for pi in page.data] == [1002, 1001]
    assert page.has_more is True
    rest = client.v1.payment_intents.list(params={"starting_after": page.data[-1].id})
    assert [pi.amount for pi in rest.data] == [1000]
    completed = client.v1.events.list(params={"type": "checkout.session.completed"})
    assert len(completed.data) == 3


def test_control_api_drives_a_standalone_fake(fake, client):
    """Another process can pay, refund and read events over /_fake/."""
    session = create_session(client)
    answer = requests.post(
        f"{fake.base_url}/_fake/complete", json={"session_id": session.id}, timeout=10
    )
    assert answer.status_code == 200
    assert answer.json()["session"]["payment_status"] == "paid"
    events = requests.get(f"{fake.base_url}/_fake/events", timeout=5).json()
    assert [e["type"] for e in events][-1] == "checkout.session.completed"
    bad = requests.post(f"{fake.base_url}/_fake/complete", json={"session_id": "cs_x"}, timeout=5)
    assert bad.status_code == 404


def test_concurrent_creates_are_all_kept(fake, client):
    """Threads creating sessions at once get distinct sessions (one lock)."""
    ids: list[str] = []

    def work():
        """Create a few sessions."""
        for _ in range(5):
            ids.append(create_session(client).id)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 20
    assert len(fake.objects("checkout.session")) == 20


def test_command_line_serves_the_api(unused_port):
    """``python -m tests.stripe_fake`` serves until stopped."""
    command = [
        sys.executable,
        "-m",
        "tests.stripe_fake",
        "--port",
        str(unused_port),
        "--api-key",
        "sk_test_cli",
    ]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert f"127.0.0.1:{unused_port}" in line
        cli = stripe.StripeClient(
            "sk_test_cli",
            base_addresses={"api": f"http://127.0.0.1:{unused_port}"},
            max_network_retries=0,
        )
        session = cli.v1.checkout.sessions.create(params=session_params())
        assert session.url.startswith(f"http://127.0.0.1:{unused_port}/checkout/pay/")
        requests_seen = requests.get(
            f"http://127.0.0.1:{unused_port}/_fake/requests", timeout=5
        ).json()
        assert json.loads(json.dumps(requests_seen))[0]["path"] == "/v1/checkout/sessions"
    finally:
        process.terminate()
        process.wait(10)
        process.stdout.close()


@pytest.fixture
def unused_port() -> int:
    """Return a port that is free right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
