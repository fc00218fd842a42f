"""Deliveries at the same moment on PostgreSQL (real commits, one connection per request): the
same event ten times, ten different events of one payment, a payment racing its refund. Each
ends with the books a sequential delivery gives: one live booking, each claim paid once."""

import threading

import pytest
from sqlalchemy import func, select

from supportclub.extensions import db
from supportclub.ledger.models import Booking, BookingLine, Category
from supportclub.payments.checkout import start_dues_payment
from supportclub.payments.models import OnlinePayment, PaymentStatus, WebhookEvent
from tests.conftest import make_test_app
from tests.dbutil import PG_URL, fresh_database, migrate
from tests.factories import make_claim, make_member
from tests.payments.conftest import API_KEY, WEBHOOK_SECRET, configure, new_events, urls
from tests.stripe_fake.state import FakeStripe
from tests.stripe_fake.webhooks import payload_of, sign

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (TEST_DATABASE_URL)"),
]

FEE_3600 = 25 + 54  # the fake's card fee of 36,00 €


@pytest.fixture(scope="module")
def pg_app():
    """An app on a new, committed PostgreSQL database, talking to a running fake Stripe."""
    fake = FakeStripe(api_key=API_KEY, webhook_secret=WEBHOOK_SECRET)
    fake.auto_deliver = False
    fake.start()
    with fresh_database("postgresql") as url:
        app = make_test_app(url)
        migrate(app)
        configure(app, fake)
        app.extensions["test_fake"] = fake
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    fake.stop()


@pytest.fixture
def fake(pg_app) -> FakeStripe:
    """The fake Stripe the app talks to."""
    return pg_app.extensions["test_fake"]


def paid_dues(app, fake) -> tuple[int, int, list[dict]]:
    """A member's 36,00 € claim paid by card at Stripe: (payment id, claim id, its events)."""
    with app.app_context():
        person = make_member()
        claim = make_claim(person, 2026)
        payment = start_dues_payment(person=person, claim_ids=[claim.id], user=None, urls=urls)
        db.session.commit()
        ids = (payment.id, claim.id, payment.checkout_session_id)
        db.session.remove()
    since = len(fake.events)
    fake.complete(ids[2])
    return ids[0], ids[1], new_events(fake, since)


def post(app, event: dict):
    """Deliver one signed event through a new test client (its own app context and session)."""
    payload = payload_of(event)
    return app.test_client().post(
        "/stripe/webhook",
        data=payload,
        headers={"Stripe-Signature": sign(payload, WEBHOOK_SECRET)},
        content_type="application/json",
    )


def at_once(*works) -> list:
    """Run each work in its own thread, all released at the same moment; their results."""
    barrier = threading.Barrier(len(works))
    results: list = [None] * len(works)

    def target(index, work):
        barrier.wait()
        try:
            results[index] = work()
        except Exception as exc:  # noqa: BLE001 - the outcome is what we assert on
            results[index] = exc

    threads = [threading.Thread(target=target, args=(i, w)) for i, w in enumerate(works)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


def outcomes(responses) -> list[tuple[int, str]]:
    """(status, outcome) of each webhook answer."""
    return sorted((r.status_code, (r.get_json() or {}).get("outcome", "")) for r in responses)


def books(app, payment_id: int, claim_id: int) -> dict:
    """The payment's books as a treasurer sees them."""
    with app.app_context():
        payment = db.session.get(OnlinePayment, payment_id)
        intent = payment.payment_intent_id
        bookings = db.session.scalars(
            select(Booking).where(Booking.external_ref.like(f"{intent}%"))
        ).all()
        live = sorted(
            (db.session.get(Category, x.category_id).code, x.dues_claim_id, x.amount_cents)
            for x in payment.booking.lines
        )
        result = {
            "status": payment.status,
            "bookings": len(bookings),
            "unreversed": [b.id for b in bookings if b.reversed_by is None],
            "live_id": payment.booking_id,
            "live": live,
            "stripe_total": sum(b.amount_cents for b in bookings)
            + sum(b.reversed_by.amount_cents for b in bookings if b.reversed_by is not None),
            "claim_paid": db.session.scalar(
                select(func.sum(BookingLine.amount_cents)).where(
                    BookingLine.dues_claim_id == claim_id
                )
            ),
        }
        db.session.remove()
        return result


def test_the_same_event_ten_times_at_once_books_once(pg_app, fake):
    payment_id, claim_id, events = paid_dues(pg_app, fake)
    completed = next(e for e in events if e["type"] == "checkout.session.completed")
    responses = at_once(*[lambda: post(pg_app, completed)] * 10)
    assert outcomes(responses) == [(200, "duplicate")] * 9 + [(200, "processed")]
    state = books(pg_app, payment_id, claim_id)
    assert state["bookings"] == 1
    assert state["unreversed"] == [state["live_id"]]
    assert state["live"] == [("bank_fees", None, -FEE_3600), ("dues", claim_id, 3600)]
    assert state["claim_paid"] == 3600
    assert state["status"] == PaymentStatus.SUCCEEDED
    with pg_app.app_context():
        row = db.session.get(WebhookEvent, completed["id"])
        assert (row.outcome, row.payment_id) == ("processed", payment_id)
        db.session.remove()


def test_ten_different_events_of_one_payment_at_once_book_once(pg_app, fake):
    payment_id, claim_id, events = paid_dues(pg_app, fake)
    # Stripe's three events and seven more notices about the same objects (new event ids)
    many = events + [dict(events[n % 3], id=f"{events[n % 3]['id']}_{n}") for n in range(7)]
    assert len({e["id"] for e in many}) == 10
    responses = at_once(*[lambda e=e: post(pg_app, e) for e in many])
    assert outcomes(responses) == [(200, "processed")] * 10
    state = books(pg_app, payment_id, claim_id)
    assert state["bookings"] == 1
    assert state["live"] == [("bank_fees", None, -FEE_3600), ("dues", claim_id, 3600)]
    assert state["claim_paid"] == 3600


def test_a_payment_racing_its_refund_ends_as_in_sequence(pg_app, fake):
    payment_id, claim_id, events = paid_dues(pg_app, fake)
    with pg_app.app_context():
        session_id = db.session.get(OnlinePayment, payment_id).checkout_session_id
        db.session.remove()
    intent = fake.get(session_id)["payment_intent"]

    def refund_and_deliver():
        since = len(fake.events)
        fake.refund(intent, 1000)
        return [post(pg_app, e) for e in new_events(fake, since)]

    results = at_once(
        *[lambda e=e: post(pg_app, e) for e in events + events],
        refund_and_deliver,
    )
    responses = results[:-1] + results[-1]
    assert all(r.status_code == 200 for r in responses), outcomes(responses)
    # whatever each handler saw, the last one read Stripe after the refund: in sequence
    state = books(pg_app, payment_id, claim_id)
    assert state["unreversed"] == [state["live_id"]]
    assert state["live"] == [("bank_fees", None, -FEE_3600), ("dues", claim_id, 2600)]
    assert state["claim_paid"] == 2600
    assert state["stripe_total"] == 2600 - FEE_3600
    assert state["status"] == PaymentStatus.PARTIALLY_REFUNDED
    assert state["bookings"] in (1, 3)  # booked after the refund, or booked and corrected
