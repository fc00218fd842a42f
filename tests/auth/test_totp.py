"""The second factor's services: the secret stored encrypted, codes accepted once within
their window, recovery codes stored hashed and used once, switching on, off and resetting.

The clock, `code_at` and `enrol` here are shared with test_totp_routes.py and the journey."""

import base64
import hashlib
import json
import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import select

from supportclub.audit import AuditEntry
from supportclub.auth import totp
from supportclub.auth.models import RecoveryCode, User
from supportclub.errors import DomainError
from supportclub.extensions import db
from tests.conftest import PASSWORD

START = datetime(2026, 3, 2, 9, 0, 10, tzinfo=UTC)  # 10 s into a 30-s step


class Clock:
    """What totp (services and routes) believe the time is."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """Freeze the second factor's clock at START (tests move it on)."""
    frozen = Clock(START)
    monkeypatch.setattr(totp, "utcnow", frozen)
    return frozen


def code_at(secret: str, when: datetime) -> str:
    """The code an authenticator app shows at `when`."""
    return pyotp.TOTP(secret).at(when)


def enrol(user, clock: Clock) -> tuple[str, list[str]]:
    """Switch the user's second factor on (one step ago); the secret and the recovery codes."""
    secret = totp.new_secret()
    earlier = clock.now - timedelta(seconds=totp.STEP_SECONDS)
    codes = totp.enable(
        user,
        sealed_secret=totp.seal(secret),
        code=code_at(secret, earlier),
        password=PASSWORD,
        actor=user,
        at=earlier,
    )
    db.session.commit()
    return secret, codes


def audit_of(user, action: str) -> list[dict]:
    """The data of the user's audit entries with `action`, oldest first."""
    rows = db.session.execute(
        select(AuditEntry)
        .where(
            AuditEntry.target_type == "User",
            AuditEntry.target_id == user.id,
            AuditEntry.action == action,
        )
        .order_by(AuditEntry.id)
    ).scalars()
    return [row.data for row in rows]


def all_audit_text() -> str:
    """Every recorded audit entry's data, as one text."""
    return " ".join(db.session.execute(select(AuditEntry.data_json)).scalars())


def stored(user) -> User:
    """The user as the database has it now."""
    db.session.expire_all()
    return db.session.get(User, user.id)


def recovery_hashes(user) -> list[str]:
    return list(
        db.session.execute(
            select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)
        ).scalars()
    )


# The secret ---------------------------------------------------------------------------------


def test_the_secret_is_stored_encrypted_with_a_key_derived_from_secret_key(app, users, clock):
    user = users["treasurer"]
    secret, _codes = enrol(user, clock)
    value = stored(user).totp_secret
    assert value and value != secret and secret not in value
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)

    # HKDF-SHA256 over SECRET_KEY with info "supportclub-totp" gives the Fernet key
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"supportclub-totp").derive(
        current_app.config["SECRET_KEY"].encode()
    )
    assert Fernet(base64.urlsafe_b64encode(key)).decrypt(value.encode()).decode() == secret
    assert totp.unseal(value) == secret


def test_another_secret_key_cannot_read_it(app, users, clock, monkeypatch):
    sealed = totp.seal(totp.new_secret())
    monkeypatch.setitem(current_app.config, "SECRET_KEY", "ein-anderer-schluessel")
    with pytest.raises(DomainError) as refused:
        totp.unseal(sealed)
    assert "Schlüssel des Servers" in refused.value.message


def test_the_secret_is_shown_in_groups_of_four_and_as_a_qr_code():
    assert totp.grouped("ABCDEFGHIJKLMNOP") == "ABCD EFGH IJKL MNOP"
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    uri = totp.provisioning_uri(secret, "kasse@example.org", issuer="Förderverein")
    assert uri.startswith("otpauth://totp/F%C3%B6rderverein:kasse%40example.org?secret=" + secret)
    image = totp.qr_data_uri(uri)
    assert image.startswith("data:image/svg+xml;base64,")
    svg = base64.b64decode(image.split(",", 1)[1]).decode()
    assert svg.startswith("<svg") and "<script" not in svg


# Enrolment ----------------------------------------------------------------------------------


def test_enrolment_refuses_a_wrong_password_or_a_wrong_code(app, users, clock):
    user = users["treasurer"]
    secret = totp.new_secret()
    sealed = totp.seal(secret)
    right = code_at(secret, clock.now)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    attempts = [
        ("password", dict(code=right, password="falsch-falsch")),
        ("code", dict(code=wrong, password=PASSWORD)),
        ("code", dict(code="", password=PASSWORD)),
        ("code", dict(code=code_at(secret, clock.now + timedelta(minutes=2)), password=PASSWORD)),
    ]
    for field, values in attempts:
        with pytest.raises(DomainError) as refused:
            totp.enable(user, sealed_secret=sealed, actor=user, **values)
        db.session.rollback()
        assert refused.value.field == field
        assert stored(user).totp_enabled_at is None and stored(user).totp_secret is None
        assert recovery_hashes(user) == []
    assert audit_of(user, "auth.totp_enabled") == []


def test_enrolment_with_the_right_code_gives_ten_recovery_codes_stored_hashed(app, users, clock):
    user = users["admin"]
    secret = totp.new_secret()
    codes = totp.enable(
        user,
        sealed_secret=totp.seal(secret),
        code=code_at(secret, clock.now),
        password=PASSWORD,
        actor=user,
    )
    db.session.commit()
    user = stored(user)
    assert user.totp_enabled_at == clock.now
    assert user.totp_last_step == totp.time_step(clock.now)  # the enrolment code is used up
    assert len(codes) == 10 == len(set(codes))
    for code in codes:
        assert re.fullmatch(r"[a-hjkmnp-z2-9]{4}-[a-hjkmnp-z2-9]{4}", code), code
    expected = {hashlib.sha256(code.replace("-", "").encode()).hexdigest() for code in codes}
    assert set(recovery_hashes(user)) == expected
    assert audit_of(user, "auth.totp_enabled") == [{"recovery_codes": 10}]
    text = all_audit_text()
    assert secret not in text and not any(code in text for code in codes)

    with pytest.raises(DomainError, match="schon eingerichtet"):
        totp.enable(
            user,
            sealed_secret=totp.seal(totp.new_secret()),
            code="000000",
            password=PASSWORD,
            actor=user,
        )


# Codes --------------------------------------------------------------------------------------


def test_a_code_counts_for_its_step_and_one_either_side_and_only_once(app, users, clock):
    user = users["treasurer"]
    secret, _codes = enrol(user, clock)
    now = clock.now
    later = timedelta(seconds=totp.STEP_SECONDS)

    for outside in (now - 2 * later, now + 2 * later):
        with pytest.raises(DomainError, match="falsch oder abgelaufen"):
            totp.check_code(user, code_at(secret, outside), at=now)
        db.session.rollback()

    assert totp.check_code(user, code_at(secret, now), at=now) == totp.time_step(now)
    db.session.commit()
    with pytest.raises(DomainError):  # the same code again: a replay
        totp.check_code(user, code_at(secret, now), at=now)
    db.session.rollback()
    # the phone runs 30 s ahead: the next step's code is fine, typed with spaces too
    ahead = code_at(secret, now + later)
    assert totp.check_code(user, f"{ahead[:3]} {ahead[3:]}", at=now) == totp.time_step(now) + 1
    db.session.commit()
    with pytest.raises(DomainError):  # an older step after a newer one was used
        totp.check_code(user, code_at(secret, now), at=now + later)
    db.session.rollback()
    assert stored(user).totp_last_step == totp.time_step(now) + 1


def test_a_user_without_a_second_factor_has_no_valid_code(app, users, clock):
    with pytest.raises(DomainError):
        totp.check_second_factor(users["treasurer"], "123456")
    with pytest.raises(DomainError):
        totp.check_second_factor(users["treasurer"], "abcd-efgh")


def test_a_recovery_code_works_once(app, users, clock):
    user = users["treasurer"]
    _secret, codes = enrol(user, clock)
    typed = "  " + codes[3].upper().replace("-", " - ") + " "
    assert totp.check_second_factor(user, typed) == "recovery"
    db.session.commit()
    assert totp.unused_recovery_codes(user) == 9
    assert audit_of(user, "auth.recovery_code_used") == [{"remaining": 9}]
    with pytest.raises(DomainError, match="falsch oder abgelaufen"):
        totp.check_second_factor(user, codes[3])
    db.session.rollback()
    other_codes = enrol(users["admin"], clock)[1]
    with pytest.raises(DomainError):  # a code of someone else is no code of this user
        totp.check_second_factor(user, other_codes[0])
    db.session.rollback()
    assert totp.unused_recovery_codes(user) == 9


# Switching off, new recovery codes, admin reset ---------------------------------------------------


def test_switching_off_needs_the_password_and_a_code(app, users, clock):
    user = users["treasurer"]
    secret, codes = enrol(user, clock)
    for password, code in (
        ("falsch-falsch", code_at(secret, clock.now)),
        (PASSWORD, "000000" if code_at(secret, clock.now) != "000000" else "111111"),
        (PASSWORD, "abcd-efgh"),
    ):
        with pytest.raises(DomainError):
            totp.disable(user, password=password, code=code, actor=user)
        db.session.rollback()
        assert stored(user).totp_enabled_at is not None and len(recovery_hashes(user)) == 10

    totp.disable(user, password=PASSWORD, code=code_at(secret, clock.now), actor=user)
    db.session.commit()
    user = stored(user)
    assert (user.totp_secret, user.totp_enabled_at, user.totp_last_step) == (None, None, None)
    assert recovery_hashes(user) == []
    assert audit_of(user, "auth.totp_disabled") == [{"confirmed_with": "totp"}]


def test_a_recovery_code_switches_it_off_too(app, users, clock):
    user = users["admin"]
    _secret, codes = enrol(user, clock)
    totp.disable(user, password=PASSWORD, code=codes[0], actor=user)
    db.session.commit()
    assert stored(user).totp_enabled_at is None
    assert audit_of(user, "auth.totp_disabled") == [{"confirmed_with": "recovery"}]


def test_new_recovery_codes_replace_the_old_ones(app, users, clock):
    user = users["treasurer"]
    _secret, old = enrol(user, clock)
    with pytest.raises(DomainError) as refused:
        totp.regenerate_recovery_codes(user, password="falsch-falsch", actor=user)
    db.session.rollback()
    assert refused.value.field == "password" and len(recovery_hashes(user)) == 10

    new = totp.regenerate_recovery_codes(user, password=PASSWORD, actor=user)
    db.session.commit()
    assert len(new) == 10 and not set(new) & set(old)
    with pytest.raises(DomainError):
        totp.use_recovery_code(user, old[0])
    db.session.rollback()
    assert totp.use_recovery_code(user, new[0]) == 9
    assert audit_of(user, "auth.recovery_codes_regenerated") == [{"recovery_codes": 10}]


def test_an_admin_resets_another_users_second_factor_and_ends_their_sessions(app, users, clock):
    admin, treasurer = users["admin"], users["treasurer"]
    enrol(treasurer, clock)
    enrol(admin, clock)
    epoch = stored(treasurer).session_epoch

    with pytest.raises(DomainError, match="eigenen zweiten Faktor"):
        totp.reset(admin, actor=admin)
    db.session.rollback()
    assert stored(admin).totp_enabled_at is not None

    totp.reset(treasurer, actor=admin)
    db.session.commit()
    treasurer = stored(treasurer)
    assert treasurer.totp_secret is None and treasurer.totp_enabled_at is None
    assert treasurer.session_epoch == epoch + 1
    assert recovery_hashes(treasurer) == []
    entry = db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "auth.totp_reset")
    ).scalar_one()
    assert (entry.actor_id, entry.target_id) == (admin.id, treasurer.id)
    assert json.loads(entry.data_json) == {"sessions_ended": True}

    with pytest.raises(DomainError, match="kein zweiter Faktor"):
        totp.reset(treasurer, actor=admin)
