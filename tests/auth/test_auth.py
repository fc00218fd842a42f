"""Login, logout, password change, rate limit and the users CLI."""

from sqlalchemy import select

from supportclub.auth.models import User
from supportclub.extensions import db as _db
from tests.conftest import PASSWORD, login, make_test_app


def test_login_redirects_to_start_and_records_time(app, db, users, client):
    response = client.post(
        "/anmelden", data={"email": users["treasurer"].email.upper(), "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    db.session.expire_all()
    assert users["treasurer"].last_login_at is not None
    assert "Buchung erfassen" in client.get("/").get_data(as_text=True)


def test_wrong_password_and_unknown_email_get_the_same_message(app, users, client):
    for email, password in ((users["treasurer"].email, "falsch-falsch"), ("nie@x.org", "egal")):
        response = client.post("/anmelden", data={"email": email, "password": password})
        assert response.status_code == 200
        assert "E-Mail oder Passwort ist falsch." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_inactive_user_cannot_log_in(app, db, users, client):
    users["board"].is_active = False
    db.session.commit()
    response = client.post("/anmelden", data={"email": users["board"].email, "password": PASSWORD})
    assert "E-Mail oder Passwort ist falsch." in response.get_data(as_text=True)


def test_deactivated_user_loses_an_open_session(app, db, users):
    client = login(app.test_client(), users["board"])
    assert client.get("/buchungen").status_code == 200
    users["board"].is_active = False
    db.session.commit()
    assert client.get("/buchungen").status_code == 302


def test_next_is_followed_only_on_this_site(app, users, client):
    data = {"email": users["board"].email, "password": PASSWORD}
    response = client.post("/anmelden?next=/salden", data=data)
    assert response.headers["Location"] == "/salden"
    other = app.test_client()
    response = other.post("/anmelden?next=https://evil.example/x", data=data)
    assert response.headers["Location"] == "/"
    response = app.test_client().post("/anmelden?next=//evil.example/x", data=data)
    assert response.headers["Location"] == "/"


def test_anonymous_is_sent_to_login_with_next(client):
    response = client.get("/buchungen?year=2025")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/anmelden?next=")


def test_logout_needs_post(app, users):
    client = login(app.test_client(), users["member"])
    assert client.get("/abmelden").status_code == 405
    response = client.post("/abmelden", data={})
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_password_change(app, db, users):
    client = login(app.test_client(), users["member"])
    wrong = client.post(
        "/passwort",
        data={"current": "nicht-richtig", "new": "ganz-neues-pw-1", "confirm": "ganz-neues-pw-1"},
    )
    assert "Das aktuelle Passwort stimmt nicht." in wrong.get_data(as_text=True)
    short = client.post("/passwort", data={"current": PASSWORD, "new": "kurz", "confirm": "kurz"})
    assert "Mindestens 10 Zeichen." in short.get_data(as_text=True)
    mismatch = client.post(
        "/passwort", data={"current": PASSWORD, "new": "ganz-neues-pw-1", "confirm": "anders-123"}
    )
    assert "stimmen nicht überein" in mismatch.get_data(as_text=True)
    ok = client.post(
        "/passwort",
        data={"current": PASSWORD, "new": "ganz-neues-pw-1", "confirm": "ganz-neues-pw-1"},
    )
    assert ok.status_code == 302
    login(app.test_client(), users["member"], password="ganz-neues-pw-1")


def test_passwords_are_argon2_hashes(app, users):
    assert users["admin"].password_hash.startswith("$argon2id$")
    assert PASSWORD not in users["admin"].password_hash


def test_session_cookie_is_httponly_and_samesite(app, users, client):
    response = client.post("/anmelden", data={"email": users["board"].email, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_login_rate_limit_has_a_clear_german_message(_session_app):
    url = _session_app.config["SQLALCHEMY_DATABASE_URI"]
    app = make_test_app(url, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    data = {"email": "jemand@example.org", "password": "falsch-falsch"}
    statuses = [client.post("/anmelden", data=data).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    blocked = client.post("/anmelden", data=data)
    assert blocked.status_code == 429
    assert "Zu viele Anmeldeversuche" in blocked.get_data(as_text=True)
    # reading the login page is not limited
    assert client.get("/anmelden").status_code == 200
    with app.app_context():
        _db.engine.dispose()


def test_users_create_cli(app, db, runner):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "Neu@Example.org",
            "--role",
            "treasurer",
            "--password",
            "lang-genug-123",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "neu@example.org" in result.output
    user = db.session.execute(select(User).filter_by(email="neu@example.org")).scalar_one()
    assert user.role == "treasurer"
    again = runner.invoke(
        args=[
            "users",
            "create",
            "neu@example.org",
            "--role",
            "board",
            "--password",
            "lang-genug-123",
        ]
    )
    assert again.exit_code != 0
    assert "schon einen Zugang" in again.output


def test_users_create_cli_refuses_bad_input(app, db, runner):
    short = runner.invoke(
        args=["users", "create", "a@example.org", "--role", "admin", "--password", "kurz"]
    )
    assert short.exit_code != 0 and "mindestens 10 Zeichen" in short.output
    bad_mail = runner.invoke(
        args=["users", "create", "keine-mail", "--role", "admin", "--password", "lang-genug-123"]
    )
    assert bad_mail.exit_code != 0 and "gültige E-Mail" in bad_mail.output
    bad_role = runner.invoke(
        args=["users", "create", "b@example.org", "--role", "chef", "--password", "lang-genug-123"]
    )
    assert bad_role.exit_code != 0
    assert db.session.execute(select(User)).scalars().all() == []
