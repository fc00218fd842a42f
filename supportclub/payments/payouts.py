"""Payouts from the Stripe balance to the bank: two bookings, out of the Stripe account and
into the bank account, with the neutral category "transfer" (no income, no expense).
A payout that fails after it was booked is reversed on both sides."""

from sqlalchemy import select

from supportclub import audit
from supportclub.clock import today, utcnow
from supportclub.dbinsert import insert_if_absent
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.ledger.models import Account, Booking, Category, Channel
from supportclub.ledger.services import (
    LineInput,
    bookable_date,
    general_fund,
    record_booking,
    reverse_booking,
)
from supportclub.payments import gateway
from supportclub.payments.models import StripePayout


def _reference(base: str) -> str:
    """`base`, or `base/2`, `base/3`… when a reversed payout is booked again."""
    reference, number = base, 1
    while db.session.scalar(
        select(Booking.id).where(
            Booking.channel == Channel.STRIPE, Booking.external_ref == reference
        )
    ):
        number += 1
        reference = f"{base}/{number}"
    return reference


def book_payout(payout: StripePayout, actor) -> None:
    """The transfer's two bookings."""
    accounts = dict(db.session.execute(select(Account.code, Account.id)).all())
    transfer = db.session.scalar(select(Category.id).where(Category.code == "transfer"))
    fund = general_fund().id
    day = bookable_date(payout.arrival_date or today())
    text = _("Stripe-Auszahlung %(id)s auf das Bankkonto", id=payout.payout_id)
    out = record_booking(
        booking_date=day,
        account_id=accounts["stripe"],
        amount_cents=-payout.amount_cents,
        lines=[LineInput(transfer, fund, -payout.amount_cents, text)],
        actor=actor,
        text=text,
        channel=Channel.STRIPE,
        external_ref=_reference(payout.payout_id),
    )
    incoming = record_booking(
        booking_date=day,
        account_id=accounts["bank"],
        amount_cents=payout.amount_cents,
        lines=[LineInput(transfer, fund, payout.amount_cents, text)],
        actor=actor,
        text=text,
        channel=Channel.STRIPE,
        external_ref=_reference(f"{payout.payout_id}/bank"),
    )
    payout.out_booking_id, payout.in_booking_id = out.id, incoming.id


def _reverse(payout: StripePayout, actor) -> None:
    """Reverse both bookings of a payout that did not arrive."""
    reason = _(
        "Stripe-Auszahlung %(status)s: %(error)s",
        status=payout.status,
        error=payout.failure_message or "-",
    )
    for booking in (payout.out_booking, payout.in_booking):
        if booking is not None:
            # booked on the arrival date, which may still lie ahead when the payout bounces
            day = max(today(), booking.booking_date)
            reverse_booking(booking, reason, actor=actor, reversal_date=day)
    payout.out_booking_id = payout.in_booking_id = None


def sync_payout(payout_id: str, *, actor=None) -> StripePayout | None:
    """Read the payout from Stripe and book or reverse the transfer accordingly."""
    first = gateway.payout(payout_id)
    if first.currency != "eur" or first.amount_cents <= 0:
        return None  # not a euro payout of this association's books
    # two events of a new payout at once: one inserts its row, the other finds it; both then
    # queue on the row lock and read Stripe again under it (a stale view is never applied last)
    db.session.execute(
        insert_if_absent(StripePayout.__table__, key=["payout_id"]).values(
            payout_id=first.id,
            amount_cents=first.amount_cents,
            status="",
            failure_message="",
            created_at=utcnow(),
        )
    )
    payout = db.session.execute(
        select(StripePayout)
        .where(StripePayout.payout_id == first.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    state = gateway.payout(payout_id)
    changed = payout.status != state.status
    payout.amount_cents = state.amount_cents
    payout.status = state.status
    payout.arrival_date = state.arrival_date
    payout.failure_message = state.failure_message[:500]
    db.session.flush()
    if state.currency != "eur" or state.amount_cents <= 0:
        return payout
    if state.status == "paid" and payout.out_booking_id is None:
        book_payout(payout, actor)
    elif state.status in {"failed", "canceled"} and payout.out_booking_id is not None:
        _reverse(payout, actor)
    if changed:
        audit.record(actor, "payments.payout_synced", payout, {"status": state.status})
    return payout
