"""Online payments (one Stripe Checkout Session each), their claims, what needs attention,
the webhook events received and Stripe's payouts to the bank.

A payment's status mirrors what Stripe last said (it is re-fetched on every event); the money
itself is only ever in the ledger: a payment points at its live booking, and a refund or a lost
dispute reverses that booking and books what remains.
"""

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
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


class Purpose(enum.StrEnum):
    """What the payment is for."""

    DUES = "dues"
    DONATION = "donation"


class PaymentStatus(enum.StrEnum):
    """Where the payment stands, as Stripe last reported it."""

    CREATED = "created"  # Checkout opened, nothing paid yet
    PENDING = "pending"  # paid, but Stripe has not confirmed the money (SEPA debit in progress)
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # the debit or card payment failed
    EXPIRED = "expired"  # the Checkout session ran out unpaid
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


# The status machine: from each status, where the payment may go next. A status never moves
# back (a late, stale view of Stripe cannot undo a confirmation).
TRANSITIONS: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    PaymentStatus.CREATED: frozenset(
        {
            PaymentStatus.PENDING,
            PaymentStatus.SUCCEEDED,
            PaymentStatus.FAILED,
            PaymentStatus.EXPIRED,
            PaymentStatus.PARTIALLY_REFUNDED,
            PaymentStatus.REFUNDED,
        }
    ),
    PaymentStatus.PENDING: frozenset(
        {
            PaymentStatus.SUCCEEDED,
            PaymentStatus.FAILED,
            PaymentStatus.PARTIALLY_REFUNDED,
            PaymentStatus.REFUNDED,
        }
    ),
    PaymentStatus.SUCCEEDED: frozenset({PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}),
    PaymentStatus.PARTIALLY_REFUNDED: frozenset(
        {PaymentStatus.REFUNDED, PaymentStatus.SUCCEEDED}  # a failed refund gives money back
    ),
    # a refund that fails gives the money back
    PaymentStatus.REFUNDED: frozenset({PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.SUCCEEDED}),
    PaymentStatus.FAILED: frozenset(),
    PaymentStatus.EXPIRED: frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.PENDING}),
}


class AttentionKind(enum.StrEnum):
    """Why the treasurer should look at a payment."""

    PAYER_UNCLEAR = "payer_unclear"  # the donor may be a known person: confirm who it is
    AMOUNT_MISMATCH = "amount_mismatch"  # Stripe's amount differs from the open claims
    PAYMENT_FAILED = "payment_failed"  # a SEPA debit or card payment failed
    DISPUTED = "disputed"  # the payer disputed the payment with the bank
    CURRENCY = "currency"  # paid in a currency other than euros: not booked


class OnlinePayment(db.Model):
    """One Stripe Checkout Session for dues claims or a donation, and what became of it."""

    __tablename__ = "online_payment"

    id: Mapped[int] = mapped_column(primary_key=True)
    # random, unguessable: the return page of a donor without a login is found by it
    token: Mapped[str] = mapped_column(String(43), unique=True)
    purpose: Mapped[Purpose] = mapped_column(checked_enum(Purpose, "online_payment_purpose"))
    status: Mapped[PaymentStatus] = mapped_column(
        checked_enum(PaymentStatus, "online_payment_status"), default=PaymentStatus.CREATED
    )
    amount_cents: Mapped[int] = mapped_column(Integer)  # what the Checkout session asked for
    currency: Mapped[str] = mapped_column(String(3), default="eur")
    checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    checkout_url: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    charge_id: Mapped[str | None] = mapped_column(String(255), index=True)
    method: Mapped[str] = mapped_column(String(50), default="")  # card, sepa_debit, ...
    # what Stripe last said, in cents (the books follow these; they are not the books)
    paid_cents: Mapped[int] = mapped_column(Integer, default=0)
    fee_cents: Mapped[int] = mapped_column(Integer, default=0)
    refunded_cents: Mapped[int] = mapped_column(Integer, default=0)
    disputed_cents: Mapped[int] = mapped_column(Integer, default=0)
    dispute_status: Mapped[str] = mapped_column(String(30), default="")
    failure_message: Mapped[str] = mapped_column(String(500), default="")
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # who pays: the member's person (dues, or a logged-in donor) or the person matched or
    # created for a donor; None while unclear, or for an anonymous donation
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # donation: the fund (general or a project's) and what the donor entered
    fund_id: Mapped[int | None] = mapped_column(ForeignKey("fund.id"))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    wants_receipt: Mapped[bool] = mapped_column(Boolean, default=False)
    donor: Mapped[dict] = mapped_column(JSON, default=dict)
    email: Mapped[str | None] = mapped_column(String(254))
    # the ledger: the first booking (its lines are the allocation) and the live one
    first_booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id"))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id"))
    revision: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), onupdate=utcnow)

    person = relationship("Person")
    user = relationship("User")
    fund = relationship("Fund")
    booking = relationship("Booking", foreign_keys=[booking_id])
    first_booking = relationship("Booking", foreign_keys=[first_booking_id])
    claims: Mapped[list["OnlinePaymentClaim"]] = relationship(
        back_populates="payment", order_by="OnlinePaymentClaim.id"
    )
    attention: Mapped[list["PaymentAttention"]] = relationship(
        back_populates="payment", order_by="PaymentAttention.id"
    )

    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint(
            "paid_cents >= 0 AND fee_cents >= 0 AND refunded_cents >= 0 AND disputed_cents >= 0",
            name="figures_not_negative",
        ),
        CheckConstraint("purpose <> 'dues' OR person_id IS NOT NULL", name="dues_have_payer"),
        db.Index("ix_online_payment_status_created", "status", "created_at"),
    )


class OnlinePaymentClaim(db.Model):
    """A dues claim a payment is for, with the open amount asked for when it started."""

    __tablename__ = "online_payment_claim"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("online_payment.id"))
    claim_id: Mapped[int] = mapped_column(ForeignKey("dues_claim.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(Integer)

    payment: Mapped[OnlinePayment] = relationship(back_populates="claims")
    claim = relationship("DuesClaim")

    __table_args__ = (
        UniqueConstraint("payment_id", "claim_id", name="uq_online_payment_claim_pair"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
    )


class PaymentAttention(db.Model):
    """Something about a payment the treasurer has to look at, until it is resolved."""

    __tablename__ = "payment_attention"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("online_payment.id"), index=True)
    kind: Mapped[AttentionKind] = mapped_column(checked_enum(AttentionKind, "attention_kind"))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    resolution: Mapped[str] = mapped_column(String(500), default="")

    payment: Mapped[OnlinePayment] = relationship(back_populates="attention")
    resolved_by = relationship("User")

    __table_args__ = (
        UniqueConstraint("payment_id", "kind", name="uq_payment_attention_payment_kind"),
    )


class WebhookEvent(db.Model):
    """A Stripe event, stored once by its id: a redelivery finds it and changes nothing."""

    __tablename__ = "webhook_event"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)  # evt_...
    type: Mapped[str] = mapped_column(String(100))
    object_id: Mapped[str] = mapped_column(String(255), default="")
    stripe_created: Mapped[datetime | None] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # processed, ignored (a type we do not handle), failed (retried when Stripe redelivers)
    outcome: Mapped[str] = mapped_column(String(20), default="processed")
    error: Mapped[str] = mapped_column(Text, default="")
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("online_payment.id"), index=True)
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("stripe_payout.id"))

    payment = relationship("OnlinePayment")


class StripePayout(db.Model):
    """A payout from the Stripe balance to the bank: a transfer between the two accounts."""

    __tablename__ = "stripe_payout"

    id: Mapped[int] = mapped_column(primary_key=True)
    payout_id: Mapped[str] = mapped_column(String(255), unique=True)  # po_...
    amount_cents: Mapped[int] = mapped_column(Integer)
    arrival_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    failure_message: Mapped[str] = mapped_column(String(500), default="")
    # the two bookings of the transfer (Stripe account out, bank account in), while booked
    out_booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id"))
    in_booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), onupdate=utcnow)

    out_booking = relationship("Booking", foreign_keys=[out_booking_id])
    in_booking = relationship("Booking", foreign_keys=[in_booking_id])

    __table_args__ = (CheckConstraint("amount_cents > 0", name="amount_positive"),)
