"""Campaigns (Aktionen): the hiking day, the greeting cards, any other action in a year.

A campaign owns nothing but its name: its revenue and costs are the booking lines that point at
it (`booking_line.campaign_id`), so its result is always a sum over the ledger.
"""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from supportclub.clock import utcnow
from supportclub.dbtypes import UTCDateTime
from supportclub.extensions import db


class Campaign(db.Model):
    """A fundraising action in a year; `series` ties the same action over the years."""

    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)  # "Familienwandertag 2025"
    series: Mapped[str] = mapped_column(String(100))  # "Familienwandertag"
    year: Mapped[int] = mapped_column(Integer)
    event_date: Mapped[date | None] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    __table_args__ = (
        CheckConstraint("length(name) > 0 AND length(series) > 0", name="named"),
        CheckConstraint("year BETWEEN 1990 AND 2200", name="year_valid"),
        Index("ix_campaign_series_year", "series", "year"),
        Index("ix_campaign_year", "year"),
    )
