"""What the treasurer does with an online payment: confirm an unclear payer, re-read it from
Stripe, refund it, mark an attention item as done, book an excess as a donation.

Each verb locks the payment's row first (a webhook for the same payment waits), takes an explicit
actor, is audited, flushes and never commits. Whatever changes the money goes through Stripe and
then `events.refresh`, so the books show it at once and exactly as the webhook would.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from supportclub import audit
from supportclub.clock import today, utcnow
from supportclub.errors import DomainError, ValidationError
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.ledger.models import Booking, Category, Channel, Person
from supportclub.ledger.services import (
    LineInput,
    check_booking_date,
    general_fund,
    record_booking,
)
from supportclub.money import format_cents
from supportclub.payments import events, gateway, payers
from supportclub.payments.models import (
    AttentionKind,
    OnlinePayment,
    PaymentAttention,
    PaymentStatus,
)
from supportclub.payments.queries import clearing_cents, payment_bookings
from supportclub.payments.settle import CLEARING_CATEGORY

REFUNDABLE = frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED})
MAX_NOTE = 500


@dataclass(frozen=True)
class Outcome:
    """The payment after an action, and whether Stripe could be read afterwards."""

    payment: OnlinePayment
    synced: bool = True
    message: str = ""  # why it could not be read (the gateway's message)


def _locked(payment_id: int) -> OnlinePayment:
    """The payment with its row locked until the request commits."""
    payment = db.session.execute(
        select(OnlinePayment)
        .where(OnlinePayment.id == payment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if payment is None:
        raise DomainError(_("Diese Online-Zahlung gibt es nicht."))
    return payment


def _open_item(payment: OnlinePayment, kind: AttentionKind) -> PaymentAttention | None:
    """The payment's unresolved attention item of `kind`, if any."""
    return next(
        (a for a in payment.attention if a.kind == kind and a.resolved_at is None),
        None,
    )


def _sync(payment: OnlinePayment, actor) -> Outcome:
    """Re-read the payment from Stripe and book it; a Stripe outage keeps what was done."""
    try:
        events.refresh(payment.id, actor=actor)
    except gateway.GatewayError as exc:
        return Outcome(payment, synced=False, message=exc.message)
    return Outcome(payment)


# Payer ------------------------------------------------------------------------------------------


def payer_choices(payment: OnlinePayment) -> list[Person]:
    """The persons an unclear payer may be: those flagged, and who matches now."""
    item = _open_item(payment, AttentionKind.PAYER_UNCLEAR)
    if item is None or payment.person_id is not None:
        return []
    flagged = [i for i in (item.detail or {}).get("candidates", []) if isinstance(i, int)]
    persons = list(
        db.session.scalars(select(Person).where(Person.id.in_(flagged), Person.is_active.is_(True)))
    )
    match, doubtful = payers.candidates(payment.donor or {}, payment.email)
    result: dict[int, Person] = {}
    for person in [*persons, *doubtful, *([match] if match else [])]:
        result.setdefault(person.id, person)
    return sorted(result.values(), key=lambda p: p.id)


def assign_payer(payment_id: int, *, person_id: int | None, actor) -> Outcome:
    """Confirm who paid (a candidate, or None: a new person from the donor's data), then book."""
    payment = _locked(payment_id)
    if payment.person_id is not None or _open_item(payment, AttentionKind.PAYER_UNCLEAR) is None:
        raise ValidationError(_("Für diese Zahlung ist der Zahler bereits geklärt."))
    if person_id is not None and person_id not in {p.id for p in payer_choices(payment)}:
        raise ValidationError(
            _("Bitte eine der vorgeschlagenen Personen wählen oder eine neue anlegen."),
            field="person",
        )
    payers.assign_payer(payment, person_id=person_id, actor=actor)
    db.session.flush()
    return _sync(payment, actor)


# Stripe -----------------------------------------------------------------------------------------


def sync(payment_id: int, *, actor) -> OnlinePayment:
    """Read the payment from Stripe and bring status and books in line ("abgleichen")."""
    known = _locked(payment_id)
    if not (known.checkout_session_id or known.payment_intent_id):
        raise ValidationError(_("Diese Zahlung ist bei Stripe nicht bekannt; nichts abzugleichen."))
    payment = events.refresh(payment_id, actor=actor)
    audit.record(
        actor,
        "payments.synced",
        payment,
        {
            "status": payment.status,
            "paid_cents": payment.paid_cents,
            "refunded_cents": payment.refunded_cents,
        },
    )
    return payment


def _excess_donations(payment: OnlinePayment, bookings: list[Booking]) -> list[Booking]:
    """The payment's excess-as-donation bookings that are not reversed."""
    prefix = f"{payment.payment_intent_id}/spende/"
    reversed_ids = {b.reversal_of_id for b in bookings if b.reversal_of_id is not None}
    return [
        b
        for b in bookings
        if (b.external_ref or "").startswith(prefix) and b.id not in reversed_ids
    ]


def refundable_cents(payment: OnlinePayment) -> int:
    """What may still be refunded: paid minus refunded, for a paid, undisputed payment."""
    if payment.status not in REFUNDABLE or not payment.payment_intent_id:
        return 0
    if payment.dispute_status:
        return 0  # Stripe refuses to refund a charge the payer disputed
    return max(payment.paid_cents - payment.refunded_cents, 0)


def _check_refund(payment: OnlinePayment, amount_cents: int | None) -> int:
    """The amount to refund, or the reason it cannot be refunded."""
    if payment.status not in REFUNDABLE or not payment.payment_intent_id:
        raise ValidationError(_("Nur bezahlte Online-Zahlungen können erstattet werden."))
    if payment.dispute_status:
        raise ValidationError(
            _(
                "Der Zahler hat diese Zahlung bei seiner Bank angefochten; sie kann nicht "
                "erstattet werden. Bitte den Streitfall im Stripe-Dashboard bearbeiten."
            )
        )
    available = refundable_cents(payment)
    if available <= 0:
        raise ValidationError(_("Diese Zahlung ist bereits vollständig erstattet."))
    amount = available if amount_cents is None else amount_cents
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ValidationError(_("Der Betrag muss größer als 0 sein."), field="amount")
    if amount > available:
        raise ValidationError(
            _(
                "Höchstens %(max)s können erstattet werden (bezahlt %(paid)s, bereits "
                "erstattet %(refunded)s).",
                max=format_cents(available),
                paid=format_cents(payment.paid_cents),
                refunded=format_cents(payment.refunded_cents),
            ),
            field="amount",
        )
    if _excess_donations(payment, payment_bookings(payment)):
        raise ValidationError(
            _(
                "Der Mehrbetrag dieser Zahlung ist als Spende gebucht. Bitte zuerst diese "
                "Buchung stornieren, dann erstatten."
            )
        )
    return amount


def refund(payment_id: int, *, amount_cents: int | None, actor) -> Outcome:
    """Refund (part of) a paid payment at Stripe, then book it (None: all that is left)."""
    payment = _locked(payment_id)
    amount = _check_refund(payment, amount_cents)
    # the same request sent again (a retry after a lost answer) must not refund twice
    key = f"supportclub-refund-{payment.token}-{payment.refunded_cents}"
    refund_id = gateway.refund(payment.payment_intent_id, amount, idempotency_key=key)
    audit.record(
        actor,
        "payments.refund_requested",
        payment,
        {
            "amount_cents": amount,
            "refund_id": refund_id,
            "refunded_before_cents": payment.refunded_cents,
        },
    )
    return _sync(payment, actor)


# Attention --------------------------------------------------------------------------------------


def resolve_attention(payment_id: int, attention_id: int, *, note: str, actor) -> PaymentAttention:
    """Mark an attention item as done, with a note how it was resolved."""
    payment = _locked(payment_id)
    item = next((a for a in payment.attention if a.id == attention_id), None)
    if item is None:
        raise ValidationError(_("Diesen Hinweis gibt es zu dieser Zahlung nicht."))
    if item.resolved_at is not None:
        raise ValidationError(_("Dieser Hinweis ist bereits erledigt."))
    if item.kind == AttentionKind.PAYER_UNCLEAR:
        raise ValidationError(
            _("Bitte den Zahler zuordnen; erst dann kann die Zahlung gebucht werden.")
        )
    note = " ".join((note or "").split())
    if len(note) < 3:
        raise ValidationError(_("Bitte kurz notieren, wie es geklärt wurde."), field="resolution")
    if len(note) > MAX_NOTE:
        raise ValidationError(
            _("Die Notiz ist zu lang (höchstens %(max)s Zeichen).", max=MAX_NOTE),
            field="resolution",
        )
    item.resolved_at = utcnow()
    item.resolved_by_id = getattr(actor, "id", None)
    item.resolution = note
    db.session.flush()
    audit.record(
        actor,
        "payments.attention_resolved",
        payment,
        {"attention_id": item.id, "kind": item.kind, "resolution": note},
    )
    return item


# Excess -----------------------------------------------------------------------------------------


def _category(code: str) -> int:
    """A category's id by its code."""
    return db.session.execute(select(Category.id).where(Category.code == code)).scalar_one()


def _excess_day(payment: OnlinePayment) -> date:
    """The day the money came (the donation's date on a receipt), or today when that year is
    closed."""
    live = db.session.get(Booking, payment.booking_id) if payment.booking_id else None
    if live is None:
        return today()
    try:
        check_booking_date(live.booking_date)
    except DomainError:
        return today()
    return live.booking_date


def excess_to_donation(payment_id: int, *, actor) -> Booking:
    """Book what a payment brought in beyond its claims (the "clearing" line) as the payer's
    donation to the general fund: a cashless booking, −x clearing and +x donation."""
    payment = _locked(payment_id)
    bookings = payment_bookings(payment)
    excess = clearing_cents(bookings)
    if excess <= 0 or not payment.payment_intent_id:
        raise ValidationError(_("Auf dieser Zahlung steht kein ungeklärter Mehrbetrag."))
    if payment.person_id is None:
        raise ValidationError(_("Bitte zuerst den Zahler zuordnen."))
    fund = general_fund().id
    text = _("Mehrbetrag der Online-Zahlung als Spende")
    prefix = f"{payment.payment_intent_id}/spende/"
    # a reversed excess booking keeps its reference: the next one gets the next number
    number = sum(1 for b in bookings if (b.external_ref or "").startswith(prefix))
    booking = record_booking(
        booking_date=_excess_day(payment),
        account_id=None,
        amount_cents=0,
        lines=[
            LineInput(_category(CLEARING_CATEGORY), fund, -excess, text),
            LineInput(_category("donation"), fund, excess, text),
        ],
        actor=actor,
        person_id=payment.person_id,
        text=text,
        channel=Channel.STRIPE,
        external_ref=f"{payment.payment_intent_id}/spende/{number + 1}",
    )
    item = _open_item(payment, AttentionKind.AMOUNT_MISMATCH)
    if item is not None:
        item.resolved_at = utcnow()
        item.resolved_by_id = getattr(actor, "id", None)
        item.resolution = _(
            "Mehrbetrag %(amount)s als Spende gebucht (Buchung %(id)s)",
            amount=format_cents(excess),
            id=booking.id,
        )
    db.session.flush()
    audit.record(
        actor,
        "payments.excess_to_donation",
        payment,
        {"amount_cents": excess, "booking_id": booking.id},
    )
    return booking
