"""Online payments against a local fake Stripe: the fake, signed webhook delivery, payments."""

import pytest

from supportclub.extensions import db
from tests.stripe_fake.state import FakeStripe
from tests.stripe_fake.webhooks import payload_of, sign

API_KEY = "sk_test_supportclub"
WEBHOOK_SECRET = "whsec_test_supportclub"
STRIPE_KEYS = ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE")


def configure(app, fake: FakeStripe | None) -> None:
    """Point the app at `fake` (None: switch online payments off again)."""
    values = (API_KEY, WEBHOOK_SECRET, fake.base_url) if fake else (None, None, None)
    app.config.update(dict(zip(STRIPE_KEYS, values, strict=True)))
    app.extensions.pop("supportclub_stripe", None)  # the client is made anew with these


@pytest.fixture
def stripe_fake(app):
    """A running fake Stripe the app talks to; events are delivered by the test (deliver())."""
    fake = FakeStripe(api_key=API_KEY, webhook_secret=WEBHOOK_SECRET)
    fake.auto_deliver = False
    fake.start()
    configure(app, fake)
    try:
        yield fake
    finally:
        configure(app, None)
        fake.stop()


def deliver(client, event: dict, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None):
    """POST one event, signed, to the app's webhook through the Flask test client."""
    payload = payload_of(event)
    return client.post(
        "/stripe/webhook",
        data=payload,
        headers={"Stripe-Signature": sign(payload, secret, timestamp)},
        content_type="application/json",
    )


def deliver_all(client, events, **kwargs) -> list:
    """Deliver events in the given order; every answer must be 200."""
    responses = [deliver(client, event, **kwargs) for event in events]
    for response, event in zip(responses, events, strict=True):
        assert response.status_code == 200, (event["type"], response.get_data(as_text=True))
    return responses


def new_events(fake: FakeStripe, since: int) -> list[dict]:
    """The fake's events after the first `since`."""
    return list(fake.events[since:])


def urls(token: str) -> tuple[str, str]:
    """Success and cancel URLs for a payment started in a service test."""
    return (f"http://localhost/return/{token}", "http://localhost/cancel")


def donation(
    fake, client, *, amount_cents=5000, fund_id=None, method="card", deliver_events=True, **donor
):
    """Start a donation through the service, pay it at the fake and (optionally) deliver."""
    from supportclub.payments.checkout import DonationInput, start_donation

    values = dict(
        first_name="Erika",
        last_name="Spenderin",
        street="Lindenweg 3",
        postal_code="07743",
        city="Jena",
        email="erika@example.org",
    )
    values.update(donor)
    payment = start_donation(
        DonationInput(amount_cents=amount_cents, fund_id=fund_id, **values), user=None, urls=urls
    )
    db.session.commit()
    since = len(fake.events)
    fake.complete(payment.checkout_session_id, method=method)
    if deliver_events:
        deliver_all(client, new_events(fake, since))
    db.session.expire_all()
    return payment


def dues_payment(
    fake, client, person, *, claim_ids=None, method="card", amount=None, deliver_events=True
):
    """Start a member's dues payment, pay it at the fake and (optionally) deliver."""
    from supportclub.payments.checkout import start_dues_payment

    payment = start_dues_payment(person=person, claim_ids=claim_ids, user=None, urls=urls)
    db.session.commit()
    since = len(fake.events)
    fake.complete(payment.checkout_session_id, method=method, amount=amount)
    if deliver_events:
        deliver_all(client, new_events(fake, since))
    db.session.expire_all()
    return payment
