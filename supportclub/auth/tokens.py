"""One-time, expiring e-mail links: member invitations and password resets. They flush only.

A link carries a random token; only its SHA-256 hash is stored, so a copy of the database does
not open any account. Neither the token nor its hash is ever logged or written to the audit trail.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from flask_babel import force_locale
from sqlalchemy import select, update

from supportclub import audit
from supportclub.auth.models import User, UserToken
from supportclub.auth.services import (
    check_password_rules,
    create_user,
    find_user_by_email,
    hash_password,
)
from supportclub.clock import LOCAL_TZ, utcnow
from supportclub.errors import DomainError, ValidationError
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.mail import Mail
from supportclub.permissions import Role

INVITE = "invite"
RESET = "reset"
LIFETIMES = {INVITE: timedelta(days=7), RESET: timedelta(hours=2)}


class TokenError(DomainError):
    """A link that cannot be used; `reason` is "invalid", "expired" or "used"."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


def hash_token(raw: str) -> str:
    """The stored form of a token: its SHA-256 in hex."""
    return hashlib.sha256((raw or "").encode("utf-8")).hexdigest()


def issue_token(user: User, purpose: str, *, lifetime: timedelta | None = None) -> str:
    """A new raw token for `user`; older unused links of the same purpose stop working."""
    return _issue(user, purpose, lifetime)[0]


def _issue(user: User, purpose: str, lifetime: timedelta | None) -> tuple[str, UserToken]:
    """The raw token and its stored row."""
    if purpose not in LIFETIMES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    now = utcnow()
    db.session.execute(
        update(UserToken)
        .where(
            UserToken.user_id == user.id,
            UserToken.purpose == purpose,
            UserToken.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    raw = secrets.token_urlsafe(32)
    token = UserToken(
        user_id=user.id,
        purpose=purpose,
        token_hash=hash_token(raw),
        created_at=now,
        expires_at=now + (lifetime or LIFETIMES[purpose]),
    )
    db.session.add(token)
    db.session.flush()
    return raw, token


def _find(raw: str, purpose: str, *, lock: bool) -> UserToken:
    """The stored token for `raw`, refused when unknown, used, expired or its login is off."""
    query = select(UserToken).where(
        UserToken.token_hash == hash_token(raw), UserToken.purpose == purpose
    )
    if lock:
        # a second request with the same link waits here and then sees it used
        query = query.with_for_update().execution_options(populate_existing=True)
    token = db.session.execute(query).scalar_one_or_none()
    if token is None or not token.user.is_active:
        raise TokenError(
            _("Der Link ist ungültig. Bitte prüfen Sie, ob er vollständig kopiert wurde."),
            "invalid",
        )
    if token.used_at is not None:
        raise TokenError(
            _("Der Link wurde bereits benutzt oder durch einen neueren ersetzt."), "used"
        )
    if token.expires_at <= utcnow():
        raise TokenError(_("Der Link ist abgelaufen."), "expired")
    return token


def check_token(raw: str, purpose: str) -> User:
    """The user a still usable link belongs to, without using it up (to show the form)."""
    return _find(raw, purpose, lock=False).user


def consume_token(raw: str, purpose: str) -> User:
    """Use a link once: lock its row, refuse it when unusable, mark it used; its user."""
    token = _find(raw, purpose, lock=True)
    token.used_at = utcnow()
    db.session.flush()
    return token.user


def set_password_by_link(raw: str, purpose: str, password: str) -> User:
    """Set a new password through an invitation or reset link (the link is then used up)."""
    check_password_rules(password)
    user = consume_token(raw, purpose)
    user.password_hash = hash_password(password)
    user.session_epoch = (user.session_epoch or 0) + 1  # sessions with the old one end
    user.last_login_at = utcnow()  # the link logs the user in
    db.session.flush()
    audit.record(user, "users.password_set_by_link", user, {"purpose": purpose})
    return user


# Invitations and reset requests --------------------------------------------------------------


def invite_person(person, *, actor) -> tuple[User, str, datetime]:
    """Create (or reuse) the member login of `person` and issue an invitation link.

    A login that has already been used is not invited again (its owner resets the password).
    Returns the user, the raw token and when the link expires.
    """
    user = db.session.execute(select(User).where(User.person_id == person.id)).scalar_one_or_none()
    resent = user is not None
    if user is None:
        if not person.email:
            raise ValidationError(
                _(
                    "Für %(name)s ist keine E-Mail-Adresse eingetragen; bitte zuerst eine angeben.",
                    name=person.full_name,
                ),
                field="email",
            )
        other = find_user_by_email(person.email)
        if other is not None:
            raise ValidationError(
                _(
                    "Mit der E-Mail-Adresse %(email)s gibt es schon einen Zugang, der zu einer "
                    "anderen Person gehört. Bitte die Adresse prüfen.",
                    email=person.email,
                ),
                field="email",
            )
        # nobody knows this password: the member sets their own through the link
        user = create_user(
            email=person.email,
            password=secrets.token_urlsafe(32),
            role=Role.MEMBER,
            actor=actor,
            person_id=person.id,
        )
    elif not user.is_active:
        raise DomainError(
            _(
                "Der Zugang %(email)s ist deaktiviert; bitte zuerst in der Verwaltung aktivieren.",
                email=user.email,
            )
        )
    elif user.last_login_at is not None:
        raise DomainError(
            _(
                "%(email)s hat sich schon angemeldet; eine Einladung ist nicht mehr nötig. "
                "Ein vergessenes Passwort lässt sich über „Passwort vergessen?“ neu setzen.",
                email=user.email,
            )
        )
    raw, token = _issue(user, INVITE, None)
    audit.record(
        actor,
        "users.invited",
        user,
        {
            "email": user.email,
            "person_id": person.id,
            "resent": resent,
            "expires_at": token.expires_at,
        },
    )
    return user, raw, token.expires_at


def request_password_reset(email: str) -> tuple[User, str, datetime] | None:
    """A reset link for the active login with this address, or None (nothing is revealed)."""
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        return None
    raw, token = _issue(user, RESET, None)
    audit.record(None, "users.password_reset_requested", user, {"expires_at": token.expires_at})
    return user, raw, token.expires_at


# Mails ---------------------------------------------------------------------------------------


def _local(moment: datetime) -> str:
    """A time as the recipient reads it: "02.12.2025, 14:30 Uhr" (association time zone)."""
    local = moment.astimezone(LOCAL_TZ)
    return _("%(day)s, %(time)s Uhr", day=local.strftime("%d.%m.%Y"), time=local.strftime("%H:%M"))


def invitation_mail(user: User, *, association: str, link: str, expires_at: datetime) -> Mail:
    """The invitation: who invites, the link, until when it works."""
    with force_locale(user.locale or "de"):
        subject = _("Einladung: Ihr Mitgliederzugang bei %(name)s", name=association)
        body = _(
            "Guten Tag,\n\n"
            "%(name)s lädt Sie ein, Ihren Mitgliederzugang einzurichten. Dort sehen Sie Ihre "
            "Mitgliedschaft, Ihre Beiträge und Zahlungen und können Ihre Adresse und "
            "Bankverbindung selbst aktuell halten.\n\n"
            "Bitte legen Sie über diesen Link Ihr Passwort fest:\n%(link)s\n\n"
            "Der Link ist 7 Tage gültig (bis %(until)s) und funktioniert nur einmal.\n"
            "Ihre Anmeldeadresse ist %(email)s.\n\n"
            "Wenn Sie diese Einladung nicht erwartet haben, können Sie diese E-Mail "
            "ignorieren.\n\n"
            "Mit freundlichen Grüßen\n%(name)s",
            name=association,
            link=link,
            until=_local(expires_at),
            email=user.email,
        )
    return Mail(to=user.email, subject=subject, body=body)


def reset_mail(user: User, *, association: str, link: str, expires_at: datetime) -> Mail:
    """The password-reset mail: the link and until when it works."""
    with force_locale(user.locale or "de"):
        subject = _("Passwort zurücksetzen bei %(name)s", name=association)
        body = _(
            "Guten Tag,\n\n"
            "für Ihren Zugang %(email)s wurde ein neues Passwort angefordert. Über diesen Link "
            "legen Sie es fest:\n%(link)s\n\n"
            "Der Link ist 2 Stunden gültig (bis %(until)s) und funktioniert nur einmal.\n\n"
            "Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail; Ihr bisheriges "
            "Passwort bleibt dann gültig.\n\n"
            "Mit freundlichen Grüßen\n%(name)s",
            name=association,
            link=link,
            until=_local(expires_at),
            email=user.email,
        )
    return Mail(to=user.email, subject=subject, body=body)
