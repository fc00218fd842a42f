"""Users: create, authenticate, change password and role. They flush, never commit."""

import contextlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app, has_app_context
from sqlalchemy import func, select

from supportclub import audit
from supportclub.auth.models import Role, User
from supportclub.clock import utcnow
from supportclub.errors import DomainError, ValidationError
from supportclub.extensions import db
from supportclub.i18n import _

MIN_PASSWORD_LENGTH = 10


def _hasher() -> PasswordHasher:
    """argon2id; the test config uses minimal cost to keep the suite fast."""
    if has_app_context() and current_app.config.get("PASSWORD_HASH_FAST"):
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    return _hasher().hash(password)


def check_password_rules(password: str) -> None:
    """Refuse passwords that are too short."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            _(
                "Das Passwort muss mindestens %(length)s Zeichen lang sein.",
                length=MIN_PASSWORD_LENGTH,
            ),
            field="password",
        )


def normalise_email(email: str) -> str:
    """A checked, lower-cased e-mail address, or a ValidationError."""
    try:
        return validate_email((email or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationError(
            _("Bitte eine gültige E-Mail-Adresse angeben."), field="email"
        ) from exc


def find_user_by_email(email: str) -> User | None:
    """The user with this e-mail address (case-insensitive)."""
    return db.session.execute(
        select(User).where(func.lower(User.email) == (email or "").strip().lower())
    ).scalar_one_or_none()


def create_user(
    *, email: str, password: str, role: Role | str, actor, person_id: int | None = None
) -> User:
    """Create a login with one role."""
    email = normalise_email(email)
    check_password_rules(password)
    try:
        role = Role(role)
    except ValueError as exc:
        raise ValidationError(_("Unbekannte Rolle."), field="role") from exc
    if find_user_by_email(email) is not None:
        raise ValidationError(_("Diese E-Mail-Adresse hat schon einen Zugang."), field="email")
    user = User(email=email, password_hash=hash_password(password), role=role, person_id=person_id)
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "users.created", user, {"email": email, "role": role})
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None (same answer for every failure)."""
    user = find_user_by_email(email)
    hasher = _hasher()
    if user is None or not user.is_active:
        # Spend the same time as a real check so a wrong e-mail is not distinguishable.
        with contextlib.suppress(VerificationError):
            hasher.verify(hasher.hash("timing-equaliser"), password or "x")
        return None
    try:
        hasher.verify(user.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    user.last_login_at = utcnow()
    db.session.flush()
    return user


def password_matches(user: User, password: str) -> bool:
    """True when `password` is the user's current password (a re-check before a sensitive step)."""
    try:
        return _hasher().verify(user.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False


def change_password(user: User, *, current: str, new: str, actor) -> None:
    """Change a user's own password after checking the current one."""
    if not password_matches(user, current):
        raise ValidationError(_("Das aktuelle Passwort stimmt nicht."), field="current")
    check_password_rules(new)
    user.password_hash = hash_password(new)
    user.session_epoch = (user.session_epoch or 0) + 1  # other sessions end with the old password
    db.session.flush()
    audit.record(actor, "users.password_changed", user)


def update_user(
    user: User, *, role: Role | str, is_active: bool, person_id: int | None, actor
) -> User:
    """Change a user's role, active flag or linked person (admins only)."""
    role = Role(role)
    before = {"role": user.role, "is_active": user.is_active, "person_id": user.person_id}
    if user.role == Role.ADMIN and (role != Role.ADMIN or not is_active):
        other_admins = db.session.execute(
            select(func.count(User.id)).where(
                User.role == Role.ADMIN, User.is_active.is_(True), User.id != user.id
            )
        ).scalar_one()
        if other_admins == 0:
            raise DomainError(_("Der letzte aktive Administrator kann nicht entfernt werden."))
    user.role = role
    user.is_active = is_active
    user.person_id = person_id
    db.session.flush()
    after = {"role": user.role, "is_active": user.is_active, "person_id": user.person_id}
    audit.record(actor, "users.updated", user, {"before": before, "after": after})
    return user


def set_password(user: User, *, new: str, actor) -> None:
    """Set a new password for a user (admin reset)."""
    check_password_rules(new)
    user.password_hash = hash_password(new)
    user.session_epoch = (user.session_epoch or 0) + 1
    db.session.flush()
    audit.record(actor, "users.password_reset", user)


def end_all_sessions(user: User, *, actor) -> None:
    """Log the user out everywhere: every session and remembered login of theirs ends."""
    user.session_epoch = (user.session_epoch or 0) + 1
    db.session.flush()
    audit.record(actor, "users.sessions_ended", user)
