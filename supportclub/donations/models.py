"""What a booking line alone cannot say about a donation: in kind, or a waived reimbursement.

A money donation is a booking line of the category "donation" and needs nothing more. A donation
in kind (Sachspende) and a waived reimbursement (Aufwandsspende) are non-cash bookings (no
account, lines summing to zero: the donation's value as income, the same value as the expense it
replaces); their detail row keeps what the receipt must state. Like booking lines, detail rows
are never changed: a wrong donation is reversed and recorded anew.
"""

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from supportclub.clock import utcnow
from supportclub.dbtypes import UTCDateTime, checked_enum
from supportclub.extensions import db


class DonationKind(enum.StrEnum):
    """Money, in kind (Sachzuwendung) or a waived reimbursement (Verzicht auf Aufwendungsersatz)."""

    MONEY = "money"
    IN_KIND = "in_kind"
    WAIVER = "waiver"


class InKindOrigin(enum.StrEnum):
    """Where a donation in kind comes from, as the donor states it (Anlage 4)."""

    BUSINESS = "business"  # Betriebsvermögen
    PRIVATE = "private"  # Privatvermögen
    UNKNOWN = "unknown"  # no statement despite being asked


class DonationDetail(db.Model):
    """The receipt-relevant facts of a donation in kind or a waived reimbursement."""

    __tablename__ = "donation_detail"

    id: Mapped[int] = mapped_column(primary_key=True)
    # the donation line (category "donation") these facts describe
    booking_line_id: Mapped[int] = mapped_column(ForeignKey("booking_line.id"), unique=True)
    kind: Mapped[DonationKind] = mapped_column(checked_enum(DonationKind, "donation_kind"))
    # in kind: exact description with age, condition, purchase price; waiver: the claim waived
    description: Mapped[str] = mapped_column(Text)
    # in kind only
    origin: Mapped[InKindOrigin | None] = mapped_column(
        checked_enum(InKindOrigin, "in_kind_origin"), nullable=True
    )
    value_basis: Mapped[str] = mapped_column(Text, default="")  # what the value is based on
    documents_present: Mapped[bool] = mapped_column(Boolean, default=False)
    # waiver only: when the reimbursement claim arose and what granted it (statute, contract,
    # board resolution) before the expense was incurred
    claim_date: Mapped[date | None] = mapped_column(Date)
    claim_basis: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    booking_line = relationship("BookingLine", back_populates="donation_detail")

    __table_args__ = (
        CheckConstraint("kind <> 'money'", name="not_money"),
        CheckConstraint("length(description) > 0", name="description_present"),
        CheckConstraint(
            "kind <> 'in_kind' OR (origin IS NOT NULL AND length(value_basis) > 0)",
            name="in_kind_complete",
        ),
        CheckConstraint(
            "kind <> 'waiver' OR (claim_date IS NOT NULL AND length(claim_basis) > 0)",
            name="waiver_complete",
        ),
    )
