"""Bank statements in (imports, their lines, remembered IBANs) and direct debits out
(collections and their single debits).

A statement line is what the bank says happened; it becomes money in the books only when the
treasurer confirms it: then it points at the booking made for it (or at the booking that already
existed, such as a Stripe payout's bank side). A line is never deleted once its import was kept;
a line's suggestion is what the matcher proposed, with its reason, until someone decides.
"""

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from supportclub.clock import utcnow
from supportclub.dbtypes import UTCDateTime, checked_enum
from supportclub.extensions import db

# Imports --------------------------------------------------------------------------------------


class ImportStatus(enum.StrEnum):
    """An import is kept, or was discarded before any of its lines was booked."""

    IMPORTED = "imported"
    DISCARDED = "discarded"


class BankImport(db.Model):
    """One uploaded statement file: what it said about the account, and what came of it."""

    __tablename__ = "bank_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    status: Mapped[ImportStatus] = mapped_column(
        checked_enum(ImportStatus, "bank_import_status"), default=ImportStatus.IMPORTED
    )
    file_name: Mapped[str] = mapped_column(String(255), default="")
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    format: Mapped[str] = mapped_column(String(40))  # "camt.053.001.08", "csv-camt", "mt940"
    iban: Mapped[str] = mapped_column(String(34))
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    opening_cents: Mapped[int | None] = mapped_column(Integer)  # first statement's OPBD
    closing_cents: Mapped[int | None] = mapped_column(Integer)  # last statement's CLBD
    statements_count: Mapped[int] = mapped_column(Integer, default=1)  # daily files in a ZIP
    entries_count: Mapped[int] = mapped_column(Integer, default=0)  # booked entries in the file
    pending_count: Mapped[int] = mapped_column(Integer, default=0)  # not booked: skipped
    new_count: Mapped[int] = mapped_column(Integer, default=0)  # lines created
    duplicate_count: Mapped[int] = mapped_column(Integer, default=0)  # entries imported before
    credit_cents: Mapped[int] = mapped_column(Integer, default=0)  # sum of the new lines > 0
    debit_cents: Mapped[int] = mapped_column(Integer, default=0)  # sum of the new lines < 0
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    discarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    discarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    account = relationship("Account")
    created_by = relationship("User", foreign_keys=[created_by_id])
    lines: Mapped[list["StatementLine"]] = relationship(
        back_populates="bank_import", order_by="StatementLine.id"
    )

    __table_args__ = (
        CheckConstraint("debit_cents <= 0 AND credit_cents >= 0", name="sums_signed"),
        CheckConstraint(
            "(status = 'discarded') = (discarded_at IS NOT NULL)", name="discarded_when"
        ),
    )


class LineState(enum.StrEnum):
    """A line waits in the review queue until it is booked (or linked to an existing booking)."""

    OPEN = "open"
    DONE = "done"


class MatchKind(enum.StrEnum):
    """Why a line was matched, in order of trust (see banking.md, "Matching")."""

    COLLECTION = "collection"  # our own direct debit, by its EndToEndId
    RETURN = "return"  # a returned debit of our own collection (Rücklastschrift)
    PAYOUT = "payout"  # a Stripe payout whose bank side is already booked
    BOOKED = "booked"  # a booking entered by hand before the statement came
    MANDATE = "mandate"  # the mandate reference of a membership
    MEMBER_NUMBER = "member_number"  # a member number in the purpose text
    IBAN = "iban"  # the counterparty IBAN is known for a person
    NAME_AMOUNT = "name_amount"  # the counterparty's name and the amount fit a person's claims
    NONE = "none"  # nothing known: the treasurer decides


class StatementLine(db.Model):
    """One transaction of a statement (a batch entry is split into its transactions)."""

    __tablename__ = "bank_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("bank_import.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    # recognises a re-import: the bank's reference where it is unique in its file, else a digest
    # of the entry; "/n" is appended for the n-th transaction of a split batch entry. The
    # booking made for the line carries it as its external reference (channel "bank").
    entry_key: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)  # the entry's position in its file
    booking_date: Mapped[date] = mapped_column(Date)
    value_date: Mapped[date | None] = mapped_column(Date)
    amount_cents: Mapped[int] = mapped_column(Integer)  # signed: + credit, − debit
    bank_fee_cents: Mapped[int] = mapped_column(Integer, default=0)  # a return's charges (> 0)
    booking_text: Mapped[str] = mapped_column(String(100), default="")
    counterparty_name: Mapped[str] = mapped_column(String(140), default="")
    counterparty_iban: Mapped[str | None] = mapped_column(String(34), index=True)
    counterparty_bic: Mapped[str | None] = mapped_column(String(11))
    purpose: Mapped[str] = mapped_column(Text, default="")
    end_to_end_id: Mapped[str | None] = mapped_column(String(35), index=True)
    mandate_reference: Mapped[str | None] = mapped_column(String(35))
    creditor_id: Mapped[str | None] = mapped_column(String(35))
    return_reason: Mapped[str | None] = mapped_column(String(4))  # ISO code, e.g. "MD06"
    bank_reference: Mapped[str | None] = mapped_column(String(100))  # AcctSvcrRef as given
    is_reversal: Mapped[bool] = mapped_column(Boolean, default=False)
    # the suggestion: kind, person and what it would book (see banking/suggestion.py)
    match_kind: Mapped[MatchKind] = mapped_column(
        checked_enum(MatchKind, "bank_match_kind"), default=MatchKind.NONE
    )
    match_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    match_data: Mapped[dict] = mapped_column(JSON, default=dict)
    # the decision
    state: Mapped[LineState] = mapped_column(
        checked_enum(LineState, "bank_line_state"), default=LineState.OPEN
    )
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id"), unique=True)
    linked_existing: Mapped[bool] = mapped_column(Boolean, default=False)  # booked before
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    bank_import: Mapped[BankImport] = relationship(back_populates="lines")
    match_person = relationship("Person")
    booking = relationship("Booking")
    done_by = relationship("User")

    __table_args__ = (
        UniqueConstraint("account_id", "entry_key", name="uq_bank_line_account_key"),
        CheckConstraint("amount_cents <> 0", name="amount_nonzero"),
        CheckConstraint("bank_fee_cents >= 0", name="fee_nonnegative"),
        CheckConstraint("(state = 'done') = (booking_id IS NOT NULL)", name="done_has_booking"),
        # the review queue: open lines by date
        Index("ix_bank_line_state_date", "state", "booking_date"),
    )

    @property
    def is_credit(self) -> bool:
        """Money in."""
        return self.amount_cents > 0


class KnownIban(db.Model):
    """An IBAN confirmed as a person's (learned when the treasurer confirms a line)."""

    __tablename__ = "known_iban"

    id: Mapped[int] = mapped_column(primary_key=True)
    iban: Mapped[str] = mapped_column(String(34), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    confirmed_count: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    person = relationship("Person")

    __table_args__ = (UniqueConstraint("iban", "person_id", name="uq_known_iban_person"),)


# Direct debit -----------------------------------------------------------------------------------


class CollectionStatus(enum.StrEnum):
    """A collection was handed to the bank, or cancelled before the bank executed it."""

    SUBMITTED = "submitted"
    CANCELLED = "cancelled"


class DebitCollection(db.Model):
    """One "Lastschrifteinzug": a pain.008 file of direct debits for one collection date."""

    __tablename__ = "debit_collection"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(35), unique=True)  # GrpHdr/MsgId
    collection_date: Mapped[date] = mapped_column(Date, index=True)  # ReqdColltnDt
    schema: Mapped[str] = mapped_column(String(20))  # "pain.008.001.08" or ".02"
    status: Mapped[CollectionStatus] = mapped_column(
        checked_enum(CollectionStatus, "debit_collection_status"),
        default=CollectionStatus.SUBMITTED,
    )
    count: Mapped[int] = mapped_column(Integer)
    total_cents: Mapped[int] = mapped_column(Integer)
    creditor_id: Mapped[str] = mapped_column(String(35))
    creditor_iban: Mapped[str] = mapped_column(String(34))
    prenotification_days: Mapped[int] = mapped_column(Integer)
    file_xml: Mapped[bytes] = mapped_column(LargeBinary)  # exactly what was downloaded
    file_sha256: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(200), default="")  # the selection, in words
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    cancel_reason: Mapped[str | None] = mapped_column(Text)

    created_by = relationship("User", foreign_keys=[created_by_id])
    debits: Mapped[list["DirectDebit"]] = relationship(
        back_populates="collection", order_by="DirectDebit.id"
    )

    __table_args__ = (
        CheckConstraint("count > 0 AND total_cents > 0", name="not_empty"),
        CheckConstraint(
            "(status = 'cancelled') = (cancelled_at IS NOT NULL)", name="cancelled_when"
        ),
    )


class DirectDebit(db.Model):
    """One debit of a collection: a member's (or payer's) dues claim, under a mandate."""

    __tablename__ = "direct_debit"

    id: Mapped[int] = mapped_column(primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("debit_collection.id"), index=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("dues_claim.id"), index=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)  # who pays
    amount_cents: Mapped[int] = mapped_column(Integer)
    end_to_end_id: Mapped[str] = mapped_column(String(35), unique=True)
    sequence_type: Mapped[str] = mapped_column(String(4))  # RCUR or OOFF
    mandate_reference: Mapped[str] = mapped_column(String(35), index=True)
    mandate_date: Mapped[date] = mapped_column(Date)
    iban: Mapped[str] = mapped_column(String(34))
    debtor_name: Mapped[str] = mapped_column(String(140))
    remittance: Mapped[str] = mapped_column(String(140))
    # the pre-notification: to whom, when (None: not by e-mail, see the collection's note)
    notified_email: Mapped[str | None] = mapped_column(String(254))
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # what the statement said: the credit that paid it, the line that returned it
    paid_line_id: Mapped[int | None] = mapped_column(ForeignKey("bank_line.id"), unique=True)
    returned_line_id: Mapped[int | None] = mapped_column(ForeignKey("bank_line.id"), unique=True)

    collection: Mapped[DebitCollection] = relationship(back_populates="debits")
    claim = relationship("DuesClaim")
    membership = relationship("Membership")
    person = relationship("Person")
    paid_line = relationship("StatementLine", foreign_keys=[paid_line_id])
    returned_line = relationship("StatementLine", foreign_keys=[returned_line_id])

    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("sequence_type IN ('RCUR', 'OOFF')", name="sequence_valid"),
    )
