"""Dues claims (one per membership and year), dues runs, write-offs and reminders."""

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from supportclub.clock import utcnow
from supportclub.dbtypes import UTCDateTime, checked_enum
from supportclub.extensions import db


class ClaimStatus(enum.StrEnum):
    """Derived from the booking lines and write-offs of a claim; never stored."""

    OPEN = "open"
    PARTLY_PAID = "partly_paid"
    PAID = "paid"
    WAIVED = "waived"


class DuesRun(db.Model):
    """One executed dues run ("Beitragslauf 2026") and what it created."""

    __tablename__ = "dues_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    claims_created: Mapped[int] = mapped_column(Integer)
    total_cents: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    created_by = relationship("User")


class DuesClaim(db.Model):
    """What one membership owes for one year; its amount is fixed when it is created."""

    __tablename__ = "dues_claim"

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id"))
    year: Mapped[int] = mapped_column(Integer)
    amount_cents: Mapped[int] = mapped_column(Integer)
    # months charged: 12 for the full year, fewer for a pro-rata first year
    months: Mapped[int] = mapped_column(Integer, default=12)
    due_date: Mapped[date] = mapped_column(Date)
    fee_rate_id: Mapped[int | None] = mapped_column(ForeignKey("fee_rate.id"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("dues_run.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    membership = relationship("Membership")
    waiver: Mapped["ClaimWaiver | None"] = relationship(back_populates="claim", uselist=False)

    __table_args__ = (
        UniqueConstraint("membership_id", "year", name="uq_dues_claim_membership_year"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("months BETWEEN 1 AND 12", name="months_valid"),
        # the open-dues list and the yearly overview read claims by year
        db.Index("ix_dues_claim_year_membership", "year", "membership_id"),
    )


class ClaimWaiver(db.Model):
    """The write-off of what was still open on a claim, with the reason (at most one per claim)."""

    __tablename__ = "claim_waiver"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("dues_claim.id"), unique=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    claim: Mapped[DuesClaim] = relationship(back_populates="waiver")
    created_by = relationship("User")

    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("length(reason) > 0", name="reason_present"),
    )


class ReminderLevel(enum.IntEnum):
    """First a friendly payment reminder, then a formal dunning letter."""

    REMINDER = 1  # Zahlungserinnerung
    DUNNING = 2  # Mahnung


class ReminderChannel(enum.StrEnum):
    """How a reminder reached the member."""

    EMAIL = "email"
    LETTER = "letter"


class Reminder(db.Model):
    """A reminder sent (or printed) for a member's open claims, with the exact text used."""

    __tablename__ = "reminder"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)  # recipient
    member_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    level: Mapped[int] = mapped_column(Integer)
    channel: Mapped[ReminderChannel] = mapped_column(
        checked_enum(ReminderChannel, "reminder_channel")
    )
    email: Mapped[str | None] = mapped_column(String(254))
    open_cents: Mapped[int] = mapped_column(Integer)
    claim_ids: Mapped[list] = mapped_column(JSON)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    person = relationship("Person", foreign_keys=[person_id])
    member = relationship("Person", foreign_keys=[member_id])
    created_by = relationship("User")

    __table_args__ = (
        CheckConstraint("level IN (1, 2)", name="level_valid"),
        CheckConstraint("open_cents > 0", name="open_positive"),
    )
