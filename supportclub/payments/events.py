"""Webhook events: stored once by id, then the payment or payout they name is re-read from
Stripe and the books brought in line (see settle.py).

Ten deliveries of one event at the same moment queue on the payment's row lock; the first
stores the event's id (INSERT ... ON CONFLICT DO NOTHING) and processes it, the others then find
the id and change nothing. Different events of one payment queue on the same lock, and each reads
Stripe only after it holds the lock, so a stale view can never be applied last. Events without a
payment (payouts, unknown types) are stored first and then handled.
"""

import logging

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import NoResultFound

from supportclub.clock import utcnow
from supportclub.dbinsert import insert_if_absent
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.payments import gateway
from supportclub.payments.gateway import Event, StripeState
from supportclub.payments.models import OnlinePayment, WebhookEvent
from supportclub.payments.settle import apply_state

log = logging.getLogger(__name__)

PAYMENT_EVENTS = frozenset(
    {
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed",
        "checkout.session.expired",
        "payment_intent.succeeded",
        "payment_intent.processing",
        "payment_intent.payment_failed",
        "payment_intent.canceled",
        "charge.succeeded",
        "charge.pending",
        "charge.failed",
        "charge.updated",
        "charge.refunded",
        "charge.refund.updated",
        "refund.created",
        "refund.updated",
        "refund.failed",
        "charge.dispute.created",
        "charge.dispute.updated",
        "charge.dispute.closed",
        "charge.dispute.funds_withdrawn",
        "charge.dispute.funds_reinstated",
    }
)
PAYOUT_EVENTS = frozenset(
    {"payout.created", "payout.updated", "payout.paid", "payout.failed", "payout.canceled"}
)


# The statements of every event, built once (building them anew cost more than running them).
_STATEMENTS: dict = {}


def _statement(name: str):
    """A prebuilt statement with bind parameters (per database dialect where it differs)."""
    dialect = db.session.get_bind().dialect.name
    key = (name, dialect)
    statement = _STATEMENTS.get(key)
    if statement is None:
        statement = _STATEMENTS[key] = _build(name, dialect)
    return statement


def _build(name: str, dialect: str):
    """Build the statement `name` for `dialect`."""
    table = WebhookEvent.__table__
    if name == "insert_event":
        # RETURNING, not rowcount: psycopg reports -1 for INSERT ... ON CONFLICT DO NOTHING
        return (
            insert_if_absent(table, key=["id"], dialect=dialect)
            .values({column: bindparam(column) for column in EVENT_COLUMNS})
            .returning(table.c.id)
        )
    if name == "retry_event":
        return (
            update(table)
            .where(table.c.id == bindparam("event_id"), table.c.outcome == "failed")
            .values(
                outcome=bindparam("outcome"),
                error="",
                received_at=bindparam("received_at"),
                payment_id=bindparam("payment_id"),
            )
        )
    column = {
        "payment_by_id": OnlinePayment.id,
        "payment_by_session": OnlinePayment.checkout_session_id,
        "payment_by_intent": OnlinePayment.payment_intent_id,
        "payment_by_charge": OnlinePayment.charge_id,
    }[name]
    return (
        select(OnlinePayment)
        .where(column == bindparam("value"))
        .with_for_update()
        .execution_options(populate_existing=True)
    )


EVENT_COLUMNS = (
    "id",
    "type",
    "object_id",
    "stripe_created",
    "received_at",
    "outcome",
    "error",
    "payment_id",
)


def _lock_payment(how: str, value) -> OnlinePayment | None:
    """The payment found by `how` ("id", "session", "intent", "charge"), its row locked."""
    return db.session.execute(
        _statement(f"payment_by_{how}"), {"value": value}
    ).scalar_one_or_none()


def _insert_once(
    event: Event, *, outcome: str = "processing", payment_id: int | None = None
) -> bool:
    """Store the event's id (with its outcome, where already known); False when it is already
    there (a redelivery)."""
    now = utcnow()
    values = {
        "id": event.id,
        "type": event.type,
        "object_id": event.object_id,
        "stripe_created": event.created,
        "received_at": now,
        "outcome": outcome,
        "error": "",
        "payment_id": payment_id,
    }
    connection = db.session.connection()
    if connection.execute(_statement("insert_event"), values).first() is not None:
        return True
    # a delivery that failed earlier is processed again when Stripe retries it
    retried = connection.execute(
        _statement("retry_event"),
        {"event_id": event.id, "outcome": outcome, "received_at": now, "payment_id": payment_id},
    )
    return retried.rowcount == 1


def _finish(event: Event, outcome: str, *, payment_id=None, payout_id=None) -> None:
    """Record how the event ended."""
    table = WebhookEvent.__table__
    db.session.connection().execute(
        update(table)
        .where(table.c.id == event.id)
        .values(outcome=outcome, payment_id=payment_id, payout_id=payout_id)
    )


def _locked(payment_id: int) -> OnlinePayment:
    """The payment, its row locked until the request commits."""
    payment = _lock_payment("id", payment_id)
    if payment is None:
        raise NoResultFound(f"online payment {payment_id} does not exist")
    return payment


def fetch_state(payment: OnlinePayment) -> StripeState:
    """What Stripe says about the payment now."""
    if payment.checkout_session_id:
        return gateway.state_of_session(payment.checkout_session_id)
    if payment.payment_intent_id:
        return gateway.state_of_intent(payment.payment_intent_id)
    raise gateway.GatewayError(_("Zu dieser Zahlung gibt es bei Stripe keinen Vorgang."))


def _find_locked(event: Event) -> OnlinePayment | None:
    """Our payment the event is about, locked (None when it is not ours).

    The ids the event names find it in one locked read; an intent we have not seen yet (its
    event came before the session's) is read from Stripe for the metadata naming our payment."""
    for how, value in (
        ("session", event.session_id),
        ("intent", event.payment_intent_id),
        ("charge", event.charge_id),
    ):
        if value:
            found = _lock_payment(how, value)
            if found is not None:
                return found
    intent = event.payment_intent_id
    if intent is None and event.charge_id:
        intent = gateway.intent_of_charge(event.charge_id)
    if intent is None:
        return None
    state = gateway.state_of_intent(intent)
    if state.payment_id is None:
        return None
    payment = _lock_payment("id", state.payment_id)
    if payment is None or payment.token != state.payment_token:
        return None  # another installation's payment on the same Stripe account
    return payment


def refresh(payment_id: int, *, actor=None) -> OnlinePayment:
    """Lock the payment, read it from Stripe and bring status and books in line."""
    return _refresh_locked(_locked(payment_id), actor=actor)


def _refresh_locked(payment: OnlinePayment, *, actor=None) -> OnlinePayment:
    """Read a locked payment from Stripe and bring status and books in line."""
    apply_state(payment, fetch_state(payment), actor=actor)
    db.session.flush()
    return payment


def receive(event: Event) -> str:
    """Handle a verified event once; returns the outcome (processed, duplicate, ignored)."""
    if event.type in PAYMENT_EVENTS:
        # the payment's lock first: deliveries of one payment's events queue there, and the
        # event row then goes in with its outcome (one statement, no update afterwards)
        payment = _find_locked(event)
        if payment is None:
            return "ignored" if _insert_once(event, outcome="ignored") else "duplicate"
        if not _insert_once(event, outcome="processed", payment_id=payment.id):
            return "duplicate"
        _refresh_locked(payment)
        return "processed"
    if not _insert_once(event):
        return "duplicate"
    if event.type in PAYOUT_EVENTS:
        from supportclub.payments.payouts import sync_payout

        payout = sync_payout(event.object_id)
        if payout is None:
            _finish(event, "ignored")
            return "ignored"
        _finish(event, "processed", payout_id=payout.id)
        return "processed"
    _finish(event, "ignored")
    return "ignored"


def record_failure(event: Event, error: str) -> None:
    """After a rollback: keep the event as failed (Stripe's redelivery processes it again)."""
    if _insert_once(event):
        _finish(event, "failed")
    db.session.execute(
        update(WebhookEvent).where(WebhookEvent.id == event.id).values(error=error[:2000])
    )
