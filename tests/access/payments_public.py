"""Access rules of online payments for payers: the public donation page, its thank-you page and
the status JSON (token-guarded, no login), and "Mein Konto"'s pay button and return page.

portal.pay_return: every role passes the decorator, but only the payment's own member sees it;
logins without a member record get 403 (as portal.payment), other members 404.
"""

from tests.access import ALL

ROUTES = {
    "payments.donate": ("GET", "/spende", "public"),
    "payments.thanks": ("GET", "/spende/danke/{donation_token}", "public"),
    "payments.status_json": ("GET", "/zahlung/{donation_token}/status", "public"),
    # without Stripe keys (the test default) the button only says so and goes back
    "portal.pay_dues": ("POST", "/mein-konto/beitraege/online-bezahlen", ALL),
    "portal.pay_return": ("GET", "/mein-konto/zahlung/{dues_token}", ("member",)),
}


def context(users) -> dict:
    """A donation and a dues payment of the member user's own person."""
    import secrets

    from supportclub.extensions import db
    from supportclub.payments.models import OnlinePayment, Purpose
    from tests.factories import make_person

    own = make_person()
    users["member"].person_id = own.id
    donation = OnlinePayment(
        token=secrets.token_urlsafe(32), purpose=Purpose.DONATION, amount_cents=5000, donor={}
    )
    dues = OnlinePayment(
        token=secrets.token_urlsafe(32), purpose=Purpose.DUES, amount_cents=3600, person_id=own.id
    )
    db.session.add_all([donation, dues])
    db.session.commit()
    return {"donation_token": donation.token, "dues_token": dues.token}
