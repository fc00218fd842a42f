"""The core path: a donation and a dues payment through Checkout and the webhook."""

from sqlalchemy import func, select

from supportclub.ledger.models import Booking, BookingLine
from supportclub.payments.models import OnlinePayment, PaymentStatus
from tests.factories import make_claim, make_member
from tests.payments.conftest import donation, dues_payment


def test_donation_is_booked_once_with_fee(app, db, client, stripe_fake):
    payment = donation(stripe_fake, client, amount_cents=5000)
    payment = db.session.get(OnlinePayment, payment.id)
    assert payment.status == PaymentStatus.SUCCEEDED
    booking = payment.booking
    assert booking.amount_cents == 5000 - 100
    assert sorted(line.amount_cents for line in booking.lines) == [-100, 5000]
    assert booking.person.last_name == "Spenderin"
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1


def test_dues_payment_settles_the_claim(app, db, client, stripe_fake):
    person = make_member()
    claim = make_claim(person, 2025)
    payment = dues_payment(stripe_fake, client, person)
    payment = db.session.get(OnlinePayment, payment.id)
    assert payment.status == PaymentStatus.SUCCEEDED
    paid = db.session.scalar(
        select(func.sum(BookingLine.amount_cents)).where(BookingLine.dues_claim_id == claim.id)
    )
    assert paid == claim.amount_cents
