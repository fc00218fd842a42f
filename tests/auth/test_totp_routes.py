# ruff: noqa: F811  (the clock fixture is imported from test_totp)
"""The second factor over HTTP: enrolling on "Zweiter Faktor", the code step of a login (lockout,
replay, recovery codes, expiry), switching off, and the admin's reset."""

import logging
import re

import pytest
from sqlalchemy import select

from supportclub.audit import AuditEntry
from supportclub.auth import totp
from supportclub.auth.routes import PENDING_KEY
from supportclub.auth.totp_routes import SETUP_KEY
from supportclub.extensions import db as _db
from tests.auth.test_totp import (  # noqa: F401  (clock is a fixture)
    all_audit_text,
    audit_of,
    clock,
    code_at,
    enrol,
    recovery_hashes,
    stored,
)
from tests.conftest import PASSWORD, login, make_test_app


def text(response) -> str:
    return response.get_data(as_text=True)


def password_step(client, user, password: str = PASSWORD, **extra):
    """Post e-mail and password on the login page (`user` or the e-mail address)."""
    email = user if isinstance(user, str) else user.email
    return client.post(
        "/anmelden" + extra.pop("query", ""),
        data={"email": email, "password": password, **extra},
    )


def logged_in(client) -> bool:
    """True when a page that needs a login answers."""
    return client.get("/passwort").status_code == 200


def other_code(code: str) -> str:
    """A six-digit code that is not `code`."""
    return f"{(int(code) + 1) % 1_000_000:06d}"


# Enrolment ----------


@pytest.mark.parametrize("role", ["board", "auditor", "member"])
def test_only_admin_and_treasurer_accounts_can_enrol(clients, role):
    assert clients[role].get("/passwort/zweiter-faktor").status_code == 403
    assert clients[role].post("/passwort/zweiter-faktor/einrichten").status_code == 403
    assert "Zweiter Faktor" not in text(clients[role].get("/passwort"))
    assert "Zweiter Faktor" in text(clients["treasurer"].get("/passwort"))


def test_the_treasurer_enrols_in_the_browser(app, users, clients, clock, caplog):
    caplog.set_level(logging.DEBUG)
    client, user = clients["treasurer"], users["treasurer"]
    assert "Nicht eingerichtet" in text(client.get("/passwort/zweiter-faktor"))
    assert client.get("/passwort/zweiter-faktor/bestaetigen").status_code == 302  # not started

    started = client.post("/passwort/zweiter-faktor/einrichten")
    assert started.headers["Location"].endswith("/passwort/zweiter-faktor/bestaetigen")
    page = client.get("/passwort/zweiter-faktor/bestaetigen")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    shown = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', text(page)).group(1)
    secret = shown.replace(" ", "")
    assert shown == " ".join(secret[i : i + 4] for i in range(0, 32, 4))
    assert 'src="data:image/svg+xml;base64,' in text(page)
    with client.session_transaction() as sess:  # kept encrypted until it is confirmed
        assert totp.unseal(sess[SETUP_KEY]) == secret and secret not in sess[SETUP_KEY]

    right = code_at(secret, clock.now)
    for data in (
        {"code": other_code(right), "password": PASSWORD},
        {"code": right, "password": "falsch-falsch"},
        {"code": "", "password": PASSWORD},
    ):
        refused = client.post("/passwort/zweiter-faktor/bestaetigen", data=data)
        assert refused.status_code == 422
        assert secret in text(refused).replace(" ", "")  # the same secret, still to be confirmed
        assert stored(user).totp_enabled_at is None
    wrong_password = client.post(
        "/passwort/zweiter-faktor/bestaetigen", data={"code": right, "password": "nein-nein-nein"}
    )
    assert "Das Passwort stimmt nicht." in text(wrong_password)

    done = client.post(
        "/passwort/zweiter-faktor/bestaetigen", data={"code": right, "password": PASSWORD}
    )
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    codes = re.findall(r"<li>([a-z2-9]{4}-[a-z2-9]{4})</li>", text(done))
    assert len(codes) == 10
    assert secret not in text(done).replace(" ", "")
    assert stored(user).totp_enabled_at == clock.now
    assert len(recovery_hashes(user)) == 10
    assert stored(user).totp_secret != secret
    assert audit_of(user, "auth.totp_enabled") == [{"recovery_codes": 10}]

    # shown once: the state page has neither the codes nor the secret, and setup is over
    state = text(client.get("/passwort/zweiter-faktor"))
    assert "Eingeschaltet seit" in state and "Unbenutzte Wiederherstellungscodes: 10." in state
    assert not any(code in state for code in codes) and secret not in state.replace(" ", "")
    assert client.get("/passwort/zweiter-faktor/bestaetigen").status_code == 302
    with client.session_transaction() as sess:
        assert SETUP_KEY not in sess
    # never in the logs or the audit trail
    assert secret not in caplog.text and not any(code in caplog.text for code in codes)
    audit = all_audit_text()
    assert secret not in audit and not any(code in audit for code in codes)


def test_a_wrong_code_on_enrolment_says_so(app, users, clients, clock):
    client = clients["admin"]
    client.post("/passwort/zweiter-faktor/einrichten")
    response = client.post(
        "/passwort/zweiter-faktor/bestaetigen", data={"code": "12345", "password": PASSWORD}
    )
    assert response.status_code == 422
    assert "Der Code ist falsch oder abgelaufen." in text(response)
    assert stored(users["admin"]).totp_enabled_at is None


# Logging in with the second factor ----------


def test_the_password_alone_does_not_log_in_the_code_does(app, users, clock):
    user = users["treasurer"]
    secret, _codes = enrol(user, clock)
    client = app.test_client()

    response = password_step(client, user, query="?next=/salden", remember="y")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/anmelden/code")
    assert not any("remember_token" in c for c in response.headers.getlist("Set-Cookie"))
    assert client.get("/buchungen").headers["Location"].startswith("/anmelden")
    assert not logged_in(client)
    page = client.get("/anmelden/code")
    assert page.status_code == 200 and "Bestätigungscode" in text(page)

    wrong = client.post("/anmelden/code", data={"code": other_code(code_at(secret, clock.now))})
    assert wrong.status_code == 200
    assert "Der Code ist falsch oder abgelaufen." in text(wrong)
    assert not logged_in(client)

    right = client.post("/anmelden/code", data={"code": code_at(secret, clock.now)})
    assert right.status_code == 302 and right.headers["Location"] == "/salden"
    assert any("remember_token" in c for c in right.headers.getlist("Set-Cookie"))
    assert client.get("/buchungen").status_code == 200
    assert stored(user).last_login_at == clock.now
    with client.session_transaction() as sess:
        assert PENDING_KEY not in sess and sess.permanent
    # the code page is done with: a logged-in user goes to the start page
    assert client.get("/anmelden/code").headers["Location"] == "/"


def test_users_without_a_second_factor_log_in_as_before(app, users, clock):
    client = app.test_client()
    response = password_step(client, users["treasurer"])
    assert response.headers["Location"] == "/"
    assert logged_in(client)


def test_without_a_pending_login_the_code_page_sends_to_the_password_step(app, users, clock):
    client = app.test_client()
    for response in (client.get("/anmelden/code"), client.post("/anmelden/code", data={})):
        assert response.status_code == 302 and response.headers["Location"] == "/anmelden"


def test_the_same_code_is_not_accepted_twice(app, users, clock):
    user = users["admin"]
    secret, _codes = enrol(user, clock)
    code = code_at(secret, clock.now)
    first = app.test_client()
    password_step(first, user)
    assert first.post("/anmelden/code", data={"code": code}).status_code == 302

    second = app.test_client()  # someone who saw the code over the shoulder
    password_step(second, user)
    replay = second.post("/anmelden/code", data={"code": code})
    assert "Der Code ist falsch oder abgelaufen." in text(replay)
    assert not logged_in(second)
    clock.advance(totp.STEP_SECONDS)
    fresh = second.post("/anmelden/code", data={"code": code_at(secret, clock.now)})
    assert fresh.status_code == 302 and logged_in(second)


def test_a_recovery_code_logs_in_once(app, users, clock):
    user = users["treasurer"]
    _secret, codes = enrol(user, clock)
    client = app.test_client()
    password_step(client, user)
    response = client.post("/anmelden/code", data={"code": codes[0].upper()})
    assert response.status_code == 302
    assert "noch 9 sind übrig" in text(client.get("/"))
    assert logged_in(client)
    assert audit_of(user, "auth.recovery_code_used") == [{"remaining": 9}]

    again = app.test_client()
    password_step(again, user)
    refused = again.post("/anmelden/code", data={"code": codes[0]})
    assert "Der Code ist falsch oder abgelaufen." in text(refused)
    assert not logged_in(again)
    assert totp.unused_recovery_codes(user) == 9


def test_the_pending_login_expires_after_five_minutes(app, users, clock):
    user = users["treasurer"]
    secret, _codes = enrol(user, clock)
    client = app.test_client()
    password_step(client, user)
    clock.advance(4 * 60 + 50)
    assert client.get("/anmelden/code").status_code == 200  # still within 5 minutes
    clock.advance(15)
    late = client.post("/anmelden/code", data={"code": code_at(secret, clock.now)})
    assert late.status_code == 302 and late.headers["Location"] == "/anmelden"
    assert "Die Anmeldung ist abgelaufen" in text(client.get("/anmelden"))
    assert not logged_in(client)
    assert stored(user).totp_last_step < totp.time_step(clock.now)  # the code was not used
    # a new password step starts a new one
    password_step(client, user)
    assert (
        client.post("/anmelden/code", data={"code": code_at(secret, clock.now)}).status_code == 302
    )
    assert logged_in(client)


def test_a_pending_login_ends_when_the_account_changes(app, users, clients, clock):
    user = users["treasurer"]
    secret, _codes = enrol(user, clock)
    client = app.test_client()
    password_step(client, user)
    stored(user).session_epoch += 1  # e.g. "überall abmelden" or a new password elsewhere
    _db.session.commit()
    response = client.post("/anmelden/code", data={"code": code_at(secret, clock.now)})
    assert response.headers["Location"] == "/anmelden"
    assert not logged_in(client)


def test_a_reset_link_does_not_bypass_the_second_factor(app, users, clock):
    from supportclub.auth.tokens import RESET, issue_token

    user = users["treasurer"]
    secret, _codes = enrol(user, clock)
    raw = issue_token(user, RESET)
    _db.session.commit()
    client = app.test_client()
    new = "ein-ganz-neues-passwort"
    response = client.post(f"/passwort-zuruecksetzen/{raw}", data={"password": new, "confirm": new})
    assert response.status_code == 302 and response.headers["Location"].endswith("/anmelden/code")
    assert not logged_in(client)
    assert (
        client.post("/anmelden/code", data={"code": code_at(secret, clock.now)}).status_code == 302
    )
    assert logged_in(client)


# Lockout: a wrong code counts like a wrong password ----------


@pytest.fixture
def strict(app):
    """A second app on the test database with a low lockout limit."""
    strict_app = make_test_app(
        app.config["SQLALCHEMY_DATABASE_URI"],
        RATELIMIT_ENABLED=True,
        ACCOUNT_LOCKOUT_LIMIT="3 per 15 minutes",
    )
    yield strict_app
    with strict_app.app_context():
        _db.engine.dispose()


def test_wrong_codes_count_toward_the_account_lockout(app, strict, users, clock):
    user, board = users["treasurer"].email, users["board"].email  # the other app detaches them
    secret, _codes = enrol(users["treasurer"], clock)
    client = strict.test_client()
    assert password_step(client, user, "falsch-falsch").status_code == 200  # 1 failure
    assert password_step(client, user).status_code == 302  # right password: not counted
    wrong = other_code(code_at(secret, clock.now))
    assert client.post("/anmelden/code", data={"code": wrong}).status_code == 200  # 2
    assert client.post("/anmelden/code", data={"code": wrong}).status_code == 200  # 3

    locked = client.post("/anmelden/code", data={"code": code_at(secret, clock.now)})
    assert locked.status_code == 429  # even the right code waits
    assert "Zu viele fehlgeschlagene Anmeldeversuche" in text(locked)
    assert "15 Minuten" in text(locked)
    assert not logged_in(client)
    # the password step of the same address is locked too, from any browser
    assert password_step(strict.test_client(), user).status_code == 429
    # another account is not
    assert password_step(strict.test_client(), board).status_code == 302


# Switching off, new recovery codes ----------


def test_switching_off_in_the_browser_needs_password_and_code(app, users, clients, clock):
    user, client = users["treasurer"], clients["treasurer"]
    secret, codes = enrol(user, clock)
    clock.advance(totp.STEP_SECONDS)
    code = code_at(secret, clock.now)
    url = "/passwort/zweiter-faktor/ausschalten"
    for data in (
        {"off-password": PASSWORD},
        {"off-code": code},
        {"off-password": "falsch-falsch", "off-code": code},
        {"off-password": PASSWORD, "off-code": other_code(code)},
    ):
        response = client.post(url, data=data)
        assert response.status_code == 422, data
        assert stored(user).totp_enabled_at is not None and len(recovery_hashes(user)) == 10
    assert "Das Passwort stimmt nicht." in text(
        client.post(url, data={"off-password": "nein-nein-nein", "off-code": code})
    )

    done = client.post(url, data={"off-password": PASSWORD, "off-code": code})
    assert done.status_code == 302
    assert "Der zweite Faktor ist ausgeschaltet." in text(client.get("/passwort/zweiter-faktor"))
    assert stored(user).totp_secret is None and recovery_hashes(user) == []
    assert audit_of(user, "auth.totp_disabled") == [{"confirmed_with": "totp"}]
    # the next login needs the password only
    fresh = app.test_client()
    assert password_step(fresh, user).headers["Location"] == "/"


def test_new_recovery_codes_in_the_browser(app, users, clients, clock):
    user, client = users["admin"], clients["admin"]
    _secret, old = enrol(user, clock)
    url = "/passwort/zweiter-faktor/wiederherstellungscodes"
    refused = client.post(url, data={"codes-password": "falsch-falsch"})
    assert refused.status_code == 422 and "Das Passwort stimmt nicht." in text(refused)
    response = client.post(url, data={"codes-password": PASSWORD})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    new = re.findall(r"<li>([a-z2-9]{4}-[a-z2-9]{4})</li>", text(response))
    assert len(new) == 10 and not set(new) & set(old)
    assert "bisherigen gelten nicht mehr" in text(response)


# The admin's reset ----------


def test_an_admin_resets_the_second_factor_of_another_user(app, users, clients, clock):
    admin, treasurer = users["admin"], users["treasurer"]
    secret, _codes = enrol(treasurer, clock)
    treasurer_client = clients["treasurer"]  # logged in before: that session ends
    edit = f"/verwaltung/zugaenge/{treasurer.id}"
    assert "Zweiten Faktor zurücksetzen" in text(clients["admin"].get(edit))
    assert "Zweiten Faktor zurücksetzen" not in text(
        clients["admin"].get(f"/verwaltung/zugaenge/{users['board'].id}")
    )
    assert clients["treasurer"].post(edit + "/zweiter-faktor-zuruecksetzen").status_code == 403

    response = clients["admin"].post(edit + "/zweiter-faktor-zuruecksetzen")
    assert response.status_code == 302 and response.headers["Location"] == edit
    assert "ist zurückgesetzt" in text(clients["admin"].get(edit))
    assert "Zweiten Faktor zurücksetzen" not in text(clients["admin"].get(edit))
    assert stored(treasurer).totp_enabled_at is None
    assert not logged_in(treasurer_client)
    entry = _db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "auth.totp_reset")
    ).scalar_one()
    assert (entry.actor_id, entry.target_id) == (admin.id, treasurer.id)
    # the treasurer logs in with the password alone now
    assert password_step(app.test_client(), treasurer).headers["Location"] == "/"


def test_an_admin_cannot_reset_their_own_second_factor(app, users, clock):
    admin = users["admin"]
    enrol(admin, clock)
    client = app.test_client()
    password_step(client, admin)
    secret = totp.unseal(stored(admin).totp_secret)
    assert (
        client.post("/anmelden/code", data={"code": code_at(secret, clock.now)}).status_code == 302
    )
    edit = f"/verwaltung/zugaenge/{admin.id}"
    assert "Zweiten Faktor zurücksetzen" not in text(client.get(edit))
    client.post(edit + "/zweiter-faktor-zuruecksetzen")
    assert "eigenen zweiten Faktor" in text(client.get(edit))
    assert stored(admin).totp_enabled_at is not None


def test_login_helper_still_works_for_users_without_the_factor(app, users):
    """The suite's own login helper (password only) is unaffected."""
    assert logged_in(login(app.test_client(), users["auditor"]))


def test_the_code_step_and_the_reset_need_the_csrf_token(app, users, clients, clock):
    treasurer = users["treasurer"]
    secret, _codes = enrol(treasurer, clock)
    client = app.test_client()
    password_step(client, treasurer)
    app.config["WTF_CSRF_ENABLED"] = True  # the app fixture switches it off again
    refused = client.post("/anmelden/code", data={"code": code_at(secret, clock.now)})
    assert refused.status_code == 400 and not logged_in(client)
    reset = clients["admin"].post(
        f"/verwaltung/zugaenge/{treasurer.id}/zweiter-faktor-zuruecksetzen"
    )
    assert reset.status_code == 400
    assert stored(treasurer).totp_enabled_at is not None
