"""flask payments refresh: open payments are read from Stripe and booked as the webhook would."""

from datetime import timedelta

from sqlalchemy import func, select

from supportclub.clock import utcnow
from supportclub.ledger.models import Booking
from supportclub.payments.models import OnlinePayment, PaymentStatus
from tests.payments.conftest import configure, donation


def _age(db, payment, minutes=30):
    """Pretend the payment was started `minutes` ago."""
    db.session.get(OnlinePayment, payment.id).created_at = utcnow() - timedelta(minutes=minutes)
    db.session.commit()


def test_a_missed_webhook_is_caught_up(app, db, runner, client, stripe_fake):
    payment = donation(stripe_fake, client, amount_cents=2000, deliver_events=False)
    _age(db, payment)
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0

    result = runner.invoke(args=["payments", "refresh"])

    assert result.exit_code == 0, result.output
    assert f"Zahlung {payment.id}: created → succeeded" in result.output
    assert "1 offene Zahlungen abgeglichen, 1 geändert, 0 Fehler." in result.output
    booking = db.session.get(OnlinePayment, payment.id).booking
    assert booking.amount_cents == 2000 - 55
    # a second run finds nothing open and books nothing again
    again = runner.invoke(args=["payments", "refresh"])
    assert "0 offene Zahlungen abgeglichen" in again.output
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1


def test_fresh_payments_are_left_to_the_webhook(app, db, runner, client, stripe_fake):
    payment = donation(stripe_fake, client, deliver_events=False)
    result = runner.invoke(args=["payments", "refresh"])
    assert "0 offene Zahlungen abgeglichen" in result.output
    assert db.session.get(OnlinePayment, payment.id).status == PaymentStatus.CREATED


def test_stripe_down_is_reported_and_nothing_is_booked(app, db, runner, client, stripe_fake):
    payment = donation(stripe_fake, client, deliver_events=False)
    _age(db, payment)
    stripe_fake.fail_next(1, status=500)
    result = runner.invoke(args=["payments", "refresh"])
    assert result.exit_code == 1
    assert "Stripe ist gerade nicht erreichbar" in result.output
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0


def test_unknown_payment_and_no_keys_are_refused(app, db, runner, stripe_fake):
    result = runner.invoke(args=["payments", "refresh", "--payment", "999999"])
    assert result.exit_code == 2
    assert "Die Zahlung 999999 gibt es nicht." in result.output
    configure(app, None)
    result = runner.invoke(args=["payments", "refresh"])
    assert result.exit_code == 1
    assert "STRIPE_SECRET_KEY fehlt" in result.output
