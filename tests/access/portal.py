"""Access rules of "Mein Konto" and of the invitation / password-reset links."""

from tests.access import ALL

# portal.payment: every role passes the decorator, but only the member whose payment it is
# sees it (context() links users["member"] to the paying person); everyone else gets 403.
ROUTES = {
    "portal.account": ("GET", "/mein-konto", ALL),
    "portal.edit": ("GET", "/mein-konto/daten", ALL),
    "portal.payment": ("GET", "/mein-konto/zahlungen/{portal_booking_id}", ("member",)),
    "auth.invite_member": (
        "POST",
        "/zugaenge/einladen/{invite_person_id}",
        ("admin", "treasurer"),
    ),
    "auth.accept_invite": ("GET", "/einladung/{invite_token}", "public"),
    "auth.forgot_password": ("GET", "/passwort-vergessen", "public"),
    "auth.reset_password": ("GET", "/passwort-zuruecksetzen/{reset_token}", "public"),
}


def context(users) -> dict:
    """A payment of the member user's own person, a person to invite, two usable links."""
    from supportclub.auth.tokens import INVITE, RESET, issue_token
    from supportclub.extensions import db
    from tests.factories import make_booking, make_person, make_user

    own = make_person()
    users["member"].person_id = own.id
    booking = make_booking(4800, category="dues", person_id=own.id, commit=False)
    invited = make_user(role="member", person_id=make_person().id)
    tokens = {
        "invite_token": issue_token(invited, INVITE),
        "reset_token": issue_token(users["board"], RESET),
    }
    db.session.commit()
    return {
        "portal_booking_id": booking.id,
        "invite_person_id": make_person().id,
        **tokens,
    }
