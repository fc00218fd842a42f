"""Stripe deliveries at the same moment, through the real webhook view: a donation and two dues
payments, each of their events four times, all 36 requests released together (more than the
connection pool holds, so some also queue for a connection). Each event is
processed once, each payment booked once, and its status moved only along the status machine."""

import json
import threading

import pytest
from sqlalchemy import func, select

from supportclub.audit import AuditEntry
from supportclub.extensions import db
from supportclub.ledger.models import Booking, BookingLine
from supportclub.payments.checkout import DonationInput, start_donation, start_dues_payment
from supportclub.payments.models import TRANSITIONS, OnlinePayment, PaymentStatus, WebhookEvent
from tests.concurrency.conftest import assert_audit_chain_intact, committed
from tests.factories import make_claim, make_member
from tests.payments.conftest import API_KEY, WEBHOOK_SECRET, configure, new_events, urls
from tests.stripe_fake.state import FakeStripe
from tests.stripe_fake.webhooks import payload_of, sign

COPIES = 4


@pytest.fixture
def fake(pg_app):
    """A running fake Stripe the app talks to; the test delivers the events itself."""
    stripe = FakeStripe(api_key=API_KEY, webhook_secret=WEBHOOK_SECRET)
    stripe.auto_deliver = False
    stripe.start()
    configure(pg_app, stripe)
    try:
        yield stripe
    finally:
        configure(pg_app, None)
        stripe.stop()


def paid(app, fake) -> tuple[list[int], list[int], list[dict]]:
    """A donation of 50,00 € and two members' 36,00 € dues, paid by card at Stripe (not yet
    delivered): (payment ids, claim ids, all their events)."""

    def start():
        donation = start_donation(
            DonationInput(
                amount_cents=5000,
                first_name="Erika",
                last_name="Spenderin",
                street="Lindenweg 3",
                postal_code="07743",
                city="Jena",
                email="erika@example.org",
            ),
            user=None,
            urls=urls,
        )
        payments, claims = [donation], []
        for _ in range(2):
            person = make_member()
            claim = make_claim(person, 2026)
            payments.append(
                start_dues_payment(person=person, claim_ids=[claim.id], user=None, urls=urls)
            )
            claims.append(claim.id)
        db.session.commit()
        return [(p.id, p.checkout_session_id) for p in payments], claims

    payments, claims = committed(app, start)
    since = len(fake.events)
    for _payment_id, session_id in payments:
        fake.complete(session_id)
    return [p for p, _s in payments], claims, new_events(fake, since)


def post_all_at_once(app, events: list[dict]) -> list:
    """POST each event through its own test client (own app context, session and connection),
    all released by one barrier; the responses in order."""
    barrier = threading.Barrier(len(events))
    responses: list = [None] * len(events)

    def deliver(index: int, event: dict) -> None:
        payload = payload_of(event)
        headers = {"Stripe-Signature": sign(payload, WEBHOOK_SECRET)}
        client = app.test_client()
        try:
            barrier.wait(timeout=60)
            responses[index] = client.post(
                "/stripe/webhook", data=payload, headers=headers, content_type="application/json"
            )
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test asserts on
            responses[index] = exc

    threads = [
        threading.Thread(target=deliver, args=(i, e), name=f"h8-webhook-{i}")
        for i, e in enumerate(events)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not any(thread.is_alive() for thread in threads), "a delivery hangs (deadlock?)"
    return responses


def test_every_event_four_times_and_all_events_of_each_payment_at_once(pg_app, fake):
    payment_ids, claim_ids, events = paid(pg_app, fake)
    assert len(events) == 9  # three per payment (session completed, intent and charge succeeded)
    burst = [event for event in events for _copy in range(COPIES)]
    responses = post_all_at_once(pg_app, burst)
    errors = [r for r in responses if isinstance(r, Exception) or r.status_code != 200]
    assert not errors, [getattr(r, "status_code", r) for r in errors]

    outcomes: dict[str, list[str]] = {}
    for event, response in zip(burst, responses, strict=True):
        outcomes.setdefault(event["id"], []).append(response.get_json()["outcome"])
    # each event processed by exactly one of its four deliveries; the others were duplicates
    for event_id, seen in outcomes.items():
        assert sorted(seen) == ["duplicate"] * (COPIES - 1) + ["processed"], (event_id, seen)

    def read():
        stored = db.session.execute(select(WebhookEvent.id, WebhookEvent.outcome)).all()
        assert sorted(stored) == sorted((e["id"], "processed") for e in events)
        for index, payment_id in enumerate(payment_ids):
            payment = db.session.get(OnlinePayment, payment_id)
            assert payment.status == PaymentStatus.SUCCEEDED
            bookings = db.session.scalars(
                select(Booking).where(Booking.external_ref.like(f"{payment.payment_intent_id}%"))
            ).all()
            # exactly one booking of the payment, the live one, never reversed
            assert [b.id for b in bookings] == [payment.booking_id]
            assert bookings[0].reversed_by is None
            assert bookings[0].amount_cents == payment.paid_cents - payment.fee_cents
            assert payment.paid_cents == (5000 if index == 0 else 3600)
            # the status moved only along the machine, each step once
            steps = [
                json.loads(e.data_json)
                for e in db.session.scalars(
                    select(AuditEntry)
                    .where(
                        AuditEntry.action == "payments.status_changed",
                        AuditEntry.target_type == "OnlinePayment",
                        AuditEntry.target_id == payment_id,
                    )
                    .order_by(AuditEntry.id)
                )
            ]
            assert steps, payment_id
            assert steps[0]["from"] == PaymentStatus.CREATED
            assert steps[-1]["to"] == PaymentStatus.SUCCEEDED
            for step, following in zip(steps, steps[1:], strict=False):
                assert following["from"] == step["to"]
            for step in steps:
                assert PaymentStatus(step["to"]) in TRANSITIONS[PaymentStatus(step["from"])]
        for claim_id in claim_ids:
            paid_cents = db.session.scalar(
                select(func.sum(BookingLine.amount_cents)).where(
                    BookingLine.dues_claim_id == claim_id
                )
            )
            assert paid_cents == 3600

    committed(pg_app, read)
    assert_audit_chain_intact(pg_app)
