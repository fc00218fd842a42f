"""Whatever order Stripe's events arrive in (one by one after each step, all at the end,
reversed, shuffled, refunds before the payment, every event twice), the books end the same:
the Stripe account, every fund, every claim and the payment's live booking."""

import random

import pytest
from sqlalchemy import func, select

from supportclub.extensions import db
from supportclub.ledger.models import Account, Booking, BookingLine, Category, Fund
from supportclub.payments.models import OnlinePayment, PaymentStatus
from tests.factories import make_claim, make_member, make_project
from tests.payments.conftest import deliver_all, donation, dues_payment, new_events

MODES = ("each_step", "at_the_end", "reversed", "shuffled", "refunds_first", "twice_shuffled")


def ordered(mode: str, steps: list[list[dict]]) -> list[dict]:
    """All events of all steps in the delivery order of `mode` (each_step is handled apart)."""
    flat = [event for step in steps for event in step]
    if mode == "at_the_end":
        return flat
    if mode == "reversed":
        return flat[::-1]
    if mode == "shuffled":
        return random.Random(6).sample(flat, len(flat))
    if mode == "refunds_first":
        first, *refunds = steps
        return [e for step in refunds for e in step] + first + first  # and completion twice
    if mode == "twice_shuffled":
        return random.Random(7).sample(flat + flat, 2 * len(flat))
    raise AssertionError(mode)


def run(client, fake, mode: str, pay, actions) -> int:
    """Pay (not delivered), run `actions` (each a function of the intent id), deliver by `mode`."""
    since = len(fake.events)
    payment = pay(deliver_events=mode == "each_step")
    steps = [new_events(fake, since)]
    intent = fake.get(payment.checkout_session_id)["payment_intent"]
    for action in actions:
        since = len(fake.events)
        action(intent)
        steps.append(new_events(fake, since))
        if mode == "each_step":
            deliver_all(client, steps[-1])
    if mode != "each_step":
        deliver_all(client, ordered(mode, steps))
    db.session.expire_all()
    return payment.id


def code_of(model, id_: int | None) -> str | None:
    """The code of an account, fund or category."""
    return None if id_ is None else db.session.get(model, id_).code


def end_state(payment_id: int, claim_ids=()) -> dict:
    """What a treasurer would compare: balances, claims, the live booking, the payment."""
    payment = db.session.get(OnlinePayment, payment_id)
    accounts = dict(
        db.session.execute(
            select(Account.code, func.sum(Booking.amount_cents))
            .join(Booking, Booking.account_id == Account.id)
            .group_by(Account.code)
        ).all()
    )
    funds = dict(
        db.session.execute(
            select(Fund.code, func.sum(BookingLine.amount_cents))
            .join(BookingLine, BookingLine.fund_id == Fund.id)
            .group_by(Fund.code)
        ).all()
    )
    claims = {
        claim_id: db.session.scalar(
            select(func.coalesce(func.sum(BookingLine.amount_cents), 0)).where(
                BookingLine.dues_claim_id == claim_id
            )
        )
        for claim_id in claim_ids
    }
    live = sorted(
        (
            code_of(Category, x.category_id),
            code_of(Fund, x.fund_id),
            x.dues_claim_id,
            x.amount_cents,
        )
        for x in (payment.booking.lines if payment.booking else [])
    )
    return {
        "stripe": accounts.get("stripe", 0),
        "funds": {code: total for code, total in funds.items() if total},
        "claims": claims,
        "live": live,
        "status": payment.status,
        "figures": (payment.paid_cents, payment.fee_cents, payment.refunded_cents),
    }


def refund(fake, amount=None):
    """An action: refund `amount` (the rest when None) of the intent."""
    return lambda intent: fake.refund(intent, amount)


@pytest.mark.parametrize("mode", MODES)
def test_dues_refunded_in_two_steps_end_the_same(client, stripe_fake, mode):
    person = make_member()
    older, newer = make_claim(person, 2024), make_claim(person, 2025)
    payment_id = run(
        client,
        stripe_fake,
        mode,
        lambda **kw: dues_payment(stripe_fake, client, person, **kw),
        [refund(stripe_fake, 2000), refund(stripe_fake)],
    )
    fee = 25 + 108  # card fee of 72,00 €
    assert end_state(payment_id, [older.id, newer.id]) == {
        "stripe": -fee,
        "funds": {"general": -fee},
        "claims": {older.id: 0, newer.id: 0},
        "live": [("bank_fees", "general", None, -fee)],
        "status": PaymentStatus.REFUNDED,
        "figures": (7200, fee, 7200),
    }


@pytest.mark.parametrize("mode", MODES)
def test_dues_partly_refunded_twice_end_the_same(client, stripe_fake, mode):
    person = make_member()
    older, newer = make_claim(person, 2024), make_claim(person, 2025)
    payment_id = run(
        client,
        stripe_fake,
        mode,
        lambda **kw: dues_payment(stripe_fake, client, person, **kw),
        [refund(stripe_fake, 1000), refund(stripe_fake, 1500)],
    )
    fee = 133
    assert end_state(payment_id, [older.id, newer.id]) == {
        "stripe": 7200 - 2500 - fee,
        "funds": {"general": 7200 - 2500 - fee},
        "claims": {older.id: 3600, newer.id: 1100},  # the newest claim is refunded first
        "live": sorted(
            [
                ("dues", "general", older.id, 3600),
                ("dues", "general", newer.id, 1100),
                ("bank_fees", "general", None, -fee),
            ]
        ),
        "status": PaymentStatus.PARTIALLY_REFUNDED,
        "figures": (7200, fee, 2500),
    }


@pytest.mark.parametrize("mode", MODES)
def test_earmarked_donation_refunded_in_two_steps_ends_the_same(client, stripe_fake, mode):
    project = make_project()
    fund_code = project.fund.code
    payment_id = run(
        client,
        stripe_fake,
        mode,
        lambda **kw: donation(
            stripe_fake, client, amount_cents=5000, fund_id=project.fund_id, **kw
        ),
        [refund(stripe_fake, 2000), refund(stripe_fake, 500)],
    )
    assert end_state(payment_id) == {
        "stripe": 2500 - 100,
        "funds": {fund_code: 2500, "general": -100},
        "claims": {},
        "live": sorted([("donation", fund_code, None, 2500), ("bank_fees", "general", None, -100)]),
        "status": PaymentStatus.PARTIALLY_REFUNDED,
        "figures": (5000, 100, 2500),
    }


@pytest.mark.parametrize("mode", ("each_step", "at_the_end", "reversed", "twice_shuffled"))
def test_sepa_paid_then_refunded_ends_the_same(app, client, stripe_fake, monkeypatch, mode):
    monkeypatch.setitem(app.config, "STRIPE_PAYMENT_METHODS", "card,sepa_debit")
    person = make_member()
    claim = make_claim(person, 2025)
    payment_id = run(
        client,
        stripe_fake,
        mode,
        lambda **kw: dues_payment(stripe_fake, client, person, method="sepa_debit", **kw),
        [stripe_fake.settle_sepa, refund(stripe_fake, 600)],
    )
    assert end_state(payment_id, [claim.id]) == {
        "stripe": 3000 - 35,
        "funds": {"general": 3000 - 35},
        "claims": {claim.id: 3000},
        "live": sorted([("dues", "general", claim.id, 3000), ("bank_fees", "general", None, -35)]),
        "status": PaymentStatus.PARTIALLY_REFUNDED,
        "figures": (3600, 35, 600),
    }


def test_only_the_live_booking_counts_after_many_corrections(client, stripe_fake):
    person = make_member()
    claim = make_claim(person, 2025)
    payment = dues_payment(stripe_fake, client, person)
    for amount in (100, 200, 300):
        since = len(stripe_fake.events)
        stripe_fake.refund(payment.payment_intent_id, amount)
        deliver_all(client, new_events(stripe_fake, since))
    db.session.expire_all()
    payment = db.session.get(OnlinePayment, payment.id)
    # first booking, three corrections: each reversed and replaced, one live booking remains
    bookings = db.session.scalars(
        select(Booking).where(Booking.external_ref.like(f"{payment.payment_intent_id}%"))
    ).all()
    assert sorted(b.external_ref for b in bookings) == [
        payment.payment_intent_id,
        f"{payment.payment_intent_id}/2",
        f"{payment.payment_intent_id}/3",
        f"{payment.payment_intent_id}/4",
    ]
    assert [b.id for b in bookings if b.reversed_by is None] == [payment.booking_id]
    assert end_state(payment.id, [claim.id])["claims"] == {claim.id: 3600 - 600}


def pending_refund_that_fails(fake, client, payment_id: int, amount, completion, mode: str):
    """A refund Stripe reports pending and then failed; the completion comes first or last."""
    if mode == "each_step":
        deliver_all(client, completion)
    intent = db.session.get(OnlinePayment, payment_id)
    intent = fake.get(intent.checkout_session_id)["payment_intent"]
    since = len(fake.events)
    refund_id = fake.refund(intent, amount, status="pending")["refund"]["id"]
    deliver_all(client, new_events(fake, since))  # the payment is first seen refunded
    since = len(fake.events)
    fake.settle_refund(refund_id, "failed")
    deliver_all(client, new_events(fake, since))
    deliver_all(client, completion)
    db.session.expire_all()


@pytest.mark.parametrize("mode", ("each_step", "completion_last"))
@pytest.mark.parametrize("amount", (2000, None), ids=("partial", "full"))
def test_failed_refund_books_the_whole_payment_in_any_order(client, stripe_fake, mode, amount):
    person = make_member()
    older, newer = make_claim(person, 2024), make_claim(person, 2025)
    since = len(stripe_fake.events)
    payment = dues_payment(stripe_fake, client, person, deliver_events=False)
    completion = new_events(stripe_fake, since)
    pending_refund_that_fails(stripe_fake, client, payment.id, amount, completion, mode)
    state = end_state(payment.id, [older.id, newer.id])
    state.pop("status")  # see the test below
    assert state == {
        "stripe": 7200 - 133,
        "funds": {"general": 7200 - 133},
        "claims": {older.id: 3600, newer.id: 3600},
        "live": sorted(
            [
                ("dues", "general", older.id, 3600),
                ("dues", "general", newer.id, 3600),
                ("bank_fees", "general", None, -133),
            ]
        ),
        "figures": (7200, 133, 0),
    }


@pytest.mark.parametrize(
    "amount",
    [2000, None],
    ids=("partial", "full"),
)
def test_failed_refund_makes_the_payment_succeeded_again(client, stripe_fake, amount):
    since = len(stripe_fake.events)
    payment = donation(stripe_fake, client, amount_cents=5000, deliver_events=False)
    completion = new_events(stripe_fake, since)
    pending_refund_that_fails(stripe_fake, client, payment.id, amount, completion, "each_step")
    assert db.session.get(OnlinePayment, payment.id).status == PaymentStatus.SUCCEEDED
