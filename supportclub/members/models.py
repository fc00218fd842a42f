"""Memberships, membership types and their fee rates over time."""

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from supportclub.clock import utcnow
from supportclub.dbtypes import UTCDateTime
from supportclub.extensions import db


class MembershipType(db.Model):
    """A kind of membership ("Regulär", "Ermäßigt", "Familie", "Firma") with its fee rates."""

    __tablename__ = "membership_type"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(default=True)

    rates: Mapped[list["FeeRate"]] = relationship(
        back_populates="membership_type", order_by="FeeRate.valid_from"
    )


class FeeRate(db.Model):
    """The yearly fee of a membership type from `valid_from` (until `valid_until`, if set)."""

    __tablename__ = "fee_rate"

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_type_id: Mapped[int] = mapped_column(ForeignKey("membership_type.id"))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    amount_cents: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    membership_type: Mapped[MembershipType] = relationship(back_populates="rates")

    __table_args__ = (
        UniqueConstraint("membership_type_id", "valid_from", name="uq_fee_rate_type_from"),
        CheckConstraint("amount_cents >= 0", name="amount_nonnegative"),
        CheckConstraint("valid_until IS NULL OR valid_until >= valid_from", name="range_valid"),
    )


class Membership(db.Model):
    """One person's membership of one type, from start to (optional) end date."""

    __tablename__ = "membership"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    membership_type_id: Mapped[int] = mapped_column(ForeignKey("membership_type.id"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    leave_reason: Mapped[str] = mapped_column(String(200), default="")
    # someone else pays (a parent, a company); None: the member pays
    payer_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    # SEPA mandate (all three set, or none)
    mandate_reference: Mapped[str | None] = mapped_column(String(35), unique=True)
    mandate_date: Mapped[date | None] = mapped_column(Date)
    mandate_iban: Mapped[str | None] = mapped_column(String(34))
    # RCUR: recurring dues (the usual mandate); OOFF: a one-off mandate, collected only once
    mandate_type: Mapped[str] = mapped_column(String(4), default="RCUR")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    person = relationship("Person", foreign_keys=[person_id], back_populates="memberships")
    payer = relationship("Person", foreign_keys=[payer_id])
    membership_type: Mapped[MembershipType] = relationship()

    __table_args__ = (
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="end_after_start"),
        CheckConstraint(
            "(mandate_reference IS NULL AND mandate_date IS NULL AND mandate_iban IS NULL)"
            " OR (mandate_reference IS NOT NULL AND mandate_date IS NOT NULL"
            " AND mandate_iban IS NOT NULL)",
            name="mandate_complete",
        ),
        CheckConstraint("mandate_type IN ('RCUR', 'OOFF')", name="mandate_type_valid"),
        Index("ix_membership_dates", "start_date", "end_date"),
    )

    @property
    def has_mandate(self) -> bool:
        """True when a SEPA mandate is on file."""
        return self.mandate_reference is not None

    def is_active_on(self, day: date) -> bool:
        """True when the membership runs on `day`."""
        return self.start_date <= day and (self.end_date is None or self.end_date >= day)

    @property
    def paying_person(self):
        """Who pays the dues: the alternate payer, or the member."""
        return self.payer or self.person
