"""Each event is stored once and only a hint: a redelivery changes nothing, an unknown type is
ignored, the books follow what Stripe says when asked (not the payload), another
installation's payments are not ours, and a Stripe outage leaves the event to be retried."""

import copy

import pytest
from sqlalchemy import func, select

from supportclub.audit import AuditEntry
from supportclub.extensions import db
from supportclub.ledger.models import Booking, BookingLine, Person
from supportclub.payments.models import (
    OnlinePayment,
    PaymentAttention,
    PaymentStatus,
    WebhookEvent,
)
from tests.factories import make_claim, make_member
from tests.payments.conftest import deliver, deliver_all, donation, dues_payment, new_events

MODELS = (Booking, BookingLine, AuditEntry, WebhookEvent, OnlinePayment, PaymentAttention, Person)
COLUMNS = (
    "status",
    "paid_cents",
    "fee_cents",
    "refunded_cents",
    "payment_intent_id",
    "charge_id",
    "person_id",
    "booking_id",
    "first_booking_id",
    "revision",
    "paid_at",
    "updated_at",
)


def counts() -> dict[str, int]:
    """Row counts of everything a webhook could write."""
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in MODELS
    }


def columns(payment_id: int) -> dict:
    """The payment's columns as stored now."""
    db.session.expire_all()
    payment = db.session.get(OnlinePayment, payment_id)
    return {name: getattr(payment, name) for name in COLUMNS}


def stored(event_id: str) -> WebhookEvent:
    """The stored row of an event."""
    db.session.expire_all()
    return db.session.get(WebhookEvent, event_id)


def signed_with(event: dict, **object_changes) -> dict:
    """A copy of `event` whose data.object claims other values (it is signed all the same)."""
    forged = copy.deepcopy(event)
    forged["id"] = event["id"] + "x"
    forged["data"]["object"].update(object_changes)
    return forged


# Stored once --------------------------------------------------------------------------------


def test_every_event_delivered_twice_changes_nothing_the_second_time(client, stripe_fake):
    since = len(stripe_fake.events)
    payment = donation(stripe_fake, client, amount_cents=5000)
    events = new_events(stripe_fake, since)
    before, payment_before = counts(), columns(payment.id)
    for event in events:
        response = deliver(client, event)
        assert response.status_code == 200
        assert response.get_json()["outcome"] == "duplicate"
    assert counts() == before
    assert columns(payment.id) == payment_before
    assert payment_before["status"] == PaymentStatus.SUCCEEDED
    assert db.session.get(OnlinePayment, payment.id).booking.amount_cents == 5000 - 100


def test_a_redelivered_refund_event_does_not_reverse_twice(client, stripe_fake):
    person = make_member()
    claim = make_claim(person, 2025)
    payment = dues_payment(stripe_fake, client, person)
    since = len(stripe_fake.events)
    stripe_fake.refund(payment.payment_intent_id, 1000)
    refund_events = new_events(stripe_fake, since)
    deliver_all(client, refund_events)
    before, payment_before = counts(), columns(payment.id)
    for event in refund_events + refund_events:
        assert deliver(client, event).get_json()["outcome"] == "duplicate"
    assert counts() == before
    assert columns(payment.id) == payment_before
    paid = db.session.scalar(
        select(func.sum(BookingLine.amount_cents)).where(BookingLine.dues_claim_id == claim.id)
    )
    assert paid == 3600 - 1000
    assert payment_before["status"] == PaymentStatus.PARTIALLY_REFUNDED


def test_unknown_event_type_is_stored_as_ignored_and_nothing_else(client, stripe_fake):
    payment = donation(stripe_fake, client, amount_cents=5000)
    before, payment_before = counts(), columns(payment.id)
    event = {
        "id": "evt_unknown_type_1",
        "object": "event",
        "type": "customer.subscription.trial_will_end",
        "created": 1_750_000_000,
        "data": {"object": {"id": "sub_123", "object": "subscription"}},
    }
    response = deliver(client, event)
    assert response.status_code == 200
    assert response.get_json() == {"received": True, "outcome": "ignored"}
    after = counts()
    assert after.pop("webhook_event") == before.pop("webhook_event") + 1
    assert after == before
    assert columns(payment.id) == payment_before
    row = stored("evt_unknown_type_1")
    assert (row.outcome, row.type, row.object_id, row.payment_id) == (
        "ignored",
        "customer.subscription.trial_will_end",
        "sub_123",
        None,
    )
    assert deliver(client, event).get_json()["outcome"] == "duplicate"


# Re-fetched, not trusted ------------------------------------------------------------------------


def test_the_books_follow_stripe_not_the_payloads_amount(client, stripe_fake):
    since = len(stripe_fake.events)
    payment = donation(stripe_fake, client, amount_cents=5000, deliver_events=False)
    completed = next(
        e for e in new_events(stripe_fake, since) if e["type"] == "checkout.session.completed"
    )
    forged = signed_with(completed, amount_total=999_900, amount_subtotal=999_900)
    assert deliver(client, forged).status_code == 200
    db.session.expire_all()
    payment = db.session.get(OnlinePayment, payment.id)
    assert payment.paid_cents == 5000
    assert payment.booking.amount_cents == 5000 - 100
    assert sorted(line.amount_cents for line in payment.booking.lines) == [-100, 5000]


def test_a_payload_claiming_paid_books_nothing_while_stripe_says_open(client, stripe_fake):
    from supportclub.payments.checkout import DonationInput, start_donation
    from tests.payments.conftest import urls

    payment = start_donation(
        DonationInput(
            amount_cents=5000, first_name="Erika", last_name="Spenderin", email="e@example.org"
        ),
        user=None,
        urls=urls,
    )
    db.session.commit()
    session = stripe_fake.get(payment.checkout_session_id)
    before = counts()
    forged = {
        "id": "evt_forged_paid",
        "object": "event",
        "type": "checkout.session.completed",
        "created": 1_750_000_000,
        "data": {"object": dict(session, status="complete", payment_status="paid")},
    }
    assert deliver(client, forged).status_code == 200
    db.session.expire_all()
    payment = db.session.get(OnlinePayment, payment.id)
    assert payment.status == PaymentStatus.CREATED
    assert payment.booking_id is None
    after = counts()
    assert after["booking"] == before["booking"]
    assert after["booking_line"] == before["booking_line"]


def test_a_payload_claiming_a_refund_reverses_nothing(client, stripe_fake):
    since = len(stripe_fake.events)
    payment = donation(stripe_fake, client, amount_cents=5000)
    charge = next(e for e in new_events(stripe_fake, since) if e["type"] == "charge.succeeded")
    forged = {
        "id": "evt_forged_refund",
        "object": "event",
        "type": "charge.refunded",
        "created": 1_750_000_000,
        "data": {"object": dict(charge["data"]["object"], amount_refunded=5000, refunded=True)},
    }
    before = counts()
    assert deliver(client, forged).status_code == 200
    db.session.expire_all()
    payment = db.session.get(OnlinePayment, payment.id)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.refunded_cents == 0
    assert payment.booking.amount_cents == 5000 - 100
    assert counts()["booking"] == before["booking"]


@pytest.mark.parametrize(
    "metadata",
    [
        pytest.param("token", id="same-id-other-token"),
        pytest.param(None, id="no-metadata"),
    ],
)
def test_another_installations_payment_is_ignored(client, stripe_fake, metadata):
    ours = donation(stripe_fake, client, amount_cents=5000)
    spec = {"amount": 7000, "email": "fremd@example.org"}
    if metadata:
        spec["metadata"] = {"online_payment": ours.id, "supportclub_token": "not-our-token"}
    events = stripe_fake.seed_paid_payments([spec])
    before, ours_before = counts(), columns(ours.id)
    for event in events:
        response = deliver(client, event)
        assert response.status_code == 200
        assert response.get_json()["outcome"] == "ignored"
    after = counts()
    assert after.pop("webhook_event") == before.pop("webhook_event") + len(events)
    assert after == before
    assert columns(ours.id) == ours_before
    assert {stored(e["id"]).outcome for e in events} == {"ignored"}


# Stripe down while re-fetching ----------------------------------------------------------------


@pytest.mark.parametrize("fault", [500, "connection"])
def test_stripe_outage_answers_503_and_the_redelivery_books(client, stripe_fake, fault):
    since = len(stripe_fake.events)
    payment = donation(stripe_fake, client, amount_cents=5000, deliver_events=False)
    completed = next(
        e for e in new_events(stripe_fake, since) if e["type"] == "checkout.session.completed"
    )
    before = counts()
    stripe_fake.fail_next(1, status=fault)
    response = deliver(client, completed)
    assert response.status_code == 503
    after = counts()
    assert after["booking"] == before["booking"]
    assert after["booking_line"] == before["booking_line"]
    assert after["audit_entry"] == before["audit_entry"]
    assert after["webhook_event"] == before["webhook_event"] + 1
    row = stored(completed["id"])
    assert row.outcome == "failed"
    assert "GatewayError" in row.error
    assert db.session.get(OnlinePayment, payment.id).booking_id is None

    response = deliver(client, completed)
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "processed"
    row = stored(completed["id"])
    assert (row.outcome, row.error, row.payment_id) == ("processed", "", payment.id)
    payment = db.session.get(OnlinePayment, payment.id)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.booking.amount_cents == 5000 - 100
    assert counts()["booking"] == before["booking"] + 1
