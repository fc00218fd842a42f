"""Logins: one user, one role, optionally the person it belongs to."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from supportclub.clock import utcnow
from supportclub.dbtypes import UTCDateTime, checked_enum
from supportclub.extensions import db
from supportclub.permissions import Role


class User(UserMixin, db.Model):
    """A login (e-mail and argon2 password hash) with one role."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    # stored lower-cased by the services, so a plain unique constraint suffices
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(checked_enum(Role, "user_role"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True, unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # part of every session's identity: raising it ends all sessions and remembered logins
    # ("überall abmelden", a new password)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    # the optional second factor (TOTP, RFC 6238): the secret, encrypted with a key derived
    # from SECRET_KEY; set when enrolment is confirmed; the last time step used (no replay)
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    person = relationship("Person")

    def get_id(self) -> str:
        """Flask-Login identity: "<id>:<session epoch>"."""
        return f"{self.id}:{self.session_epoch or 0}"


class UserToken(db.Model):
    """A one-time, expiring link (invitation or password reset); only its hash is stored."""

    __tablename__ = "user_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # "invite" or "reset"
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user = relationship("User")


class RecoveryCode(db.Model):
    """A one-time recovery code for the second factor; only its hash is stored."""

    __tablename__ = "user_recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
