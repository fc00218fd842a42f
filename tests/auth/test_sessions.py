"""Ending sessions: "Überall abmelden" ends every session of the user, on every device; a new
password ends the others but keeps the one that set it; sessions of other users go on."""

from flask import current_app

from supportclub.auth.models import User
from supportclub.extensions import db
from tests.conftest import PASSWORD, login


def logged_in(client) -> bool:
    """True when the client still gets a page that needs a login."""
    return client.get("/passwort").status_code == 200


def test_logout_everywhere_ends_every_session_of_the_user(app, users):
    treasurer = users["treasurer"]
    laptop, phone = login(app.test_client(), treasurer), login(app.test_client(), treasurer)
    board = login(app.test_client(), users["board"])
    assert logged_in(laptop) and logged_in(phone)

    response = laptop.post("/abmelden/ueberall")
    assert response.status_code == 302 and "/anmelden" in response.headers["Location"]
    assert not logged_in(laptop)
    assert not logged_in(phone)
    assert phone.get("/buchungen").headers["Location"].startswith("/anmelden")
    assert logged_in(board)  # another user's session goes on
    # a new login works as before
    assert logged_in(login(app.test_client(), treasurer))


def test_a_new_password_ends_the_other_sessions_but_not_this_one(app, users):
    member = users["member"]
    here, elsewhere = login(app.test_client(), member), login(app.test_client(), member)
    new = "ein-neues-langes-passwort-42"
    response = here.post("/passwort", data={"current": PASSWORD, "new": new, "confirm": new})
    assert response.status_code == 302
    assert logged_in(here)
    assert not logged_in(elsewhere)


def test_the_session_identity_carries_the_epoch(app, users):
    """Remembered logins carry the same identity: an old epoch (or a forged one) loads no one."""
    loader = current_app.login_manager._user_callback
    user = db.session.get(User, users["admin"].id)
    assert user.get_id() == f"{user.id}:0"
    assert loader(f"{user.id}:0").id == user.id
    assert loader(str(user.id)).id == user.id  # a session from before the epoch existed
    user.session_epoch = 3
    db.session.commit()
    assert loader(f"{user.id}:0") is None and loader(str(user.id)) is None
    assert loader(f"{user.id}:3").id == user.id
    assert loader("x:1") is None and loader(f"{user.id}:-1") is None


def test_a_logged_in_session_expires_when_idle_and_remembering_is_bounded(app, users):
    """The session cookie of a logged-in user carries an expiry (8 hours, renewed with each
    request); "angemeldet bleiben" lasts 14 days, not Flask-Login's default year."""
    from datetime import UTC, datetime, timedelta
    from email.utils import parsedate_to_datetime

    client = app.test_client()
    response = client.post(
        "/anmelden",
        data={"email": users["board"].email, "password": PASSWORD, "remember": "y"},
    )
    remember = next(c for c in response.headers.getlist("Set-Cookie") if "remember_token" in c)
    expires = parsedate_to_datetime(remember.split("Expires=")[1].split(";")[0])
    assert timedelta(days=13) < expires - datetime.now(UTC) <= timedelta(days=14)

    page = client.get("/passwort")
    session_cookie = next(c for c in page.headers.getlist("Set-Cookie") if c.startswith("session="))
    expires = parsedate_to_datetime(session_cookie.split("Expires=")[1].split(";")[0])
    assert timedelta(hours=7) < expires - datetime.now(UTC) <= timedelta(hours=8)

    anonymous = app.test_client().get("/anmelden")
    assert not any(
        "Expires=" in c for c in anonymous.headers.getlist("Set-Cookie") if c.startswith("session=")
    )
