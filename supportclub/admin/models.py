"""The association's own data, kept in a single row."""

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from supportclub.clock import utcnow
from supportclub.dbtypes import UTCDateTime, checked_enum
from supportclub.extensions import db


class ExemptionKind(enum.StrEnum):
    """The notice the tax privilege rests on."""

    FREISTELLUNGSBESCHEID = "freistellungsbescheid"
    FESTSTELLUNG_60A = "feststellung_60a"


class AssociationSettings(db.Model):
    """Name, address, tax data and the grants total before the software (one row, id 1)."""

    __tablename__ = "association_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    street: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    register_court: Mapped[str] = mapped_column(String(100), default="")
    register_number: Mapped[str] = mapped_column(String(50), default="")
    tax_office: Mapped[str] = mapped_column(String(100), default="")
    tax_number: Mapped[str] = mapped_column(String(50), default="")
    exemption_kind: Mapped[ExemptionKind] = mapped_column(
        checked_enum(ExemptionKind, "exemption_kind"), default=ExemptionKind.FREISTELLUNGSBESCHEID
    )
    exemption_date: Mapped[date | None] = mapped_column(Date)
    exemption_period: Mapped[str] = mapped_column(String(50), default="")
    purposes: Mapped[str] = mapped_column(Text, default="")
    founding_year: Mapped[int | None] = mapped_column(Integer)
    grants_before_cents: Mapped[int] = mapped_column(Integer, default=0)
    grants_before_until_year: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("grants_before_cents >= 0", name="grants_before_nonnegative"),
    )
