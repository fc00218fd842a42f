"""What the treasurer's online-payment pages read: the list with its attention summary, one
payment with its bookings and events, the webhook events and the payouts. Each page sends a
fixed number of statements, however many rows it shows."""

from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from supportclub.extensions import db
from supportclub.ledger.models import Booking, BookingLine, Channel, Person
from supportclub.payments.models import (
    AttentionKind,
    OnlinePayment,
    OnlinePaymentClaim,
    PaymentAttention,
    PaymentStatus,
    Purpose,
    StripePayout,
    WebhookEvent,
)
from supportclub.payments.settle import CLEARING_CATEGORY

PER_PAGE = 50
ATTENTION_BOX_LIMIT = 50


def pages_of(count: int, page: int, per_page: int = PER_PAGE) -> tuple[int, int]:
    """(the page to show, the number of pages) for `count` rows; page 1 when out of range."""
    pages = max((count + per_page - 1) // per_page, 1)
    return min(max(page, 1), pages), pages


def _like(term: str) -> str:
    """A LIKE pattern for `term` anywhere, with its wildcards taken literally."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# The list ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentFilter:
    """The list's filter: status, purpose, only those needing attention, a search term."""

    status: PaymentStatus | None = None
    purpose: Purpose | None = None
    attention_only: bool = False
    search: str = ""


def _open_attention_exists():
    """SQL: the payment has an unresolved attention item."""
    return (
        select(PaymentAttention.id)
        .where(
            PaymentAttention.payment_id == OnlinePayment.id,
            PaymentAttention.resolved_at.is_(None),
        )
        .exists()
    )


def _search(term: str):
    """SQL: the payer's or donor's name, the e-mail or a Stripe id contains `term`."""
    pattern = _like(term.lower())
    persons = select(Person.id).where(
        or_(
            func.lower(Person.last_name).like(pattern, escape="\\"),
            func.lower(Person.first_name).like(pattern, escape="\\"),
            func.lower(Person.email).like(pattern, escape="\\"),
        )
    )
    donor_parts = [
        func.lower(OnlinePayment.donor[key].as_string()).like(pattern, escape="\\")
        for key in ("first_name", "last_name")
    ]
    raw = _like(term)  # Stripe ids are case-sensitive
    return or_(
        OnlinePayment.person_id.in_(persons),
        func.lower(OnlinePayment.email).like(pattern, escape="\\"),
        *donor_parts,
        OnlinePayment.checkout_session_id.like(raw, escape="\\"),
        OnlinePayment.payment_intent_id.like(raw, escape="\\"),
        OnlinePayment.charge_id.like(raw, escape="\\"),
    )


def _conditions(flt: PaymentFilter) -> list:
    """The WHERE conditions of the filter."""
    conditions = []
    if flt.status is not None:
        conditions.append(OnlinePayment.status == flt.status)
    if flt.purpose is not None:
        conditions.append(OnlinePayment.purpose == flt.purpose)
    if flt.attention_only:
        conditions.append(_open_attention_exists())
    if flt.search.strip():
        conditions.append(_search(flt.search.strip()))
    return conditions


def payment_count(flt: PaymentFilter) -> int:
    """How many payments match the filter."""
    return db.session.scalar(
        select(func.count()).select_from(OnlinePayment).where(*_conditions(flt))
    )


def payment_rows(flt: PaymentFilter, *, page: int) -> list[OnlinePayment]:
    """One page of payments, newest first, with payer, fund, claims and attention loaded."""
    stmt = (
        select(OnlinePayment)
        .where(*_conditions(flt))
        .options(
            joinedload(OnlinePayment.person),
            joinedload(OnlinePayment.fund),
            selectinload(OnlinePayment.claims).joinedload(OnlinePaymentClaim.claim),
            selectinload(OnlinePayment.attention),
        )
        .order_by(OnlinePayment.created_at.desc(), OnlinePayment.id.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    )
    return list(db.session.scalars(stmt).unique())


def attention_counts() -> dict[AttentionKind, int]:
    """Open attention items by kind."""
    rows = db.session.execute(
        select(PaymentAttention.kind, func.count())
        .where(PaymentAttention.resolved_at.is_(None))
        .group_by(PaymentAttention.kind)
    )
    return {AttentionKind(kind): count for kind, count in rows}


def open_attention(limit: int = ATTENTION_BOX_LIMIT) -> list[PaymentAttention]:
    """The oldest open attention items, with their payment and payer."""
    stmt = (
        select(PaymentAttention)
        .where(PaymentAttention.resolved_at.is_(None))
        .options(joinedload(PaymentAttention.payment).joinedload(OnlinePayment.person))
        .order_by(PaymentAttention.created_at, PaymentAttention.id)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


# One payment ----------------------------------------------------------------------------------


@dataclass
class PaymentDetail:
    """A payment with what its page shows."""

    payment: OnlinePayment
    bookings: list[Booking]
    events: list[WebhookEvent]
    reversed_ids: set[int] = field(default_factory=set)
    clearing_cents: int = 0


def _payment(payment_id: int) -> OnlinePayment | None:
    """The payment with payer, fund, claims (with member) and attention items."""
    if not 0 < payment_id < 2**31:
        return None
    return db.session.execute(
        select(OnlinePayment)
        .where(OnlinePayment.id == payment_id)
        .options(
            joinedload(OnlinePayment.person),
            joinedload(OnlinePayment.fund),
            joinedload(OnlinePayment.user),
            selectinload(OnlinePayment.claims).joinedload(OnlinePaymentClaim.claim),
            selectinload(OnlinePayment.attention).joinedload(PaymentAttention.resolved_by),
        )
    ).scalar_one_or_none()


def payment_bookings(payment: OnlinePayment) -> list[Booking]:
    """Every booking of the payment: the Stripe bookings under its PaymentIntent id (first,
    corrections, excess booked as a donation), the first and live booking, and their reversals."""
    ids = {i for i in (payment.first_booking_id, payment.booking_id) if i is not None}
    intent = payment.payment_intent_id
    if intent:
        ids |= set(
            db.session.scalars(
                select(Booking.id).where(
                    Booking.channel == Channel.STRIPE,
                    or_(
                        Booking.external_ref == intent,
                        Booking.external_ref.startswith(f"{intent}/", autoescape=True),
                    ),
                )
            )
        )
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(Booking)
            .where(or_(Booking.id.in_(ids), Booking.reversal_of_id.in_(ids)))
            .options(
                joinedload(Booking.account),
                selectinload(Booking.lines).joinedload(BookingLine.category),
                selectinload(Booking.lines).joinedload(BookingLine.fund),
            )
            .order_by(Booking.id)
        )
    )


def clearing_cents(bookings: list[Booking]) -> int:
    """What stands on the "clearing" category across the payment's bookings (still unclear)."""
    return sum(
        line.amount_cents
        for booking in bookings
        for line in booking.lines
        if line.category.code == CLEARING_CATEGORY
    )


def payment_detail(payment_id: int) -> PaymentDetail | None:
    """The payment, its bookings and the webhook events about it."""
    payment = _payment(payment_id)
    if payment is None:
        return None
    bookings = payment_bookings(payment)
    events = list(
        db.session.scalars(
            select(WebhookEvent)
            .where(WebhookEvent.payment_id == payment.id)
            .order_by(WebhookEvent.received_at.desc(), WebhookEvent.id)
            .limit(200)
        )
    )
    return PaymentDetail(
        payment=payment,
        bookings=bookings,
        events=events,
        reversed_ids={b.reversal_of_id for b in bookings if b.reversal_of_id is not None},
        clearing_cents=clearing_cents(bookings),
    )


# Webhook events -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventFilter:
    """The events page's filter."""

    outcome: str | None = None
    type: str | None = None


def _event_conditions(flt: EventFilter) -> list:
    """The WHERE conditions of the events filter."""
    conditions = []
    if flt.outcome:
        conditions.append(WebhookEvent.outcome == flt.outcome)
    if flt.type:
        conditions.append(WebhookEvent.type == flt.type)
    return conditions


def event_count(flt: EventFilter) -> int:
    """How many events match the filter."""
    return db.session.scalar(
        select(func.count()).select_from(WebhookEvent).where(*_event_conditions(flt))
    )


def event_rows(flt: EventFilter, *, page: int) -> list[WebhookEvent]:
    """One page of events, newest first."""
    return list(
        db.session.scalars(
            select(WebhookEvent)
            .where(*_event_conditions(flt))
            .order_by(WebhookEvent.received_at.desc(), WebhookEvent.id.desc())
            .limit(PER_PAGE)
            .offset((page - 1) * PER_PAGE)
        )
    )


def event_types() -> list[str]:
    """The event types received so far (for the filter)."""
    return list(
        db.session.scalars(select(WebhookEvent.type).distinct().order_by(WebhookEvent.type))
    )


# Payouts --------------------------------------------------------------------------------------


def payout_count() -> int:
    """How many payouts there are."""
    return db.session.scalar(select(func.count()).select_from(StripePayout))


def payout_rows(*, page: int) -> list[StripePayout]:
    """One page of payouts, newest first."""
    return list(
        db.session.scalars(
            select(StripePayout)
            .order_by(StripePayout.created_at.desc(), StripePayout.id.desc())
            .limit(PER_PAGE)
            .offset((page - 1) * PER_PAGE)
        )
    )
