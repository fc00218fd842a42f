"""The association's own data, kept in a single row."""

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from supportclub.clock import utcnow
from supportclub.dbtypes import UTCDateTime, checked_enum
from supportclub.extensions import db

# Placeholders: {anrede_name} {mitgliedsnummer} {offen} {positionen} {verein} {iban} {frist}
DEFAULT_REMINDER_SUBJECT = "Zahlungserinnerung: Mitgliedsbeitrag {verein}"
DEFAULT_REMINDER_TEXT = """Guten Tag {anrede_name},

sicher ist es Ihrer Aufmerksamkeit entgangen: Für Ihre Mitgliedschaft (Mitgliedsnummer \
{mitgliedsnummer}) ist noch folgender Beitrag offen:

{positionen}

Offen insgesamt: {offen}

Bitte überweisen Sie den Betrag bis zum {frist} auf unser Konto {iban} \
(Verwendungszweck: Mitgliedsbeitrag {mitgliedsnummer}). Falls Sie inzwischen bezahlt haben, \
betrachten Sie dieses Schreiben bitte als gegenstandslos.

Vielen Dank für Ihre Unterstützung!

Mit freundlichen Grüßen
{verein}"""
DEFAULT_DUNNING_SUBJECT = "Mahnung: offener Mitgliedsbeitrag {verein}"
DEFAULT_DUNNING_TEXT = """Guten Tag {anrede_name},

trotz unserer Zahlungserinnerung ist für Ihre Mitgliedschaft (Mitgliedsnummer \
{mitgliedsnummer}) noch folgender Beitrag offen:

{positionen}

Offen insgesamt: {offen}

Wir bitten Sie, den Betrag bis spätestens {frist} auf unser Konto {iban} zu überweisen \
(Verwendungszweck: Mitgliedsbeitrag {mitgliedsnummer}). Sollten Sie Fragen haben oder \
sich Ihre Zahlung mit diesem Schreiben überschnitten haben, melden Sie sich bitte bei uns.

Mit freundlichen Grüßen
{verein}"""


DEFAULT_DONATION_AMOUNTS = "25,50,100,250"

DEFAULT_RECEIPT_MAIL_SUBJECT = "Ihre Zuwendungsbestätigung {nummer} – {verein}"
DEFAULT_RECEIPT_MAIL_TEXT = """Guten Tag {anrede_name},

anbei erhalten Sie Ihre Zuwendungsbestätigung Nr. {nummer} über {betrag} ({zeitraum}) als PDF \
für Ihre Steuererklärung.

Herzlichen Dank für Ihre Unterstützung!

Mit freundlichen Grüßen
{verein}"""
DEFAULT_RECEIPT_THANKS_TEXT = """Guten Tag {anrede_name},

herzlichen Dank für Ihre Unterstützung im Zeitraum {zeitraum}: {betrag}. Mit Ihrer Hilfe \
konnten wir unsere Projekte auch in diesem Jahr fördern.

Ihre Zuwendungsbestätigung liegt diesem Schreiben bei.

Mit freundlichen Grüßen
{verein}"""


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
    # dues: charge members who join during the year pro rata (by month) or the full year
    dues_pro_rata: Mapped[bool] = mapped_column(Boolean, default=False)
    # a claim is due this many days after the year (or the membership) starts, or after its run
    dues_payment_days: Mapped[int] = mapped_column(Integer, default=30)
    # reminders: texts with placeholders, and the least days between two reminders
    reminder_subject: Mapped[str] = mapped_column(String(200), default=DEFAULT_REMINDER_SUBJECT)
    reminder_text: Mapped[str] = mapped_column(Text, default=DEFAULT_REMINDER_TEXT)
    dunning_subject: Mapped[str] = mapped_column(String(200), default=DEFAULT_DUNNING_SUBJECT)
    dunning_text: Mapped[str] = mapped_column(Text, default=DEFAULT_DUNNING_TEXT)
    reminder_interval_days: Mapped[int] = mapped_column(Integer, default=14)
    # the public transparency page (grants total, funded projects, campaign results) is shown
    transparency_public: Mapped[bool] = mapped_column(Boolean, default=False)
    # receipts: dues are deductible (family-support purposes) unless a purpose of § 10b Abs. 1
    # S. 8 EStG makes them not: then the dues block is printed and dues are never receipted
    dues_deductible: Mapped[bool] = mapped_column(Boolean, default=True)
    # machine-made receipts were notified to the tax office (facsimile signature and e-mail allowed)
    machine_receipts: Mapped[bool] = mapped_column(Boolean, default=False)
    machine_receipts_notified_on: Mapped[date | None] = mapped_column(Date)
    receipt_signatory: Mapped[str] = mapped_column(String(200), default="")  # under the signature
    facsimile_key: Mapped[str | None] = mapped_column(String(64))  # the stored signature image
    receipt_min_cents: Mapped[int] = mapped_column(Integer, default=0)  # the batch skips less
    receipt_mail_subject: Mapped[str] = mapped_column(
        String(200), default=DEFAULT_RECEIPT_MAIL_SUBJECT
    )
    receipt_mail_text: Mapped[str] = mapped_column(Text, default=DEFAULT_RECEIPT_MAIL_TEXT)
    receipt_thanks: Mapped[bool] = mapped_column(Boolean, default=False)  # a cover letter
    receipt_thanks_text: Mapped[str] = mapped_column(Text, default=DEFAULT_RECEIPT_THANKS_TEXT)
    # the public donation page: suggested amounts in whole euros ("25,50,100,250") and a text
    donation_amounts: Mapped[str] = mapped_column(String(100), default=DEFAULT_DONATION_AMOUNTS)
    donation_page_text: Mapped[str] = mapped_column(Text, default="")
    # SEPA direct debit: the Gläubiger-ID (check digits validated), the BIC of the creditor
    # account (optional; the IBAN is the bank account's), and the days of pre-notification
    creditor_id: Mapped[str] = mapped_column(String(35), default="")
    creditor_bic: Mapped[str] = mapped_column(String(11), default="")
    prenotification_days: Mapped[int] = mapped_column(Integer, default=14)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("grants_before_cents >= 0", name="grants_before_nonnegative"),
        CheckConstraint("dues_payment_days BETWEEN 0 AND 365", name="payment_days_valid"),
        CheckConstraint("reminder_interval_days BETWEEN 1 AND 365", name="interval_valid"),
        CheckConstraint("receipt_min_cents >= 0", name="receipt_min_nonnegative"),
        CheckConstraint("prenotification_days BETWEEN 1 AND 60", name="prenotification_valid"),
        CheckConstraint(
            "machine_receipts = false OR machine_receipts_notified_on IS NOT NULL",
            name="machine_receipts_notified",
        ),
    )


class ThresholdKind(enum.StrEnum):
    """Yearly limits of the tax law that the dashboard watches."""

    # § 64 Abs. 3 AO: gross revenue of all wirtschaftliche Geschäftsbetriebe in a year
    BUSINESS_REVENUE = "business_revenue"
    # § 55 Abs. 1 Nr. 5 S. 4 AO: associations with yearly income up to this need not use
    # their money in due time
    TIMELY_USE_EXEMPTION = "timely_use_exemption"


# kind, first year, cents: the law as of 2025 (JStG 2020 and JStG 2024)
DEFAULT_THRESHOLDS = (
    (ThresholdKind.BUSINESS_REVENUE, 2007, 3_500_000),
    (ThresholdKind.BUSINESS_REVENUE, 2020, 4_500_000),
    (ThresholdKind.BUSINESS_REVENUE, 2025, 5_000_000),
    (ThresholdKind.TIMELY_USE_EXEMPTION, 2020, 4_500_000),
    (ThresholdKind.TIMELY_USE_EXEMPTION, 2025, 10_000_000),
)


class TaxThreshold(db.Model):
    """A yearly limit in force from `valid_from_year` until the next row of its kind."""

    __tablename__ = "tax_threshold"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ThresholdKind] = mapped_column(checked_enum(ThresholdKind, "threshold_kind"))
    valid_from_year: Mapped[int] = mapped_column(Integer)
    amount_cents: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    __table_args__ = (
        UniqueConstraint("kind", "valid_from_year", name="uq_tax_threshold_kind_year"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("valid_from_year BETWEEN 1990 AND 2200", name="year_valid"),
    )
