"""What the books say once Stripe has spoken: the income on its fund or claims, Stripe's fee
as a cost on the general fund, refunds and lost disputes as reversals, amounts that differ from
the claims flagged, SEPA debits booked only when the bank confirms, closed years respected."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from supportclub.clock import today
from supportclub.errors import ValidationError
from supportclub.extensions import db
from supportclub.ledger.models import (
    Account,
    Booking,
    BookingLine,
    Category,
    Channel,
    ClosedYear,
    Fund,
)
from supportclub.payments.models import AttentionKind, OnlinePayment, PaymentStatus
from tests.factories import make_claim, make_member, make_project
from tests.payments.conftest import deliver_all, donation, dues_payment, new_events
from tests.stripe_fake.actions import SEPA_FAILURE

DISPUTE_FEE = 1500


def card_fee(cents: int) -> int:
    """The fake's card fee: 25 cents + 1.5 %, rounded half up."""
    return 25 + (cents * 15 + 500) // 1000


def act(fake, client, action, *args, **kwargs):
    """Do something at Stripe and deliver the events it sends."""
    since = len(fake.events)
    result = action(*args, **kwargs)
    deliver_all(client, new_events(fake, since))
    db.session.expire_all()
    return result


def reload(payment) -> OnlinePayment:
    """The payment as stored now."""
    db.session.expire_all()
    return db.session.get(OnlinePayment, payment.id)


def code(model, id_):
    """The code of an account, fund or category (None for None)."""
    return None if id_ is None else db.session.get(model, id_).code


def lines(booking) -> list[tuple]:
    """A booking's lines as (category, fund, claim, amount), in booking order."""
    return [
        (code(Category, x.category_id), code(Fund, x.fund_id), x.dues_claim_id, x.amount_cents)
        for x in booking.lines
    ]


def balance(model, code_: str) -> int:
    """The balance of an account (its bookings) or a fund (its lines)."""
    if model is Account:
        query = select(func.sum(Booking.amount_cents)).join(Account).where(Account.code == code_)
    else:
        query = select(func.sum(BookingLine.amount_cents)).join(Fund).where(Fund.code == code_)
    return db.session.scalar(query) or 0


def claim_paid(claim) -> int:
    """What has been paid on a claim (sum of its booking lines)."""
    return (
        db.session.scalar(
            select(func.sum(BookingLine.amount_cents)).where(BookingLine.dues_claim_id == claim.id)
        )
        or 0
    )


def attention(payment, kind) -> dict | None:
    """The detail of the payment's open attention item of `kind`, or None."""
    for item in reload(payment).attention:
        if item.kind == kind and item.resolved_at is None:
            return item.detail
    return None


def stripe_bookings() -> int:
    """How many bookings the Stripe channel has."""
    return db.session.scalar(
        select(func.count()).select_from(Booking).where(Booking.channel == Channel.STRIPE)
    )


# Donations --------------------------------------------------------------------------------------


def test_earmarked_card_donation_grows_the_project_fund_by_the_full_amount(client, stripe_fake):
    project = make_project()
    payment = reload(donation(stripe_fake, client, amount_cents=5000, fund_id=project.fund_id))
    fee = card_fee(5000)
    assert fee == 100
    assert payment.status == PaymentStatus.SUCCEEDED
    assert (payment.paid_cents, payment.fee_cents, payment.method) == (5000, 100, "card")
    booking = payment.booking
    assert lines(booking) == [
        ("donation", project.fund.code, None, 5000),
        ("bank_fees", "general", None, -100),
    ]
    assert [x.text for x in booking.lines][1] == "Stripe-Gebühr"
    assert booking.amount_cents == 4900
    assert code(Account, booking.account_id) == "stripe"
    assert booking.channel == Channel.STRIPE
    assert booking.external_ref == payment.payment_intent_id
    assert booking.person.last_name == "Spenderin"
    assert balance(Fund, project.fund.code) == 5000
    assert balance(Fund, "general") == -100
    assert balance(Account, "stripe") == 4900
    assert payment.first_booking_id == booking.id
    assert reload(payment).attention == []


# Dues -----------------------------------------------------------------------------------------


@pytest.fixture
def member_with_two_claims(app):
    """A member with two open claims of 36,00 € (2025 and 2026)."""
    person = make_member()
    return person, make_claim(person, 2025), make_claim(person, 2026)


def test_dues_for_two_claims_are_booked_oldest_first(client, stripe_fake, member_with_two_claims):
    person, older, newer = member_with_two_claims
    payment = reload(dues_payment(stripe_fake, client, person))
    fee = card_fee(7200)
    assert payment.amount_cents == 7200
    assert lines(payment.booking) == [
        ("dues", "general", older.id, 3600),
        ("dues", "general", newer.id, 3600),
        ("bank_fees", "general", None, -fee),
    ]
    assert payment.booking.person_id == person.id
    assert (claim_paid(older), claim_paid(newer)) == (3600, 3600)
    assert balance(Account, "stripe") == 7200 - fee
    assert attention(payment, AttentionKind.AMOUNT_MISMATCH) is None


def test_paid_more_than_asked_goes_to_clearing_and_is_flagged(
    client, stripe_fake, member_with_two_claims
):
    person, older, newer = member_with_two_claims
    payment = reload(dues_payment(stripe_fake, client, person, amount=8000))
    fee = card_fee(8000)
    assert payment.paid_cents == 8000
    assert lines(payment.booking) == [
        ("dues", "general", older.id, 3600),
        ("dues", "general", newer.id, 3600),
        ("clearing", "general", None, 800),
        ("bank_fees", "general", None, -fee),
    ]
    assert payment.booking.amount_cents == 8000 - fee
    assert (claim_paid(older), claim_paid(newer)) == (3600, 3600)
    assert attention(payment, AttentionKind.AMOUNT_MISMATCH) == {
        "asked_cents": 7200,
        "paid_cents": 8000,
        "unallocated_cents": 800,
    }


def test_paid_less_than_asked_pays_the_oldest_claim_first_and_is_flagged(
    client, stripe_fake, member_with_two_claims
):
    person, older, newer = member_with_two_claims
    payment = reload(dues_payment(stripe_fake, client, person, amount=5000))
    assert payment.status == PaymentStatus.SUCCEEDED
    assert lines(payment.booking) == [
        ("dues", "general", older.id, 3600),
        ("dues", "general", newer.id, 1400),
        ("bank_fees", "general", None, -100),
    ]
    assert (claim_paid(older), claim_paid(newer)) == (3600, 1400)
    assert attention(payment, AttentionKind.AMOUNT_MISMATCH) == {
        "asked_cents": 7200,
        "paid_cents": 5000,
        "unallocated_cents": 0,
    }


# Refunds ----------------------------------------------------------------------------------------


def test_full_refund_reopens_the_claims_and_the_fee_stays_a_cost(
    client, stripe_fake, member_with_two_claims
):
    person, older, newer = member_with_two_claims
    payment = dues_payment(stripe_fake, client, person)
    first = reload(payment).booking
    fee = card_fee(7200)
    act(stripe_fake, client, stripe_fake.refund, payment.payment_intent_id)
    payment = reload(payment)
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.refunded_cents == 7200
    assert (claim_paid(older), claim_paid(newer)) == (0, 0)
    assert first.reversed_by is not None
    assert first.reversed_by.booking_date == today()
    assert lines(payment.booking) == [("bank_fees", "general", None, -fee)]
    assert payment.booking.external_ref == f"{payment.payment_intent_id}/2"
    assert balance(Account, "stripe") == -fee
    assert balance(Fund, "general") == -fee
    from supportclub.payments.checkout import pending_claim_ids

    assert pending_claim_ids(person.id) == set()


def test_partial_refund_takes_back_from_the_newest_claim(
    client, stripe_fake, member_with_two_claims
):
    person, older, newer = member_with_two_claims
    payment = dues_payment(stripe_fake, client, person)
    fee = card_fee(7200)
    act(stripe_fake, client, stripe_fake.refund, payment.payment_intent_id, 1000)
    payment = reload(payment)
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED
    assert (payment.paid_cents, payment.refunded_cents) == (7200, 1000)
    assert (claim_paid(older), claim_paid(newer)) == (3600, 2600)
    assert lines(payment.booking) == [
        ("dues", "general", older.id, 3600),
        ("dues", "general", newer.id, 2600),
        ("bank_fees", "general", None, -fee),
    ]
    assert balance(Account, "stripe") == 6200 - fee
    assert stripe_bookings() == 3  # the first, its reversal, the correction


def test_partial_refund_of_a_donation_keeps_its_fund(client, stripe_fake):
    project = make_project()
    payment = donation(stripe_fake, client, amount_cents=5000, fund_id=project.fund_id)
    act(stripe_fake, client, stripe_fake.refund, reload(payment).payment_intent_id, 2000)
    assert lines(reload(payment).booking) == [
        ("donation", project.fund.code, None, 3000),
        ("bank_fees", "general", None, -100),
    ]
    assert balance(Fund, project.fund.code) == 3000


# Disputes ---------------------------------------------------------------------------------------


@pytest.fixture
def disputed(client, stripe_fake):
    """A 50 € card donation the cardholder disputes (events delivered)."""
    payment = reload(donation(stripe_fake, client, amount_cents=5000))
    first = payment.booking
    result = act(stripe_fake, client, stripe_fake.dispute, payment.payment_intent_id)
    return payment, first, result["dispute"]["id"]


def test_open_dispute_is_flagged_and_changes_no_books(client, stripe_fake, disputed):
    payment, first, _dispute = disputed
    payment = reload(payment)
    assert attention(payment, AttentionKind.DISPUTED) == {
        "status": "needs_response",
        "amount_cents": 5000,
    }
    assert payment.booking_id == first.id
    assert first.reversed_by is None
    assert payment.status == PaymentStatus.SUCCEEDED
    assert balance(Account, "stripe") == 4900
    assert stripe_bookings() == 1


def test_lost_dispute_reverses_the_income_and_books_the_dispute_fee(client, stripe_fake, disputed):
    payment, first, dispute_id = disputed
    act(stripe_fake, client, stripe_fake.close_dispute, dispute_id, won=False)
    payment = reload(payment)
    assert first.reversed_by is not None
    assert lines(payment.booking) == [("bank_fees", "general", None, -(100 + DISPUTE_FEE))]
    assert balance(Account, "stripe") == -(100 + DISPUTE_FEE)
    assert balance(Fund, "general") == -(100 + DISPUTE_FEE)
    assert payment.dispute_status == "lost"
    assert payment.status == PaymentStatus.REFUNDED
    assert attention(payment, AttentionKind.DISPUTED) == {"status": "lost", "amount_cents": 5000}


def test_won_dispute_keeps_the_income_and_books_only_the_fee_stripe_keeps(
    client, stripe_fake, disputed
):
    payment, first, dispute_id = disputed
    act(stripe_fake, client, stripe_fake.close_dispute, dispute_id, won=True)
    payment = reload(payment)
    # the fake reinstates the amount but keeps the 15,00 € dispute fee
    assert lines(payment.booking) == [
        ("donation", "general", None, 5000),
        ("bank_fees", "general", None, -(100 + DISPUTE_FEE)),
    ]
    assert balance(Account, "stripe") == 5000 - 100 - DISPUTE_FEE
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.dispute_status == "won"


def test_lost_dispute_of_dues_reopens_the_claim(client, stripe_fake):
    person = make_member()
    claim = make_claim(person, 2026)
    payment = dues_payment(stripe_fake, client, person)
    dispute = act(stripe_fake, client, stripe_fake.dispute, payment.payment_intent_id)
    assert claim_paid(claim) == 3600
    act(stripe_fake, client, stripe_fake.close_dispute, dispute["dispute"]["id"], won=False)
    assert claim_paid(claim) == 0


# SEPA -------------------------------------------------------------------------------------------


@pytest.fixture
def sepa(app, monkeypatch):
    """Checkout offers card and SEPA debit."""
    monkeypatch.setitem(app.config, "STRIPE_PAYMENT_METHODS", "card,sepa_debit")


def test_sepa_processing_is_pending_and_books_nothing_until_settled(
    client, stripe_fake, sepa, member_with_two_claims
):
    from supportclub.payments.checkout import pending_claim_ids, start_dues_payment
    from tests.payments.conftest import urls

    person, older, newer = member_with_two_claims
    payment = dues_payment(stripe_fake, client, person, method="sepa_debit")
    payment = reload(payment)
    assert payment.status == PaymentStatus.PENDING
    assert payment.booking_id is None
    assert stripe_bookings() == 0
    assert (claim_paid(older), claim_paid(newer)) == (0, 0)
    # the member sees "being confirmed" and cannot pay the same claims a second time
    assert pending_claim_ids(person.id) == {older.id, newer.id}
    with pytest.raises(ValidationError, match="bereits eine Zahlung"):
        start_dues_payment(person=person, claim_ids=None, user=None, urls=urls)

    act(stripe_fake, client, stripe_fake.settle_sepa, payment.checkout_session_id)
    payment = reload(payment)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.method == "sepa_debit"
    assert lines(payment.booking) == [
        ("dues", "general", older.id, 3600),
        ("dues", "general", newer.id, 3600),
        ("bank_fees", "general", None, -35),
    ]
    assert pending_claim_ids(person.id) == set()


def test_failed_sepa_debit_is_flagged_with_the_banks_message_and_books_nothing(
    client, stripe_fake, sepa, member_with_two_claims
):
    person, older, _newer = member_with_two_claims
    payment = dues_payment(stripe_fake, client, person, method="sepa_debit")
    act(stripe_fake, client, stripe_fake.settle_sepa, payment.checkout_session_id, succeed=False)
    payment = reload(payment)
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_message == SEPA_FAILURE
    assert attention(payment, AttentionKind.PAYMENT_FAILED) == {
        "message": SEPA_FAILURE,
        "method": "sepa_debit",
    }
    assert payment.booking_id is None
    assert stripe_bookings() == 0
    assert claim_paid(older) == 0


# Booking date ---------------------------------------------------------------------------------


def _at(fake, moment: datetime) -> None:
    """Let the fake's clock stand at `moment` (charges are created then)."""
    fake.clock = lambda: moment.timestamp()


def test_the_booking_day_is_the_day_in_germany(client, stripe_fake):
    db.session.add(ClosedYear(year=2025))
    db.session.commit()
    _at(stripe_fake, datetime(2025, 12, 31, 23, 30, tzinfo=UTC))  # 00:30 on 1 January in Jena
    payment = reload(donation(stripe_fake, client, amount_cents=5000))
    assert payment.booking.booking_date == date(2026, 1, 1)


def test_charge_date_of_a_closed_year_books_today_and_an_open_one_keeps_its_day(
    client, stripe_fake
):
    db.session.add(ClosedYear(year=2025))
    db.session.commit()
    _at(stripe_fake, datetime(2025, 12, 30, 12, tzinfo=UTC))
    closed = reload(donation(stripe_fake, client, amount_cents=5000))
    _at(stripe_fake, datetime(2026, 3, 1, 12, tzinfo=UTC))
    open_ = reload(donation(stripe_fake, client, amount_cents=2000))
    assert closed.paid_at.date() == date(2025, 12, 30)
    assert closed.booking.booking_date == today()
    assert open_.booking.booking_date == date(2026, 3, 1)
    # a refund of the closed-year payment is booked today as well
    act(stripe_fake, client, stripe_fake.refund, closed.payment_intent_id, 1000)
    closed = reload(closed)
    assert closed.booking.booking_date == today()
    assert lines(closed.booking)[0] == ("donation", "general", None, 4000)


def test_expired_checkout_books_nothing(client, stripe_fake):
    from supportclub.payments.checkout import start_dues_payment
    from tests.payments.conftest import urls

    person = make_member()
    claim = make_claim(person, 2026)
    payment = start_dues_payment(person=person, claim_ids=None, user=None, urls=urls)
    db.session.commit()
    act(stripe_fake, client, stripe_fake.expire, payment.checkout_session_id)
    payment = reload(payment)
    assert payment.status == PaymentStatus.EXPIRED
    assert payment.booking_id is None
    assert claim_paid(claim) == 0
