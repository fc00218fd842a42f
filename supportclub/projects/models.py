"""Projects that apply for funding, the board's grants, and the documents on file.

A project gets its own earmarked fund when it is recorded, so earmarked donations can reach it
before the board decides. A grant is the board's resolution (a commitment); allocations move
money from the general fund into the project's fund, payouts leave it (booking lines with
`project_id`). What was paid, what is still committed and the project's fund balance are sums
over the ledger, never stored.
"""

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from supportclub.clock import utcnow
from supportclub.dbtypes import UTCDateTime, checked_enum
from supportclub.extensions import db


class ProjectStatus(enum.StrEnum):
    """The stored lifecycle steps; "paid out" is derived from the payouts (see `stage`)."""

    APPLIED = "applied"
    APPROVED = "approved"
    REJECTED = "rejected"
    PROOF_RECEIVED = "proof_received"
    CLOSED = "closed"


class ProjectStage(enum.StrEnum):
    """What a user sees: the stored status, refined by what has been paid out."""

    APPLIED = "applied"
    APPROVED = "approved"
    PARTLY_PAID = "partly_paid"
    PAID = "paid"
    PROOF_RECEIVED = "proof_received"
    REJECTED = "rejected"
    CLOSED = "closed"


class DocumentKind(enum.StrEnum):
    """What an uploaded project document is."""

    APPLICATION = "application"
    RESOLUTION = "resolution"
    PROOF = "proof"
    OTHER = "other"


class Project(db.Model):
    """An application for funding by an organisation, through its lifecycle."""

    __tablename__ = "project"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text, default="")
    applicant_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(50), default="")
    requested_cents: Mapped[int] = mapped_column(Integer)
    applied_on: Mapped[date] = mapped_column(Date)
    status: Mapped[ProjectStatus] = mapped_column(
        checked_enum(ProjectStatus, "project_status"), default=ProjectStatus.APPLIED
    )
    fund_id: Mapped[int] = mapped_column(ForeignKey("fund.id"), unique=True)
    rejected_on: Mapped[date | None] = mapped_column(Date)
    rejection_note: Mapped[str] = mapped_column(Text, default="")
    proof_received_on: Mapped[date | None] = mapped_column(Date)
    proof_note: Mapped[str] = mapped_column(Text, default="")
    closed_on: Mapped[date | None] = mapped_column(Date)
    close_note: Mapped[str] = mapped_column(Text, default="")
    # shown on the public transparency page once approved (title, organisation, amount, year)
    is_public: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), onupdate=utcnow)

    applicant = relationship("Person")
    fund = relationship("Fund")
    grants: Mapped[list["Grant"]] = relationship(
        back_populates="project", order_by="Grant.resolution_date, Grant.id"
    )
    documents: Mapped[list["ProjectDocument"]] = relationship(
        back_populates="project", order_by="ProjectDocument.uploaded_at"
    )

    __table_args__ = (
        CheckConstraint("length(title) > 0", name="title_present"),
        CheckConstraint("requested_cents > 0", name="requested_positive"),
        CheckConstraint("status <> 'rejected' OR rejected_on IS NOT NULL", name="rejected_dated"),
        CheckConstraint("status <> 'closed' OR closed_on IS NOT NULL", name="closed_dated"),
        Index("ix_project_status", "status"),
        Index("ix_project_applied_on", "applied_on"),
    )


class Grant(db.Model):
    """A board resolution approving an amount for a project: a commitment.

    Never edited: a wrong resolution is revoked (with a reason) and a new one recorded.
    `over_free_cents` > 0 means the board approved beyond the free money, which needs a
    recorded reason.
    """

    __tablename__ = "project_grant"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    resolution_date: Mapped[date] = mapped_column(Date, index=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    over_free_cents: Mapped[int] = mapped_column(Integer, default=0)
    override_reason: Mapped[str | None] = mapped_column(Text)
    revoked_on: Mapped[date | None] = mapped_column(Date)
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    project: Mapped[Project] = relationship(back_populates="grants")

    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("over_free_cents >= 0", name="over_free_nonnegative"),
        CheckConstraint(
            "over_free_cents = 0 OR override_reason IS NOT NULL", name="override_has_reason"
        ),
        CheckConstraint(
            "revoked_on IS NULL OR revoke_reason IS NOT NULL", name="revocation_has_reason"
        ),
    )


class ProjectDocument(db.Model):
    """An uploaded file (PDF or image), stored outside static/ under a random name."""

    __tablename__ = "project_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(checked_enum(DocumentKind, "document_kind"))
    filename: Mapped[str] = mapped_column(String(200))  # sanitised original name, for display
    storage_key: Mapped[str] = mapped_column(String(80), unique=True)  # random; the file on disk
    content_type: Mapped[str] = mapped_column(String(50))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    project: Mapped[Project] = relationship(back_populates="documents")

    __table_args__ = (CheckConstraint("size_bytes > 0", name="size_positive"),)
