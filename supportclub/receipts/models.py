"""Issued donation receipts, the contributions they cover, and the year's batches.

A receipt is never changed once issued: the database refuses updates of its content and any
delete (triggers, migration 0005). The only changes allowed are the ones the law asks for:
the stored PDF is attached once (key, SHA-256, size: from empty to a value), a receipt is
revoked once (who, when, why), and its delivery is recorded. A contribution (booking line) is on
at most one receipt that is not revoked: a partial unique index on the items that are not
revoked guards it, also against two batches running at once.
"""

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from supportclub.clock import utcnow
from supportclub.dbtypes import UTCDateTime, checked_enum
from supportclub.extensions import db
from supportclub.receipts.content import ContributionKind, ReceiptKind


class Delivery(enum.StrEnum):
    """How a receipt reached its donor."""

    EMAIL = "email"
    PRINT = "print"


class DonationReceipt(db.Model):
    """One issued receipt (Zuwendungsbestätigung) with its stored PDF."""

    __tablename__ = "donation_receipt"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # "2025-0001"
    kind: Mapped[ReceiptKind] = mapped_column(checked_enum(ReceiptKind, "receipt_kind"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    # the donor as printed (snapshot at issue time)
    donor_name: Mapped[str] = mapped_column(String(300))
    donor_address: Mapped[str] = mapped_column(Text)  # lines joined by "\n"
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    total_cents: Mapped[int] = mapped_column(Integer)
    waiver: Mapped[bool] = mapped_column(Boolean, default=False)  # any waived reimbursement
    facsimile: Mapped[bool] = mapped_column(Boolean, default=False)
    issued_on: Mapped[date] = mapped_column(Date)
    # everything printed, as JSON (receipts.content.ReceiptContent): renders the PDF
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("receipt_batch.id"), index=True)
    # the revoked receipt this one replaces
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("donation_receipt.id"), unique=True)
    # the stored PDF: set once, after rendering (a receipt without it is still being made)
    storage_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    pdf_size: Mapped[int | None] = mapped_column(Integer)
    # revocation: once, with a reason; the PDF is kept
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    # delivery: e-mail (with the address) or the print run
    delivery: Mapped[Delivery | None] = mapped_column(
        checked_enum(Delivery, "receipt_delivery"), nullable=True
    )
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_to: Mapped[str | None] = mapped_column(String(254))

    person = relationship("Person")
    created_by = relationship("User", foreign_keys=[created_by_id])
    revoked_by = relationship("User", foreign_keys=[revoked_by_id])
    items: Mapped[list["ReceiptItem"]] = relationship(
        back_populates="receipt", order_by="(ReceiptItem.contribution_date, ReceiptItem.id)"
    )
    replaces: Mapped["DonationReceipt | None"] = relationship(
        remote_side=[id], foreign_keys=[replaces_id], back_populates="replaced_by"
    )
    replaced_by: Mapped["DonationReceipt | None"] = relationship(
        foreign_keys=[replaces_id], back_populates="replaces", uselist=False
    )

    __table_args__ = (
        UniqueConstraint("year", "seq", name="uq_donation_receipt_year_seq"),
        CheckConstraint("seq > 0", name="seq_positive"),
        CheckConstraint("total_cents > 0", name="total_positive"),
        CheckConstraint("period_start <= period_end", name="period_ordered"),
        CheckConstraint(
            "(revoked_at IS NULL AND revoke_reason IS NULL) "
            "OR (revoked_at IS NOT NULL AND revoke_reason IS NOT NULL "
            "AND length(revoke_reason) > 0)",
            name="revocation_complete",
        ),
        CheckConstraint(
            "(storage_key IS NULL AND pdf_sha256 IS NULL AND pdf_size IS NULL) "
            "OR (storage_key IS NOT NULL AND pdf_sha256 IS NOT NULL AND pdf_size > 0)",
            name="pdf_complete",
        ),
        CheckConstraint("kind <> 'in_kind' OR facsimile = false", name="in_kind_signed_by_hand"),
        CheckConstraint("waiver = false OR facsimile = false", name="waiver_signed_by_hand"),
        Index("ix_donation_receipt_year_person", "year", "person_id"),
    )

    @property
    def is_revoked(self) -> bool:
        """True once revoked."""
        return self.revoked_at is not None

    @property
    def has_pdf(self) -> bool:
        """True once the PDF is stored."""
        return self.storage_key is not None

    @property
    def address_lines(self) -> list[str]:
        """The donor's address as printed."""
        return [line for line in self.donor_address.split("\n") if line]


class ReceiptItem(db.Model):
    """A contribution (booking line) on a receipt; its amount and facts as printed."""

    __tablename__ = "receipt_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("donation_receipt.id"), index=True)
    booking_line_id: Mapped[int] = mapped_column(ForeignKey("booking_line.id"), index=True)
    contribution_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[ContributionKind] = mapped_column(
        checked_enum(ContributionKind, "contribution_kind")
    )
    waiver: Mapped[bool] = mapped_column(Boolean, default=False)
    amount_cents: Mapped[int] = mapped_column(Integer)
    # copied from the receipt when it is revoked: frees the line for a new receipt
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    receipt: Mapped[DonationReceipt] = relationship(back_populates="items")
    booking_line = relationship("BookingLine")

    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        # a booking line is on at most one receipt that is not revoked
        Index(
            "uq_receipt_item_active_line",
            "booking_line_id",
            unique=True,
            postgresql_where=text("NOT revoked"),
            sqlite_where=text("NOT revoked"),
        ),
    )


class BatchStatus(enum.StrEnum):
    """Where a year's batch stands."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ReceiptBatch(db.Model):
    """A run of "Zuwendungsbestätigungen <year> erstellen": progress and summary."""

    __tablename__ = "receipt_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    status: Mapped[BatchStatus] = mapped_column(checked_enum(BatchStatus, "receipt_batch_status"))
    min_cents: Mapped[int] = mapped_column(Integer, default=0)
    send_mail: Mapped[bool] = mapped_column(Boolean, default=True)
    total: Mapped[int] = mapped_column(Integer, default=0)  # donors planned
    done: Mapped[int] = mapped_column(Integer, default=0)  # donors handled so far
    issued: Mapped[int] = mapped_column(Integer, default=0)
    emailed: Mapped[int] = mapped_column(Integer, default=0)
    to_print: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    # the skipped donors and why, and any error, as JSON / text for the summary page
    summary: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")
    # the merged PDF of the receipts to print (window envelopes)
    print_storage_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    created_by = relationship("User", foreign_keys=[created_by_id])

    __table_args__ = (
        CheckConstraint("done <= total", name="done_within_total"),
        CheckConstraint("min_cents >= 0", name="min_nonnegative"),
    )
