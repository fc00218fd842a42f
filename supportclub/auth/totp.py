"""The optional second factor: time-based one-time codes (TOTP, RFC 6238) and recovery codes.

The base32 secret is stored encrypted (Fernet, key derived from SECRET_KEY with HKDF-SHA256), so
a copy of the database alone does not give the codes away; it also means that a new SECRET_KEY
makes every enrolled factor unusable (an admin then resets them). A code is accepted for the
current 30-second step and one step either side, and each step only once (totp_last_step).
Recovery codes are stored as SHA-256 hashes and work once each. Like every service here, the
functions flush and never commit; they never log or record a secret.
"""

import base64
import hashlib
import hmac
import io
import re
import secrets
from datetime import datetime

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import delete, func, or_, select, update

from supportclub import audit
from supportclub.auth.models import RecoveryCode, User
from supportclub.auth.services import password_matches
from supportclub.clock import utcnow
from supportclub.errors import DomainError, PermissionDenied, ValidationError
from supportclub.extensions import db
from supportclub.i18n import N_, _
from supportclub.permissions import Role

# who may switch the second factor on (the route's role_required uses the same tuple)
TOTP_ROLES = (Role.ADMIN, Role.TREASURER)
STEP_SECONDS = 30
DIGITS = 6
WINDOW = 1  # steps accepted either side of the current one (clock drift of the phone)
ISSUER = "supportclub"
HKDF_INFO = b"supportclub-totp"
RECOVERY_CODE_COUNT = 10
# lowercase letters and digits without the ones that are easily confused (0/o, 1/l/i)
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_HALF = 4

WRONG_CODE = N_("Der Code ist falsch oder abgelaufen.")


class SecondFactorError(DomainError):
    """A code that is not accepted (wrong, expired, used before)."""


# Secrets ----------------------------------------------------------------------------------


def _fernet() -> Fernet:
    """The Fernet cipher keyed from SECRET_KEY (HKDF-SHA256, info "supportclub-totp")."""
    secret_key = current_app.config["SECRET_KEY"]
    if isinstance(secret_key, str):
        secret_key = secret_key.encode("utf-8")
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(secret_key)
    return Fernet(base64.urlsafe_b64encode(key))


def new_secret() -> str:
    """A fresh random base32 secret (160 bits)."""
    return pyotp.random_base32(length=32)


def seal(secret: str) -> str:
    """The secret encrypted for storage (in the database or the session)."""
    return _fernet().encrypt(secret.encode("ascii")).decode("ascii")


def unseal(sealed: str) -> str:
    """The plain secret; a DomainError when it cannot be decrypted (SECRET_KEY changed)."""
    try:
        return _fernet().decrypt(sealed.encode("ascii")).decode("ascii")
    except (InvalidToken, ValueError, UnicodeError) as exc:
        raise SecondFactorError(
            _(
                "Der zweite Faktor kann nicht geprüft werden, weil sich der Schlüssel des "
                "Servers geändert hat. Bitte lassen Sie ihn von der Verwaltung zurücksetzen."
            )
        ) from exc


def grouped(secret: str) -> str:
    """The secret in groups of four for typing it into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(secret: str, email: str, issuer: str = ISSUER) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def qr_data_uri(uri: str) -> str:
    """The QR code of `uri` as an SVG data: address (for <img src>; the CSP allows data:)."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=5, border=2, xmldecl=False)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def is_enabled(user: User) -> bool:
    """True when the user has confirmed a second factor."""
    return bool(user.totp_enabled_at and user.totp_secret)


# Codes ------------------------------------------------------------------------------------


def time_step(at: datetime) -> int:
    """The 30-second step `at` falls in (RFC 6238's T)."""
    return int(at.timestamp()) // STEP_SECONDS


def _matching_step(secret: str, code: str, at: datetime, after: int | None) -> int | None:
    """The step within the window whose code is `code` and that was not used yet."""
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = time_step(at)
    for step in range(current - WINDOW, current + WINDOW + 1):
        if after is not None and step <= after:
            continue  # used before (or older than a used one): no replay
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def _digits(code: str) -> str | None:
    """A six-digit code as typed ("123 456" too), or None."""
    cleaned = re.sub(r"\s+", "", code or "")
    return cleaned if re.fullmatch(rf"\d{{{DIGITS}}}", cleaned) else None


def check_code(user: User, code: str, *, at: datetime | None = None) -> int:
    """Accept a current code of the user's app once: store its step and return it."""
    at = at or utcnow()
    digits = _digits(code)
    if digits is None or not is_enabled(user):
        raise SecondFactorError(_(WRONG_CODE), field="code")
    step = _matching_step(unseal(user.totp_secret), digits, at, user.totp_last_step)
    if step is None:
        raise SecondFactorError(_(WRONG_CODE), field="code")
    # one conditional UPDATE: of two requests with the same code, only one gets the row
    taken = db.session.execute(
        update(User)
        .where(
            User.id == user.id,
            or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    if taken != 1:
        raise SecondFactorError(_(WRONG_CODE), field="code")
    return step


# Recovery codes ---------------------------------------------------------------------------


def normalise_recovery_code(code: str) -> str:
    """A recovery code as compared: lower case, without spaces and hyphens."""
    return re.sub(r"[\s\-]+", "", code or "").lower()


def hash_recovery_code(code: str) -> str:
    """The stored form of a recovery code: SHA-256 (hex) of the normalised code."""
    return hashlib.sha256(normalise_recovery_code(code).encode("utf-8")).hexdigest()


def _new_recovery_code() -> str:
    """One random code "xxxx-xxxx" (about 40 bits)."""
    chars = [secrets.choice(RECOVERY_ALPHABET) for _ in range(2 * RECOVERY_HALF)]
    return "".join(chars[:RECOVERY_HALF]) + "-" + "".join(chars[RECOVERY_HALF:])


def _replace_recovery_codes(user: User) -> list[str]:
    """Delete the user's recovery codes and store ten new ones (hashed); the plain codes."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes: list[str] = []
    while len(codes) < RECOVERY_CODE_COUNT:
        code = _new_recovery_code()
        if code not in codes:
            codes.append(code)
    db.session.add_all(
        RecoveryCode(user_id=user.id, code_hash=hash_recovery_code(c)) for c in codes
    )
    db.session.flush()
    return codes


def unused_recovery_codes(user: User) -> int:
    """How many recovery codes the user has left."""
    return db.session.execute(
        select(func.count(RecoveryCode.id)).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    ).scalar_one()


def use_recovery_code(user: User, code: str, *, at: datetime | None = None) -> int:
    """Use one recovery code of the user up; the number still unused."""
    normalised = normalise_recovery_code(code)
    if len(normalised) != 2 * RECOVERY_HALF or not is_enabled(user):
        raise SecondFactorError(_(WRONG_CODE), field="code")
    # one conditional UPDATE: a code can only be used up once, even by two requests at once
    used = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == hash_recovery_code(normalised),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=at or utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if used != 1:
        raise SecondFactorError(_(WRONG_CODE), field="code")
    remaining = unused_recovery_codes(user)
    audit.record(user, "auth.recovery_code_used", user, {"remaining": remaining})
    return remaining


def check_second_factor(user: User, code: str, *, at: datetime | None = None) -> str:
    """Accept a code of the app or a recovery code; "totp" or "recovery" for which it was."""
    if _digits(code) is not None:
        check_code(user, code, at=at)
        return "totp"
    use_recovery_code(user, code, at=at)
    return "recovery"


# Enrolment and switching off -------------------------------------------------------------


def _check_password(user: User, password: str) -> None:
    """Refuse a wrong current password (field "password")."""
    if not password_matches(user, password):
        raise ValidationError(_("Das Passwort stimmt nicht."), field="password")


def enable(
    user: User, *, sealed_secret: str, code: str, password: str, actor, at: datetime | None = None
) -> list[str]:
    """Switch the second factor on after the password and a code of the new secret; the ten
    recovery codes in plain text (to be shown once)."""
    if is_enabled(user):
        raise DomainError(_("Der zweite Faktor ist schon eingerichtet."))
    _check_password(user, password)
    secret = unseal(sealed_secret)
    digits = _digits(code)
    at = at or utcnow()
    step = _matching_step(secret, digits, at, None) if digits else None
    if step is None:
        raise SecondFactorError(
            _(
                "Der Code ist falsch oder abgelaufen. Bitte prüfen Sie, ob die Uhr Ihres "
                "Geräts richtig geht, und geben Sie den aktuellen Code ein."
            ),
            field="code",
        )
    user.totp_secret = seal(secret)
    user.totp_enabled_at = at
    user.totp_last_step = step  # the code just typed does not log in a second time
    codes = _replace_recovery_codes(user)
    audit.record(actor, "auth.totp_enabled", user, {"recovery_codes": len(codes)})
    return codes


def _switch_off(user: User) -> None:
    """Forget the secret and the recovery codes."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.flush()


def disable(user: User, *, password: str, code: str, actor, at: datetime | None = None) -> None:
    """Switch one's own second factor off, with the password and a code (or recovery code)."""
    if not is_enabled(user):
        raise DomainError(_("Der zweite Faktor ist nicht eingerichtet."))
    _check_password(user, password)
    method = check_second_factor(user, code, at=at)
    _switch_off(user)
    audit.record(actor, "auth.totp_disabled", user, {"confirmed_with": method})


def regenerate_recovery_codes(user: User, *, password: str, actor) -> list[str]:
    """Replace the user's recovery codes with ten new ones (the old ones stop working)."""
    if not is_enabled(user):
        raise DomainError(_("Der zweite Faktor ist nicht eingerichtet."))
    _check_password(user, password)
    codes = _replace_recovery_codes(user)
    audit.record(actor, "auth.recovery_codes_regenerated", user, {"recovery_codes": len(codes)})
    return codes


def reset(user: User, *, actor) -> None:
    """An admin switches another user's second factor off; that user's sessions end."""
    if actor is not None and getattr(actor, "id", None) == user.id:
        raise PermissionDenied(
            _(
                "Den eigenen zweiten Faktor schalten Sie unter „Passwort“ → „Zweiter Faktor“ "
                "aus, mit Passwort und Code."
            )
        )
    if not is_enabled(user):
        raise DomainError(_("Für diesen Zugang ist kein zweiter Faktor eingerichtet."))
    _switch_off(user)
    user.session_epoch = (user.session_epoch or 0) + 1
    db.session.flush()
    audit.record(actor, "auth.totp_reset", user, {"sessions_ended": True})
