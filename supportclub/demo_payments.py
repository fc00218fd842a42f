"""Demo online payments: the last quarter of the last full year paid through Stripe Checkout.

There is no Stripe in the demo (no keys), so each payment gets the state Stripe would have
reported and goes through the same settlement as a webhook (payments/settle.py): donors matched
by e-mail, earmarked and free donations with Stripe's fee as a cost line, a SEPA debit that came
back, a donor the treasurer still has to confirm, and the quarter's payout to the bank.
"""

import secrets
from datetime import UTC, date, datetime

from sqlalchemy import select

from supportclub.extensions import db
from supportclub.ledger.models import Booking, Person
from supportclub.members.models import Membership
from supportclub.payments.gateway import StripeState
from supportclub.payments.models import OnlinePayment, Purpose, StripePayout
from supportclub.payments.payouts import book_payout
from supportclub.payments.settle import apply_state
from supportclub.projects.queries import projects_accepting_donations

# (month, day, amount in cents, method, earmarked, outcome)
PLAN = [
    (10, 3, 5000, "card", False, "paid"),
    (10, 17, 10000, "card", True, "paid"),
    (10, 29, 2500, "sepa_debit", False, "paid"),
    (11, 8, 25000, "card", True, "paid"),
    (11, 21, 3000, "sepa_debit", False, "failed"),
    (12, 2, 7500, "card", False, "unclear"),
    (12, 9, 2000, "card", False, "anonymous"),
    (12, 14, 15000, "card", False, "paid"),
]


def _fee(method: str, amount: int) -> int:
    """Stripe's European fees: cards 1.5 % + 0,25 €, SEPA debits 0,35 €."""
    return 35 if method == "sepa_debit" else 25 + (amount * 15 + 500) // 1000


def _donor(person: Person) -> dict:
    """What the person would type into the donation form."""
    return {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "street": person.street,
        "postal_code": person.postal_code,
        "city": person.city,
        "organisation": False,
    }


def record_online_payments(year: int) -> int:
    """The demo's online payments of `year` and their payout; returns how many payments."""
    donors = list(
        db.session.scalars(
            select(Person)
            .where(
                Person.email.is_not(None),
                Person.first_name != "",
                Person.street != "",
                ~select(Membership.id).where(Membership.person_id == Person.id).exists(),
            )
            .order_by(Person.id)
            .limit(len(PLAN))
        )
    )
    projects = projects_accepting_donations()
    project_fund = projects[0].fund_id if projects else None
    net = 0
    for number, (month, day, amount, method, earmarked, outcome) in enumerate(PLAN, start=1):
        person = donors[number % len(donors)]
        donor = _donor(person)
        if outcome == "unclear":
            donor["first_name"] = "Kim"  # same e-mail, another first name: the treasurer decides
        anonymous = outcome == "anonymous"
        payment = OnlinePayment(
            token=secrets.token_urlsafe(32),
            purpose=Purpose.DONATION,
            amount_cents=amount,
            fund_id=project_fund if earmarked else None,
            anonymous=anonymous,
            wants_receipt=not anonymous,
            donor={} if anonymous else donor,
            email=None if anonymous else person.email,
            checkout_session_id=f"cs_demo_{year}_{number:03d}",
            created_at=datetime(year, month, day, 9, 30, tzinfo=UTC),
        )
        db.session.add(payment)
        db.session.flush()
        paid_at = datetime(year, month, day, 9, 31, tzinfo=UTC)
        failed = outcome == "failed"
        state = StripeState(
            session_id=payment.checkout_session_id,
            session_status="complete",
            payment_intent_id=f"pi_demo_{year}_{number:03d}",
            intent_status="requires_payment_method" if failed else "succeeded",
            payment_id=payment.id,
            payment_token=payment.token,
            amount_received=0 if failed else amount,
            charge_id=f"ch_demo_{year}_{number:03d}",
            method=method,
            fee_cents=None if failed else _fee(method, amount),
            paid_at=paid_at,
            failure_message="Die Lastschrift wurde mangels Deckung zurückgegeben."
            if failed
            else "",
            payer_email=payment.email or "",
        )
        apply_state(payment, state)
        if payment.booking_id is not None:
            net += db.session.get(Booking, payment.booking_id).amount_cents
    payout = StripePayout(
        payout_id=f"po_demo_{year}_q4",
        amount_cents=net,
        arrival_date=date(year, 12, 30),
        status="paid",
    )
    db.session.add(payout)
    db.session.flush()
    book_payout(payout, None)
    return len(PLAN)
