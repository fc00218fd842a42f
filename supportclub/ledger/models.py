"""The ledger: persons, accounts, funds, categories, bookings and their lines."""

import enum
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
from supportclub.dbtypes import UTCDateTime, checked_enum
from supportclub.extensions import db


class TaxSphere(enum.StrEnum):
    """The four spheres of a tax-privileged association."""

    IDEELL = "ideell"
    VERMOEGENSVERWALTUNG = "vermoegensverwaltung"
    ZWECKBETRIEB = "zweckbetrieb"
    WIRTSCHAFTLICH = "wirtschaftlich"


class PersonKind(enum.StrEnum):
    """A natural person or an organisation (company, institution)."""

    PRIVATE = "private"
    ORGANISATION = "organisation"


class Channel(enum.StrEnum):
    """How money reached a booking."""

    MANUAL = "manual"
    BANK = "bank"
    CASH = "cash"
    STRIPE = "stripe"
    DEMO = "demo"


def display_name_of(kind, first_name: str | None, last_name: str) -> str:
    """A person's list name from its columns (queries that read no Person objects)."""
    if kind == PersonKind.ORGANISATION or not first_name:
        return last_name
    return f"{last_name}, {first_name}"


def full_name_of(kind, first_name: str | None, last_name: str) -> str:
    """A person's letter name from its columns (queries that read no Person objects)."""
    if kind == PersonKind.ORGANISATION or not first_name:
        return last_name
    return f"{first_name} {last_name}"


class Person(db.Model):
    """Anyone the association deals with: a natural person or an organisation."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[PersonKind] = mapped_column(checked_enum(PersonKind, "person_kind"))
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(200))  # organisation name for organisations
    street: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str] = mapped_column(String(2), default="DE")
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    iban: Mapped[str | None] = mapped_column(String(34))
    phone: Mapped[str] = mapped_column(String(50), default="")
    # assigned when the person first joins; unique and never reused (numbering.next_number)
    member_number: Mapped[int | None] = mapped_column(Integer, index=True, unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), onupdate=utcnow)
    # DSGVO erasure (Art. 17) against tax retention: what is not needed is deleted at once, what
    # the law requires is locked (Art. 18: hidden from everyday views) until retain_until, then
    # anonymised (anonymised_at) by the `privacy anonymise` command
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # a server default too: bulk loaders (benchmarks, restore of older backups) may omit it
    lock_reason: Mapped[str] = mapped_column(String(200), default="", server_default="")
    retain_until: Mapped[date | None] = mapped_column(Date)
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    memberships = relationship(
        "Membership",
        foreign_keys="Membership.person_id",
        back_populates="person",
        order_by="Membership.start_date",
    )

    __table_args__ = (
        CheckConstraint("length(last_name) > 0", name="name_present"),
        Index("ix_person_name", "last_name", "first_name"),
        Index("ix_person_city", "city"),
    )

    @property
    def display_name(self) -> str:
        """Name as shown in lists: "Müller, Anna" or the organisation's name."""
        return display_name_of(self.kind, self.first_name, self.last_name)

    @property
    def full_name(self) -> str:
        """Name as written on a letter: "Anna Müller"."""
        return full_name_of(self.kind, self.first_name, self.last_name)

    @property
    def address_lines(self) -> list[str]:
        """Postal address lines (without the name)."""
        lines = [self.street, f"{self.postal_code} {self.city}".strip()]
        return [line for line in lines if line]


class Account(db.Model):
    """Where money sits: bank account, cash box, Stripe balance."""

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    iban: Mapped[str | None] = mapped_column(String(34))
    is_active: Mapped[bool] = mapped_column(default=True)


class Fund(db.Model):
    """Whose money it is: the free general fund or an earmarked fund."""

    __tablename__ = "fund"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    is_earmarked: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)

    GENERAL = "general"


class Category(db.Model):
    """What a booking line is about; each category sits in one tax sphere."""

    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    sphere: Mapped[TaxSphere] = mapped_column(checked_enum(TaxSphere, "tax_sphere"))
    # +1 usually income, -1 usually expense, 0 neutral (transfers, allocations)
    direction: Mapped[int] = mapped_column(Integer, default=1)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (CheckConstraint("direction IN (-1, 0, 1)", name="direction_valid"),)


class Booking(db.Model):
    """One real money movement (or a non-cash event); immutable once saved."""

    __tablename__ = "booking"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_date: Mapped[date] = mapped_column(Date, index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    amount_cents: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    text: Mapped[str] = mapped_column(String(500), default="")
    channel: Mapped[Channel] = mapped_column(checked_enum(Channel, "booking_channel"))
    external_ref: Mapped[str | None] = mapped_column(String(200))
    reversal_of_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id"), unique=True)
    reversal_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    account: Mapped["Account | None"] = relationship()
    person: Mapped["Person | None"] = relationship()
    lines: Mapped[list["BookingLine"]] = relationship(
        back_populates="booking", order_by="BookingLine.id"
    )
    reversal_of: Mapped["Booking | None"] = relationship(
        remote_side=[id], foreign_keys=[reversal_of_id], back_populates="reversed_by"
    )
    reversed_by: Mapped["Booking | None"] = relationship(
        foreign_keys=[reversal_of_id], back_populates="reversal_of", uselist=False
    )
    created_by = relationship("User", foreign_keys=[created_by_id])

    __table_args__ = (
        UniqueConstraint("channel", "external_ref", name="uq_booking_channel_external_ref"),
        # A booking without an account (an allocation between funds) moves no money.
        CheckConstraint("account_id IS NOT NULL OR amount_cents = 0", name="cashless_is_zero"),
        CheckConstraint(
            "reversal_of_id IS NULL OR reversal_reason IS NOT NULL", name="reversal_has_reason"
        ),
        Index("ix_booking_date_id", "booking_date", "id"),
        # a person's bookings of a period (receipts, the donor page)
        Index("ix_booking_person_date", "person_id", "booking_date"),
        # covering: an account's balance is read from the index alone
        Index("ix_booking_account_amount", "account_id", "amount_cents"),
    )

    @property
    def is_reversal(self) -> bool:
        """True for a storno booking."""
        return self.reversal_of_id is not None


class BookingLine(db.Model):
    """A share of a booking by category and fund; lines sum to the booking's amount."""

    __tablename__ = "booking_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))
    fund_id: Mapped[int] = mapped_column(ForeignKey("fund.id"))
    amount_cents: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(500), default="")
    # the dues claim this line pays (dues lines only); claim status is the sum of these lines
    dues_claim_id: Mapped[int | None] = mapped_column(ForeignKey("dues_claim.id"), index=True)
    # the campaign whose revenue or cost this line is
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaign.id"), index=True)
    # the project this line pays out to (grant payouts) or allocates to
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id"), index=True)
    # sales: units sold at a unit price (quantity x unit price = amount; a reversal negates
    # the quantity, so units sold net out like the money)
    quantity: Mapped[int | None] = mapped_column(Integer)
    unit_price_cents: Mapped[int | None] = mapped_column(Integer)

    booking: Mapped[Booking] = relationship(back_populates="lines")
    category: Mapped[Category] = relationship()
    fund: Mapped[Fund] = relationship()
    dues_claim = relationship("DuesClaim")
    campaign = relationship("Campaign")
    project = relationship("Project")
    # in-kind and waiver facts of a donation line (none for money)
    donation_detail = relationship(
        "DonationDetail", uselist=False, viewonly=True, back_populates="booking_line"
    )

    __table_args__ = (
        CheckConstraint("amount_cents <> 0", name="amount_nonzero"),
        CheckConstraint(
            "quantity IS NULL OR (unit_price_cents IS NOT NULL "
            "AND quantity * unit_price_cents = amount_cents)",
            name="quantity_matches",
        ),
        CheckConstraint("unit_price_cents IS NULL OR unit_price_cents > 0", name="price_positive"),
        Index("ix_booking_line_category_fund", "category_id", "fund_id"),
        # covering: a fund's balance is read from the index alone
        Index("ix_booking_line_fund_amount", "fund_id", "amount_cents"),
    )


class ClosedYear(db.Model):
    """A closed (festgeschriebenes) year: no booking may be dated inside it."""

    __tablename__ = "closed_year"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # the checklist as the treasurer saw it when closing (items, states, figures), and a remark
    checklist_json: Mapped[str] = mapped_column(Text, default="{}")
    note: Mapped[str] = mapped_column(Text, default="")

    closed_by = relationship("User")
    balances = relationship(
        "ClosedYearBalance", order_by="ClosedYearBalance.id", back_populates="closed_year"
    )


class ClosedYearBalance(db.Model):
    """An account's or fund's opening and closing balance of a closed year (the carry-over)."""

    __tablename__ = "closed_year_balance"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(ForeignKey("closed_year.year"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    fund_id: Mapped[int | None] = mapped_column(ForeignKey("fund.id"))
    opening_cents: Mapped[int] = mapped_column(Integer)
    closing_cents: Mapped[int] = mapped_column(Integer)

    closed_year = relationship("ClosedYear", back_populates="balances")

    __table_args__ = (
        CheckConstraint("(account_id IS NULL) <> (fund_id IS NULL)", name="account_or_fund"),
        UniqueConstraint("year", "account_id", name="uq_closed_year_balance_account"),
        UniqueConstraint("year", "fund_id", name="uq_closed_year_balance_fund"),
    )
