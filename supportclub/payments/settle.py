"""The books of an online payment follow what Stripe says, whatever order events arrive in.

`apply_state(payment, state)` is the one transition function. It is called with the payment's
row locked and a state fetched from Stripe under that lock, and it is idempotent:

1. Set the status Stripe's state implies (only along the status machine's transitions).
2. Flag what needs the treasurer: a failed debit, a dispute, an amount that differs from the
   claims, a currency other than euros.
3. Once the money is confirmed and its fee known, make the books say exactly that: the payer's
   income (dues lines per claim, or the donation on its fund) minus refunds and lost disputes,
   and Stripe's fee as a cost line on the general fund, on the Stripe account. If the live
   booking already says so, nothing happens; otherwise it is reversed and the correct booking
   recorded (the ledger's way of correcting: never an edit).
"""

import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from supportclub import audit
from supportclub.clock import today, utcnow
from supportclub.dues.models import DuesClaim
from supportclub.dues.payments import beitrag_text
from supportclub.dues.queries import claims_by_id
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.ledger.models import Account, Booking, BookingLine, Category, Channel
from supportclub.ledger.services import (
    LineInput,
    bookable_date,
    general_fund,
    record_booking,
    reverse_booking,
)
from supportclub.money import format_cents
from supportclub.payments.gateway import StripeState
from supportclub.payments.models import (
    TRANSITIONS,
    AttentionKind,
    OnlinePayment,
    PaymentAttention,
    PaymentStatus,
    Purpose,
)

log = logging.getLogger(__name__)
BERLIN = ZoneInfo("Europe/Berlin")
FEE_CATEGORY = "bank_fees"
CLEARING_CATEGORY = "clearing"


def _ids() -> dict[str, int]:
    """Ids of the Stripe account, the general fund and the categories a payment's books use.

    They are seeded by the migrations and never change, so each process reads them once per
    database (the webhook needs them on every event)."""
    url = str(db.session.get_bind().engine.url)
    cache = current_app.extensions.setdefault("supportclub_payment_ids", {})
    ids = cache.get(url)
    if ids is None:
        accounts = dict(db.session.execute(select(Account.code, Account.id)).all())
        categories = dict(
            db.session.execute(
                select(Category.code, Category.id).where(
                    Category.code.in_(["dues", "donation", FEE_CATEGORY, CLEARING_CATEGORY])
                )
            ).all()
        )
        ids = {"stripe": accounts["stripe"], "general": general_fund().id, **categories}
        cache[url] = ids
    return ids


# Status ---------------------------------------------------------------------------------------


def observed_status(state: StripeState) -> PaymentStatus:
    """The status Stripe's state implies."""
    if state.settled:
        back = state.refunded_cents + state.lost_cents
        if back >= state.amount_received > 0:
            return PaymentStatus.REFUNDED
        if back > 0:
            return PaymentStatus.PARTIALLY_REFUNDED
        return PaymentStatus.SUCCEEDED
    if state.intent_status in {"succeeded", "processing"}:
        return PaymentStatus.PENDING
    if state.failed:
        return PaymentStatus.FAILED
    if state.session_status == "expired":
        return PaymentStatus.EXPIRED
    return PaymentStatus.CREATED


def _move(payment: OnlinePayment, status: PaymentStatus) -> None:
    """Move along the status machine; a move it does not allow is logged and ignored."""
    if status == payment.status:
        return
    if status not in TRANSITIONS[payment.status]:
        log.warning("payment %s: ignoring %s -> %s", payment.id, payment.status, status)
        return
    audit.record(
        None,
        "payments.status_changed",
        payment,
        {"from": payment.status, "to": status},
    )
    payment.status = status


# Attention ------------------------------------------------------------------------------------


def flag(payment: OnlinePayment, kind: AttentionKind, detail: dict) -> None:
    """Ask the treasurer to look at `kind` (once per kind; a changed detail reopens it)."""
    existing = next((a for a in payment.attention if a.kind == kind), None)
    if existing is None:
        db.session.add(PaymentAttention(payment=payment, kind=kind, detail=detail))
        return
    if existing.detail != detail:
        existing.detail = detail
        existing.resolved_at = None
        existing.resolved_by_id = None
        existing.resolution = ""


def _flags(payment: OnlinePayment, state: StripeState) -> None:
    """The attention items the state itself shows."""
    if state.failed and state.failure_message:
        flag(
            payment,
            AttentionKind.PAYMENT_FAILED,
            {"message": state.failure_message, "method": state.method},
        )
    if state.dispute_status:
        flag(
            payment,
            AttentionKind.DISPUTED,
            {"status": state.dispute_status, "amount_cents": state.dispute_cents},
        )
    if state.currency != "eur":
        flag(payment, AttentionKind.CURRENCY, {"currency": state.currency})


# Books ----------------------------------------------------------------------------------------


def _line_input(line: BookingLine) -> LineInput:
    """A booking line as the input of a new booking."""
    return LineInput(
        category_id=line.category_id,
        fund_id=line.fund_id,
        amount_cents=line.amount_cents,
        text=line.text,
        dues_claim_id=line.dues_claim_id,
        campaign_id=line.campaign_id,
        project_id=line.project_id,
    )


def _dues_lines(payment: OnlinePayment, paid: int, ids: dict[str, int]) -> list[LineInput]:
    """Spread what was paid over the payment's claims, oldest first; the rest needs clearing."""
    claim_ids = [c.claim_id for c in payment.claims]
    db.session.execute(
        select(DuesClaim.id)
        .where(DuesClaim.id.in_(claim_ids))
        .order_by(DuesClaim.id)
        .with_for_update()
    )
    fund = ids["general"]
    lines, rest = [], paid
    for row in claims_by_id(claim_ids):
        share = min(rest, row.open_cents)
        if share > 0:
            lines.append(
                LineInput(ids["dues"], fund, share, beitrag_text(row), dues_claim_id=row.claim.id)
            )
            rest -= share
    asked = sum(c.amount_cents for c in payment.claims)
    if rest > 0 or paid != asked:
        flag(
            payment,
            AttentionKind.AMOUNT_MISMATCH,
            {"asked_cents": asked, "paid_cents": paid, "unallocated_cents": rest},
        )
    if rest > 0:
        lines.append(
            LineInput(
                ids[CLEARING_CATEGORY],
                fund,
                rest,
                _("Online-Zahlung: Mehrbetrag, zu klären"),
            )
        )
    return lines


def _donation_lines(payment: OnlinePayment, paid: int, ids: dict[str, int]) -> list[LineInput]:
    """The donation on its fund (a project's fund when earmarked)."""
    if paid != payment.amount_cents:
        flag(
            payment,
            AttentionKind.AMOUNT_MISMATCH,
            {"asked_cents": payment.amount_cents, "paid_cents": paid, "unallocated_cents": 0},
        )
    fund = payment.fund_id or ids["general"]
    return [LineInput(ids["donation"], fund, paid, _("Online-Spende"))]


def _income_base(payment: OnlinePayment, state: StripeState, ids) -> list[LineInput]:
    """The income lines of the full amount paid: the first booking's, or a new allocation."""
    if payment.first_booking_id is not None:
        first = db.session.get(Booking, payment.first_booking_id)
        lines = [_line_input(x) for x in first.lines if x.category_id != ids[FEE_CATEGORY]]
        if sum(line.amount_cents for line in lines) == state.amount_received:
            return lines
        # first booked after a refund or lost dispute (events came late): not the whole amount
    if payment.purpose == Purpose.DUES:
        return _dues_lines(payment, state.amount_received, ids)
    return _donation_lines(payment, state.amount_received, ids)


def _reduced(lines: list[LineInput], target: int) -> list[LineInput]:
    """The lines cut down to `target`, taking from the last line first (clearing, then the
    newest claim): what a refund or a lost dispute takes back."""
    cut = sum(line.amount_cents for line in lines) - target
    kept = list(lines)
    for index in range(len(kept) - 1, -1, -1):
        if cut <= 0:
            break
        line = kept[index]
        take = min(cut, line.amount_cents)
        cut -= take
        if take == line.amount_cents:
            del kept[index]
        else:
            kept[index] = LineInput(
                line.category_id,
                line.fund_id,
                line.amount_cents - take,
                line.text,
                line.dues_claim_id,
                line.campaign_id,
                line.project_id,
            )
    return kept


def _split(booking: Booking, fee_category: int) -> tuple[int, int]:
    """(income, fee) of a live booking (the fee as a positive number)."""
    fee = -sum(x.amount_cents for x in booking.lines if x.category_id == fee_category)
    income = sum(x.amount_cents for x in booking.lines if x.category_id != fee_category)
    return income, fee


def _day(preferred: date) -> date:
    """`preferred` when a booking may be dated there and it is not in the future, else today."""
    return min(bookable_date(preferred), today())


def _paid_day(paid_at: datetime | None) -> date:
    """The day the payment was made, in Germany."""
    return (paid_at or utcnow()).astimezone(BERLIN).date()


def _reason(state: StripeState, fee: int) -> str:
    """Why a live booking is corrected."""
    parts = []
    if state.refunded_cents:
        parts.append(_("Erstattung %(amount)s", amount=format_cents(state.refunded_cents)))
    if state.lost_cents:
        parts.append(
            _(
                "Rückbuchung nach verlorenem Streitfall %(amount)s",
                amount=format_cents(state.lost_cents),
            )
        )
    if not parts:
        parts.append(_("Gebühr laut Stripe %(amount)s", amount=format_cents(fee)))
    return _("Stripe: %(what)s", what=", ".join(parts))


def _text(payment: OnlinePayment) -> str:
    """The booking text."""
    if payment.purpose == Purpose.DUES:
        return _("Online-Zahlung Mitgliedsbeitrag (Stripe)")
    return _("Online-Spende (Stripe)")


def book(payment: OnlinePayment, state: StripeState, *, actor=None) -> Booking | None:
    """Make the payment's live booking say what Stripe says (see the module docstring)."""
    if not state.settled or state.currency != "eur":
        return payment.booking
    if payment.person_id is None and not payment.anonymous:
        from supportclub.payments.payers import resolve_payer

        if not resolve_payer(payment, actor=actor):
            return None  # waits in the treasurer's queue; booked once the payer is confirmed
    ids = _ids()
    income = state.amount_received - state.refunded_cents - state.lost_cents
    fee = (state.fee_cents or 0) + state.closed_dispute_fee_cents
    live = payment.booking
    if live is not None and _split(live, ids[FEE_CATEGORY]) == (income, fee):
        return live
    if live is None and payment.first_booking_id is None and income <= 0 and fee == 0:
        return None
    if live is not None:
        # reversed first: a new allocation then sees the claims open without this payment
        reverse_booking(live, _reason(state, fee), actor=actor, reversal_date=today())
        payment.booking_id = None
    lines = _reduced(_income_base(payment, state, ids), max(income, 0))
    if fee:
        lines.append(LineInput(ids[FEE_CATEGORY], ids["general"], -fee, _("Stripe-Gebühr")))
    if not lines:
        return None
    amount = sum(line.amount_cents for line in lines)
    if payment.first_booking_id is None:
        day = _day(_paid_day(state.paid_at))
        reference = state.payment_intent_id
    else:
        first = db.session.get(Booking, payment.first_booking_id)
        day = first.booking_date if first.booking_date.year == today().year else today()
        day = _day(day)
        reference = f"{state.payment_intent_id}/{payment.revision + 1}"
    booking = record_booking(
        booking_date=day,
        account_id=ids["stripe"] if amount else None,
        amount_cents=amount,
        lines=lines,
        actor=actor,
        person_id=payment.person_id,
        text=_text(payment),
        channel=Channel.STRIPE,
        external_ref=reference,
    )
    payment.booking_id = booking.id
    payment.revision += 1
    if payment.first_booking_id is None:
        payment.first_booking_id = booking.id
    return booking


def _figures(payment: OnlinePayment, state: StripeState) -> dict:
    """The payment's columns that mirror Stripe's state."""
    return {
        "payment_intent_id": state.payment_intent_id or payment.payment_intent_id,
        "charge_id": state.charge_id or payment.charge_id,
        "method": state.method or payment.method,
        "paid_cents": state.amount_received,
        "fee_cents": state.fee_cents or 0,
        "refunded_cents": state.refunded_cents,
        "disputed_cents": state.dispute_cents,
        "dispute_status": state.dispute_status,
        "failure_message": state.failure_message,
    }


def apply_state(payment: OnlinePayment, state: StripeState, *, actor=None) -> None:
    """Bring the payment's status, flags and books in line with Stripe (row locked)."""
    figures = _figures(payment, state)
    if (
        all(getattr(payment, name) == value for name, value in figures.items())
        and observed_status(state) == payment.status
        and state.currency == "eur"
        and (payment.booking_id is not None or not state.settled)
    ):
        return  # Stripe says what it said last time, and the books already say it
    with db.session.no_autoflush:  # the steps flush when they need to, not at every query
        _apply(payment, state, figures, actor)


def _apply(payment: OnlinePayment, state: StripeState, figures: dict, actor) -> None:
    """The steps of apply_state once something changed."""
    for name, value in figures.items():
        setattr(payment, name, value)
    if state.settled and payment.paid_at is None:
        payment.paid_at = state.paid_at or utcnow()
    _move(payment, observed_status(state))
    _flags(payment, state)
    book(payment, state, actor=actor)
