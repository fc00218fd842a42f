"""The webhook only acts on events Stripe signed a moment ago: anything else is answered 400
and leaves no trace (no stored event, no booking, no audit entry)."""

import time

import pytest
from sqlalchemy import func, select

from supportclub.audit import AuditEntry
from supportclub.ledger.models import Booking, BookingLine
from supportclub.payments.models import OnlinePayment, PaymentStatus, WebhookEvent
from tests.payments.conftest import WEBHOOK_SECRET, configure, deliver, donation, new_events
from tests.stripe_fake.webhooks import payload_of, sign

MODELS = (WebhookEvent, Booking, BookingLine, AuditEntry, OnlinePayment)


def counts(db) -> dict[str, int]:
    """Row counts of everything a webhook could write."""
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in MODELS
    }


@pytest.fixture
def paid(app, db, client, stripe_fake):
    """A card donation of 50 € paid at Stripe whose events have not been delivered yet."""
    since = len(stripe_fake.events)
    payment = donation(stripe_fake, client, amount_cents=5000, deliver_events=False)
    events = new_events(stripe_fake, since)
    completed = next(e for e in events if e["type"] == "checkout.session.completed")
    return payment, completed


def post(client, body: bytes, header: str | None):
    """POST a raw body with an optional Stripe-Signature header."""
    headers = {"Stripe-Signature": header} if header is not None else {}
    return client.post(
        "/stripe/webhook", data=body, headers=headers, content_type="application/json"
    )


def _refused(db, client, before, body, header):
    """Assert the request is answered 400 and nothing was written."""
    response = post(client, body, header)
    assert response.status_code == 400
    db.session.expire_all()
    assert counts(db) == before


def test_wrong_secret_is_refused_and_writes_nothing(db, client, paid):
    _payment, event = paid
    before = counts(db)
    body = payload_of(event)
    _refused(db, client, before, body, sign(body, "whsec_somebody_else"))


def test_altered_body_is_refused(db, client, paid):
    _payment, event = paid
    before = counts(db)
    body = payload_of(event)
    header = sign(body, WEBHOOK_SECRET)
    altered = body.replace(b'"amount_total": 5000', b'"amount_total": 500000')
    assert altered != body
    _refused(db, client, before, altered, header)


def test_timestamp_older_than_five_minutes_is_refused(db, client, paid):
    _payment, event = paid
    before = counts(db)
    body = payload_of(event)
    _refused(db, client, before, body, sign(body, WEBHOOK_SECRET, int(time.time()) - 301))


@pytest.mark.parametrize(
    "header",
    [None, "", "garbage", "t=abc,v1=def", "v1=0123456789abcdef", "t=1700000000"],
    ids=["missing", "empty", "garbage", "bad-timestamp", "no-timestamp", "no-signature"],
)
def test_missing_or_malformed_header_is_refused(db, client, paid, header):
    _payment, event = paid
    before = counts(db)
    _refused(db, client, before, payload_of(event), header)


def test_signed_body_that_is_not_an_event_is_refused(db, client, paid):
    before = counts(db)
    body = b"not json at all"
    _refused(db, client, before, body, sign(body, WEBHOOK_SECRET))


def test_without_stripe_configured_everything_is_refused(app, db, client, paid):
    _payment, event = paid
    configure(app, None)
    before = counts(db)
    body = payload_of(event)
    _refused(db, client, before, body, sign(body, WEBHOOK_SECRET))


def test_correctly_signed_recent_event_is_accepted_and_books(db, client, paid):
    payment, event = paid
    before = counts(db)
    response = deliver(client, event)
    assert response.status_code == 200
    assert response.get_json() == {"received": True, "outcome": "processed"}
    db.session.expire_all()
    after = counts(db)
    assert after["webhook_event"] == before["webhook_event"] + 1
    assert after["booking"] == before["booking"] + 1
    payment = db.session.get(OnlinePayment, payment.id)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.booking.amount_cents == 5000 - 100


def test_a_timestamp_within_five_minutes_is_accepted(db, client, paid):
    _payment, event = paid
    response = deliver(client, event, timestamp=int(time.time()) - 240)
    assert response.status_code == 200
