"""Invitations and password resets by one-time, expiring e-mail links."""

import hashlib
import logging
import re
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from supportclub.audit import AuditEntry
from supportclub.auth import tokens
from supportclub.auth.models import User, UserToken
from supportclub.auth.tokens import (
    INVITE,
    RESET,
    TokenError,
    check_token,
    consume_token,
    issue_token,
    set_password_by_link,
)
from supportclub.clock import utcnow
from supportclub.extensions import db as _db
from supportclub.permissions import Role
from tests.conftest import PASSWORD, login
from tests.dbutil import PG_URL
from tests.factories import make_person, make_user
from tests.ledger.test_concurrency import pg_app, run_concurrently  # noqa: F401 (fixture)
from tests.mailsink import _free_port

NEW_PASSWORD = "neues-passwort-123"
ASSOCIATION = "Förderverein Grundschule Am Park e.V."


@pytest.fixture
def association(db):
    """The association's name, as the mails quote it."""
    from supportclub.admin.services import get_settings

    get_settings().name = ASSOCIATION
    db.session.commit()
    return ASSOCIATION


def later(monkeypatch, delta: timedelta) -> None:
    """Let the token service believe `delta` has passed."""
    moment = utcnow() + delta
    monkeypatch.setattr(tokens, "utcnow", lambda: moment)


def link_path(body: str, prefix: str) -> str:
    """The path of the one link in a mail body that starts with `prefix`."""
    (url,) = re.findall(r"https?://\S+", body)
    path = urlsplit(url).path
    assert path.startswith(prefix), url
    return path


def token_count(**filters) -> int:
    """How many stored tokens match."""
    return _db.session.execute(
        select(func.count()).select_from(UserToken).filter_by(**filters)
    ).scalar_one()


def audit_actions(target: User) -> list[str]:
    """The audit actions recorded for a user, oldest first."""
    return list(
        _db.session.execute(
            select(AuditEntry.action)
            .where(AuditEntry.target_type == "User", AuditEntry.target_id == target.id)
            .order_by(AuditEntry.id)
        ).scalars()
    )


def user_of(person) -> User | None:
    """The login linked to a person."""
    return _db.session.execute(select(User).filter_by(person_id=person.id)).scalar_one_or_none()


def start_page_for(person_id: int) -> str:
    """Where the invitation answer leads: the member's page once it exists, else the start."""
    from flask import current_app, url_for

    if "members.detail" in current_app.view_functions:
        with current_app.test_request_context():
            return url_for("members.detail", person_id=person_id)
    return "/"


# The token service ------------------------------------------------------------------------------


def test_only_the_hash_is_stored_and_lifetimes_are_seven_days_and_two_hours(app, db, users):
    user = users["member"]
    raw = issue_token(user, INVITE)
    invite = db.session.execute(select(UserToken).filter_by(user_id=user.id)).scalar_one()
    assert len(raw) >= 43
    assert invite.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in (invite.token_hash, str(invite.id))
    assert invite.expires_at - invite.created_at == timedelta(days=7)
    issue_token(user, RESET)
    reset = db.session.execute(select(UserToken).filter_by(purpose=RESET)).scalar_one()
    assert reset.expires_at - reset.created_at == timedelta(hours=2)


def test_a_link_works_once(app, db, users):
    raw = issue_token(users["member"], RESET)
    assert check_token(raw, RESET) == users["member"]  # looking does not use it up
    assert consume_token(raw, RESET) == users["member"]
    with pytest.raises(TokenError, match="bereits benutzt") as exc:
        consume_token(raw, RESET)
    assert exc.value.reason == "used"


def test_a_new_link_replaces_the_older_one_of_the_same_purpose_only(app, db, users):
    user = users["member"]
    first_reset = issue_token(user, RESET)
    invite = issue_token(user, INVITE)
    second_reset = issue_token(user, RESET)
    with pytest.raises(TokenError, match="bereits benutzt oder durch einen neueren ersetzt"):
        consume_token(first_reset, RESET)
    assert consume_token(second_reset, RESET) == user
    assert consume_token(invite, INVITE) == user


def test_expired_unknown_and_wrong_purpose_links_are_refused(app, db, users, monkeypatch):
    raw = issue_token(users["member"], RESET)
    with pytest.raises(TokenError, match="ungültig") as exc:
        consume_token(raw + "x", RESET)
    assert exc.value.reason == "invalid"
    with pytest.raises(TokenError, match="ungültig"):
        consume_token(raw, INVITE)
    later(monkeypatch, timedelta(hours=2, seconds=1))
    with pytest.raises(TokenError, match="Der Link ist abgelaufen") as exc:
        consume_token(raw, RESET)
    assert exc.value.reason == "expired"
    assert token_count(used_at=None) == 1  # a refused link is not used up


def test_a_link_of_a_deactivated_login_is_refused(app, db, users):
    raw = issue_token(users["member"], RESET)
    users["member"].is_active = False
    with pytest.raises(TokenError, match="ungültig"):
        consume_token(raw, RESET)


def test_a_too_short_password_does_not_use_up_the_link(app, db, users):
    raw = issue_token(users["member"], RESET)
    with pytest.raises(Exception, match="mindestens 10 Zeichen"):
        set_password_by_link(raw, RESET, "kurz")
    assert set_password_by_link(raw, RESET, NEW_PASSWORD) == users["member"]
    assert audit_actions(users["member"])[-1] == "users.password_set_by_link"


@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (TEST_DATABASE_URL)")
def test_three_simultaneous_uses_of_one_link_succeed_once(pg_app, monkeypatch):  # noqa: F811
    with pg_app.app_context():
        user = make_user(role="member")
        raw = issue_token(user, RESET)
        _db.session.commit()
        user_id = user.id

    def slow_clock():
        # between reading the link and marking it used: every thread has read it by now
        time.sleep(0.3)
        return utcnow()

    monkeypatch.setattr(tokens, "utcnow", slow_clock)
    outcomes = run_concurrently(pg_app, lambda: consume_token(raw, RESET).id, n=3)
    assert sorted(o for o in outcomes if isinstance(o, int)) == [user_id]
    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert [getattr(e, "reason", e) for e in refused] == ["used", "used"]


# Invitation -------------------------------------------------------------------------------------


def test_invitation_mail_arrives_and_its_link_sets_the_password_and_logs_in(
    app, db, treasurer_client, mailsink, association
):
    person = make_person(first_name="Berta", last_name="Beispiel", email="berta@example.org")
    response = treasurer_client.post(f"/zugaenge/einladen/{person.id}")
    assert response.status_code == 302
    assert response.headers["Location"] == start_page_for(person.id)
    page = treasurer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Die Einladung ist an berta@example.org verschickt" in page

    (mail,) = mailsink.to("berta@example.org")
    assert association in mail["Subject"] and association in mail["From"]
    body = mailsink.body(mail)
    assert association in body
    invite = db.session.execute(select(UserToken).filter_by(purpose=INVITE)).scalar_one()
    assert invite.expires_at.astimezone(tokens.LOCAL_TZ).strftime("%d.%m.%Y") in body
    assert "7 Tage gültig" in body
    path = link_path(body, "/einladung/")

    user = user_of(person)
    assert (user.email, user.role, user.is_active, user.last_login_at) == (
        "berta@example.org",
        Role.MEMBER,
        True,
        None,
    )
    assert login_fails(app, user, PASSWORD)  # nobody knows the random password

    member = app.test_client()
    form = member.get(path)
    assert "<title>Zugang einrichten · supportclub</title>" in form.get_data(as_text=True)
    assert form.status_code == 200
    assert "berta@example.org" in form.get_data(as_text=True)
    assert form.headers["Referrer-Policy"] == "no-referrer"
    done = member.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    assert done.headers["Location"] == "/mein-konto"
    assert "Beispiel" in member.get("/mein-konto").get_data(as_text=True)
    login(app.test_client(), user, password=NEW_PASSWORD)
    assert audit_actions(user) == ["users.created", "users.invited", "users.password_set_by_link"]

    again = app.test_client().get(path)
    assert again.status_code == 410
    text = again.get_data(as_text=True)
    assert "Der Link wurde bereits benutzt" in text
    assert 'href="/passwort-vergessen"' in text


def login_fails(app, user, password) -> bool:
    """True when the login form refuses these credentials."""
    response = app.test_client().post("/anmelden", data={"email": user.email, "password": password})
    return response.status_code == 200 and "E-Mail oder Passwort ist falsch." in response.get_data(
        as_text=True
    )


def test_invitation_can_be_resent_until_first_login_and_the_old_link_dies(
    app, db, treasurer_client, mailsink
):
    person = make_person(email="carl@example.org")
    treasurer_client.post(f"/zugaenge/einladen/{person.id}")
    treasurer_client.post(f"/zugaenge/einladen/{person.id}")
    first, second = (mailsink.body(m) for m in mailsink.to("carl@example.org"))
    old, new = link_path(first, "/einladung/"), link_path(second, "/einladung/")
    assert old != new
    assert db.session.execute(select(func.count()).select_from(User)).scalar_one() == 6
    assert app.test_client().get(old).status_code == 410
    client = app.test_client()
    done = client.post(new, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    assert client.get("/mein-konto").status_code == 200

    third = treasurer_client.post(f"/zugaenge/einladen/{person.id}", follow_redirects=True)
    assert "hat sich schon angemeldet" in third.get_data(as_text=True)
    assert len(mailsink.to("carl@example.org")) == 2


@pytest.mark.parametrize(
    "email, message",
    [
        (None, "ist keine E-Mail-Adresse eingetragen"),
        ("vergeben@example.org", "gehört. Bitte die Adresse prüfen"),
    ],
)
def test_invitation_is_refused_without_address_or_with_a_taken_one(
    app, db, users, treasurer_client, mailsink, email, message
):
    make_user(role="board", email="vergeben@example.org")
    person = make_person(email=email)
    page = treasurer_client.post(f"/zugaenge/einladen/{person.id}", follow_redirects=True)
    assert message in page.get_data(as_text=True)
    assert user_of(person) is None
    assert token_count() == 0
    assert mailsink.messages == []


def test_invitation_with_the_mail_server_down_keeps_nothing(app, db, treasurer_client, monkeypatch):
    for key, value in {
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": _free_port(),  # nothing listens there
        "MAIL_USE_TLS": False,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    person = make_person(email="dora@example.org")
    page = treasurer_client.post(f"/zugaenge/einladen/{person.id}", follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "E-Mail konnte nicht versendet werden" in text
    assert "Die Einladung wurde nicht verschickt; es wurde nichts gespeichert." in text
    db.session.expire_all()
    assert user_of(person) is None
    assert token_count() == 0
    invited = db.session.execute(
        select(func.count()).where(AuditEntry.action.in_(["users.invited", "users.created"]))
    ).scalar_one()
    assert invited == 5  # only the five fixture users


def test_invitation_needs_a_valid_csrf_token(app, db, treasurer_client, mailsink):
    person = make_person(email="emil@example.org")
    app.config["WTF_CSRF_ENABLED"] = True  # the app fixture switches it off again
    assert treasurer_client.post(f"/zugaenge/einladen/{person.id}").status_code == 400
    assert user_of(person) is None and mailsink.messages == []


def test_invitation_of_an_unknown_person_is_404(app, treasurer_client):
    assert treasurer_client.post("/zugaenge/einladen/999999").status_code == 404


def test_accepting_with_bad_passwords_shows_the_reason_and_keeps_the_link(app, db, users):
    invited = make_user(role="member", person_id=make_person().id)
    raw = issue_token(invited, INVITE)
    db.session.commit()
    client = app.test_client()
    short = client.post(f"/einladung/{raw}", data={"password": "kurz", "confirm": "kurz"})
    assert short.status_code == 422
    assert "Mindestens 10 Zeichen." in short.get_data(as_text=True)
    mismatch = client.post(
        f"/einladung/{raw}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"}
    )
    assert mismatch.status_code == 422
    assert "Die Passwörter stimmen nicht überein." in mismatch.get_data(as_text=True)
    assert token_count(used_at=None) == 1
    assert client.get("/mein-konto").status_code == 302  # not logged in


def test_an_expired_invitation_shows_why_and_where_to_get_a_new_link(app, db, users, monkeypatch):
    invited = make_user(role="member", person_id=make_person().id)
    raw = issue_token(invited, INVITE)
    db.session.commit()
    later(monkeypatch, timedelta(days=7, minutes=1))
    client = app.test_client()
    for response in (
        client.get(f"/einladung/{raw}"),
        client.post(f"/einladung/{raw}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}),
    ):
        assert response.status_code == 410
        text = response.get_data(as_text=True)
        assert "Der Link ist abgelaufen." in text
        assert "Neuen Link anfordern" in text
    assert client.get("/mein-konto").status_code == 302
    unknown = client.get("/einladung/gibt-es-nicht")
    assert unknown.status_code == 404
    assert "Der Link ist ungültig" in unknown.get_data(as_text=True)


# Password reset ---------------------------------------------------------------------------------

SAME_ANSWER = "Wenn die Adresse bekannt ist, haben wir eine E-Mail"


def test_reset_flow(app, db, users, mailsink, association):
    user = users["treasurer"]
    client = app.test_client()
    assert "Passwort vergessen?" in client.get("/anmelden").get_data(as_text=True)
    answer = client.post(
        "/passwort-vergessen", data={"email": user.email.upper()}, follow_redirects=True
    )
    assert SAME_ANSWER in answer.get_data(as_text=True)
    (mail,) = mailsink.to(user.email)
    body = mailsink.body(mail)
    assert association in mail["Subject"]
    assert "2 Stunden gültig" in body
    path = link_path(body, "/passwort-zuruecksetzen/")
    assert audit_actions(user)[-1] == "users.password_reset_requested"

    page = client.get(path)
    assert page.status_code == 200 and user.email in page.get_data(as_text=True)
    done = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert client.get("/buchungen").status_code == 200  # logged in as the treasurer
    assert login_fails(app, user, PASSWORD)
    login(app.test_client(), user, password=NEW_PASSWORD)
    assert audit_actions(user)[-1] == "users.password_set_by_link"
    assert app.test_client().get(path).status_code == 410


def test_an_expired_reset_link_is_refused(app, db, users, monkeypatch):
    raw = issue_token(users["board"], RESET)
    db.session.commit()
    later(monkeypatch, timedelta(hours=2, minutes=1))
    response = app.test_client().get(f"/passwort-zuruecksetzen/{raw}")
    assert response.status_code == 410
    assert "Der Link ist abgelaufen." in response.get_data(as_text=True)


@pytest.mark.parametrize("case", ["unknown", "inactive"])
def test_forgot_password_answers_the_same_and_sends_nothing(app, db, users, mailsink, case):
    email = "niemand@example.org"
    if case == "inactive":
        users["board"].is_active = False
        db.session.commit()
        email = users["board"].email
    response = app.test_client().post("/passwort-vergessen", data={"email": email})
    assert response.status_code == 302
    assert response.headers["Location"] == "/anmelden"
    followed = app.test_client().post(
        "/passwort-vergessen", data={"email": email}, follow_redirects=True
    )
    assert SAME_ANSWER in followed.get_data(as_text=True)
    assert mailsink.messages == []
    assert token_count() == 0


def test_forgot_password_with_the_mail_server_down_answers_the_same(app, db, users, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setitem(app.config, "MAIL_PORT", _free_port())
    response = app.test_client().post(
        "/passwort-vergessen", data={"email": users["member"].email}, follow_redirects=True
    )
    assert SAME_ANSWER in response.get_data(as_text=True)
    assert token_count() == 0


def test_forgot_password_refuses_a_malformed_address_at_the_field(app, mailsink):
    response = app.test_client().post("/passwort-vergessen", data={"email": "kein-at-zeichen"})
    assert response.status_code == 422
    assert "Bitte eine gültige E-Mail-Adresse angeben." in response.get_data(as_text=True)


def test_forgot_password_is_rate_limited_with_a_german_message(_session_app):
    from tests.conftest import make_test_app

    app = make_test_app(
        _session_app.config["SQLALCHEMY_DATABASE_URI"],
        RATELIMIT_ENABLED=True,
        LOGIN_RATE_LIMIT="3 per minute",
    )
    client = app.test_client()
    data = {"email": "jemand@example.org"}
    statuses = [client.post("/passwort-vergessen", data=data).status_code for _ in range(3)]
    assert statuses == [302, 302, 302]
    blocked = client.post("/passwort-vergessen", data=data)
    assert blocked.status_code == 429
    assert "Zu viele Anfragen" in blocked.get_data(as_text=True)
    assert client.get("/passwort-vergessen").status_code == 200
    with app.app_context():
        _db.engine.dispose()


def test_tokens_appear_neither_in_the_log_nor_in_the_audit_trail(
    app, db, users, treasurer_client, mailsink, caplog
):
    caplog.set_level(logging.DEBUG)
    person = make_person(email="fritz@example.org")
    treasurer_client.post(f"/zugaenge/einladen/{person.id}")
    app.test_client().post("/passwort-vergessen", data={"email": users["board"].email})
    raws = [link_path(mailsink.body(m), "/").rsplit("/", 1)[1] for m in mailsink.messages]
    assert len(raws) == 2
    for raw in raws:
        path = link_path(
            next(mailsink.body(m) for m in mailsink.messages if raw in mailsink.body(m)), "/"
        )
        app.test_client().post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    secrets_ = raws + [hashlib.sha256(raw.encode()).hexdigest() for raw in raws]
    audit_data = " ".join(db.session.execute(select(AuditEntry.data_json)).scalars())
    # "mail.log" is the receiving test server (aiosmtpd), which naturally sees the mail
    logged = " ".join(r.getMessage() for r in caplog.records if r.name != "mail.log")
    for secret in secrets_:
        assert secret not in audit_data
        assert secret not in logged
    assert token_count(used_at=None) == 0  # both links were used
