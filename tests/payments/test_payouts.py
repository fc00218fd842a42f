"""Stripe's payouts to the bank: a transfer between the two accounts (Stripe −x, bank +x), booked
once when paid however often Stripe tells us, and reversed on both sides when it bounces."""

import random
from datetime import UTC, datetime

from sqlalchemy import func, select

from supportclub.clock import today
from supportclub.extensions import db
from supportclub.ledger.models import Account, Booking, BookingLine, Category, Channel, Fund
from supportclub.payments.models import StripePayout, WebhookEvent
from tests.payments.conftest import deliver_all, new_events


def act(fake, client, action, *args, **kwargs):
    """Do something at Stripe and deliver the events it sends; returns them and the result."""
    since = len(fake.events)
    result = action(*args, **kwargs)
    events = new_events(fake, since)
    deliver_all(client, events)
    db.session.expire_all()
    return result, events


def fail_after_paid(fake, payout_id: str) -> list[dict]:
    """The bank returns a payout Stripe had reported paid (payout.failed after payout.paid).

    The fake only fails pending payouts, so its stored payout is changed here directly, the
    way Stripe reports such a late failure, and the event is appended like its own.
    """
    with fake.lock:
        payout = fake._raw(payout_id, "payout")
        payout.update(
            status="failed",
            failure_code="account_closed",
            failure_message="The bank account has been closed.",
        )
        return [fake._emit("payout.failed", payout)]


def balance(code: str) -> int:
    """The balance of an account."""
    return (
        db.session.scalar(
            select(func.sum(Booking.amount_cents)).join(Account).where(Account.code == code)
        )
        or 0
    )


def general_fund_total() -> int:
    """The general fund's balance."""
    return (
        db.session.scalar(
            select(func.sum(BookingLine.amount_cents)).join(Fund).where(Fund.code == "general")
        )
        or 0
    )


def stripe_bookings() -> list[Booking]:
    """The bookings of the Stripe channel, oldest first."""
    return list(
        db.session.scalars(
            select(Booking).where(Booking.channel == Channel.STRIPE).order_by(Booking.id)
        )
    )


def row(payout_id: str) -> StripePayout:
    """The stored payout."""
    return db.session.execute(
        select(StripePayout).where(StripePayout.payout_id == payout_id)
    ).scalar_one()


def test_paid_payout_is_a_transfer_from_stripe_to_the_bank(client, stripe_fake):
    result, events = act(stripe_fake, client, stripe_fake.payout, 4900)
    payout_id = result["payout"]["id"]
    assert [e["type"] for e in events] == ["payout.created", "payout.paid"]
    out, incoming = stripe_bookings()
    arrival = datetime.fromtimestamp(result["payout"]["arrival_date"], UTC).date()
    for booking, account, amount in ((out, "stripe", -4900), (incoming, "bank", 4900)):
        assert db.session.get(Account, booking.account_id).code == account
        assert booking.amount_cents == amount
        assert booking.booking_date == arrival
        assert [
            (db.session.get(Category, x.category_id).code, x.fund.code, x.amount_cents)
            for x in booking.lines
        ] == [("transfer", "general", amount)]
    assert (out.external_ref, incoming.external_ref) == (payout_id, f"{payout_id}/bank")
    assert (balance("stripe"), balance("bank"), general_fund_total()) == (-4900, 4900, 0)
    stored = row(payout_id)
    assert (stored.status, stored.amount_cents) == ("paid", 4900)
    assert (stored.out_booking_id, stored.in_booking_id) == (out.id, incoming.id)
    assert {db.session.get(WebhookEvent, e["id"]).payout_id for e in events} == {stored.id}


def test_duplicate_and_shuffled_payout_events_still_book_two(client, stripe_fake):
    _result, events = act(stripe_fake, client, stripe_fake.payout, 12345)
    again = random.Random(3).sample(events * 3, len(events) * 3)
    for response in deliver_all(client, again):
        assert response.get_json()["outcome"] == "duplicate"
    # the same payout told by new event ids (a re-sent notice) is not booked again either
    renamed = [dict(e, id=e["id"] + "_resent") for e in events]
    deliver_all(client, renamed)
    db.session.expire_all()
    assert len(stripe_bookings()) == 2
    assert (balance("stripe"), balance("bank")) == (-12345, 12345)


def test_pending_payout_books_nothing_until_it_is_paid(client, stripe_fake):
    result, _events = act(stripe_fake, client, stripe_fake.payout, 3000, status="pending")
    payout_id = result["payout"]["id"]
    assert stripe_bookings() == []
    assert row(payout_id).status == "pending"
    act(stripe_fake, client, stripe_fake.settle_payout, payout_id)
    assert len(stripe_bookings()) == 2
    assert (balance("stripe"), balance("bank")) == (-3000, 3000)


def test_payout_failing_before_it_was_paid_books_nothing(client, stripe_fake):
    result, _events = act(stripe_fake, client, stripe_fake.payout, 3000, status="pending")
    payout_id = result["payout"]["id"]
    act(stripe_fake, client, stripe_fake.settle_payout, payout_id, status="failed")
    assert stripe_bookings() == []
    stored = row(payout_id)
    assert stored.status == "failed"
    assert stored.failure_message == "The bank account has been closed."


def test_payout_failing_after_it_was_paid_is_reversed_on_both_sides(client, stripe_fake):
    result, _events = act(stripe_fake, client, stripe_fake.payout, 4900)
    payout_id = result["payout"]["id"]
    out, incoming = stripe_bookings()
    failed = fail_after_paid(stripe_fake, payout_id)
    deliver_all(client, failed + failed)
    db.session.expire_all()
    assert out.reversed_by is not None and incoming.reversed_by is not None
    assert out.reversed_by.amount_cents == 4900
    # the transfer was dated on its arrival day (still ahead): the reversal cannot be earlier
    assert out.reversed_by.booking_date == max(today(), out.booking_date)
    assert incoming.reversed_by.amount_cents == -4900
    assert len(stripe_bookings()) == 4
    assert (balance("stripe"), balance("bank"), general_fund_total()) == (0, 0, 0)
    stored = row(payout_id)
    assert (stored.status, stored.out_booking_id, stored.in_booking_id) == ("failed", None, None)
    assert stored.failure_message == "The bank account has been closed."
