"""What the year export holds, read in a fixed number of queries as plain column tuples.

Each `*_rows(year)` yields lists of cell values in the order of its COLUMNS (German headers);
`export.py` writes them as CSV. Large tables (booking lines, the audit trail) are streamed with
`yield_per`, so a year of a million lines never builds ORM objects or a list in memory.
Amounts come as `Amount` cells: the CSV shows them twice, in cents and as a German decimal.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import select

from supportclub.audit import AuditEntry
from supportclub.campaigns.models import Campaign
from supportclub.clock import LOCAL_TZ
from supportclub.closing import services as closing
from supportclub.dues.models import ClaimStatus, DuesClaim
from supportclub.dues.queries import PAID, WAIVED, claim_status
from supportclub.extensions import db
from supportclub.i18n import N_, _
from supportclub.ledger.labels import SPHERE_LABELS
from supportclub.ledger.models import (
    Account,
    Booking,
    BookingLine,
    Category,
    ClosedYear,
    Fund,
    Person,
    TaxSphere,
    full_name_of,
)
from supportclub.members.models import Membership
from supportclub.projects.models import Project
from supportclub.receipts.models import DonationReceipt
from supportclub.reports import export_rows

CHUNK = 5000
# the same words as the dues pages
CLAIM_STATUS_LABELS = {
    ClaimStatus.OPEN: N_("offen"),
    ClaimStatus.PARTLY_PAID: N_("teilweise bezahlt"),
    ClaimStatus.PAID: N_("bezahlt"),
    ClaimStatus.WAIVED: N_("erlassen"),
}


@dataclass(frozen=True)
class Amount:
    """An amount in cents: two CSV columns, "12345" and "123,45" (both empty for None)."""

    cents: int | None


def amount_header(title: str) -> list[str]:
    """The two column titles of an amount: "<title> (Cent)" and "<title> (EUR)"."""
    return [_("%(title)s (Cent)", title=title), _("%(title)s (EUR)", title=title)]


def _year_bounds(year: int) -> tuple[date, date]:
    """1 January and 31 December of `year`."""
    return date(year, 1, 1), date(year, 12, 31)


def _name(kind, first_name, last_name) -> str:
    """A person's name as written on a letter, or "" without a person."""
    if last_name is None:
        return ""
    return full_name_of(kind, first_name, last_name)


def _stream(stmt) -> Iterator:
    """The rows of `stmt`, fetched in chunks (a server-side cursor on PostgreSQL)."""
    yield from db.session.execute(stmt.execution_options(yield_per=CHUNK))


# buchungen.csv ----------------------------------------------------------------------------------


def booking_columns() -> list[str]:
    """Headers of buchungen.csv (one row per booking line)."""
    return [
        _("Buchung"), _("Datum"), _("Konto"), *amount_header(_("Buchungsbetrag")),
        _("Gegenpartei"), _("Buchungstext"), _("Kanal"), _("Externe Referenz"),
        _("Storno von Buchung"), _("Position"), _("Kategorie"), _("Steuersphäre"), _("Fonds"),
        _("Beitragsforderung"), _("Aktion"), _("Projekt"), _("Positionstext"),
        *amount_header(_("Positionsbetrag")),
    ]  # fmt: skip


def booking_lines_select(year: int):
    """Every line of the year's bookings with its booking, in date and id order."""
    start, end = _year_bounds(year)
    return (
        select(
            Booking.id,
            Booking.booking_date,
            Account.name,
            Booking.amount_cents,
            Person.kind,
            Person.first_name,
            Person.last_name,
            Booking.text,
            Booking.channel,
            Booking.external_ref,
            Booking.reversal_of_id,
            BookingLine.id,
            Category.name,
            Category.sphere,
            Fund.name,
            BookingLine.dues_claim_id,
            Campaign.name,
            Project.title,
            BookingLine.text,
            BookingLine.amount_cents,
        )  # fmt: skip
        .select_from(BookingLine)
        .join(Booking, BookingLine.booking_id == Booking.id)
        .join(Category, BookingLine.category_id == Category.id)
        .join(Fund, BookingLine.fund_id == Fund.id)
        .outerjoin(Account, Booking.account_id == Account.id)
        .outerjoin(Person, Booking.person_id == Person.id)
        .outerjoin(Campaign, BookingLine.campaign_id == Campaign.id)
        .outerjoin(Project, BookingLine.project_id == Project.id)
        .where(Booking.booking_date >= start, Booking.booking_date <= end)
        .order_by(Booking.booking_date, Booking.id, BookingLine.id)
    )


def booking_rows(year: int) -> Iterator[list]:
    """One row per booking line of the year, oldest first."""
    spheres = {sphere: str(label) for sphere, label in SPHERE_LABELS.items()}
    for (bid, day, account, amount, kind, first, last, text, channel, ref, reversal_of, lid,
         category, sphere, fund, claim, campaign, project, line_text,
         line_amount) in _stream(booking_lines_select(year)):  # fmt: skip
        yield [
            bid, day, account or "", Amount(amount), _name(kind, first, last), text,
            str(channel.value if hasattr(channel, "value") else channel), ref or "", reversal_of,
            lid, category, spheres[TaxSphere(sphere)], fund, claim, campaign or "", project or "",
            line_text, Amount(line_amount),
        ]  # fmt: skip


# konten.csv and fonds.csv ----------------------------------------------------------------------


@dataclass(frozen=True)
class Balance:
    """One account's or fund's year: opening (1.1.), in, out, closing (31.12.)."""

    id: int
    code: str
    name: str
    opening_cents: int
    in_cents: int
    out_cents: int
    closed_opening_cents: int | None = None  # as stored when the year was closed
    closed_closing_cents: int | None = None

    @property
    def closing_cents(self) -> int:
        """Opening plus in plus (negative) out."""
        return self.opening_cents + self.in_cents + self.out_cents

    @property
    def matches_closing(self) -> bool | None:
        """None for an open year; else whether the stored closing balances equal the sums."""
        if self.closed_opening_cents is None and self.closed_closing_cents is None:
            return None
        return (self.closed_opening_cents, self.closed_closing_cents) == (
            self.opening_cents,
            self.closing_cents,
        )


def balance_columns(kind: str) -> list[str]:
    """Headers of konten.csv (kind "account") or fonds.csv (kind "fund")."""
    first = _("Konto") if kind == "account" else _("Fonds")
    return [
        _("Nr."), _("Kürzel"), first, *amount_header(_("Anfangsbestand 1.1.")),
        *amount_header(_("Zugänge")), *amount_header(_("Abgänge")),
        *amount_header(_("Endbestand 31.12.")), *amount_header(_("Festgeschrieben Anfang")),
        *amount_header(_("Festgeschrieben Ende")), _("Abgleich Festschreibung"),
    ]  # fmt: skip


def balances(year: int) -> tuple[list[Balance], list[Balance], bool]:
    """Accounts and funds of the year (the closing's sums in SQL) with the balances stored when
    the year was closed, and whether it is. Five queries, however many accounts and funds."""
    closed = db.session.get(ClosedYear, year) is not None
    stored_accounts, stored_funds = closing.stored_balances(year) if closed else ({}, {})
    accounts = db.session.execute(
        select(Account.id, Account.code, Account.name).order_by(Account.id)
    ).all()
    funds = db.session.execute(
        select(Fund.id, Fund.code, Fund.name).order_by(Fund.is_earmarked, Fund.code)
    ).all()

    def build(rows, sums, stored) -> list[Balance]:
        result = []
        for oid, code, name in rows:
            books = sums.get(oid, closing.Balance(0))
            closed_values = (None, None)
            if closed:  # a closed year without a stored row for it: nothing was carried (zero)
                kept = stored.get(oid, closing.Balance(0))
                closed_values = (kept.opening_cents, kept.closing_cents)
            result.append(
                Balance(
                    oid,
                    code,
                    name,
                    books.opening_cents,
                    books.in_cents,
                    books.out_cents,
                    *closed_values,
                )  # fmt: skip
            )
        return result

    return (
        build(accounts, closing.account_balances(year), stored_accounts),
        build(funds, closing.fund_balances(year), stored_funds),
        closed,
    )


def balance_rows(items: list[Balance]) -> Iterator[list]:
    """The rows of konten.csv or fonds.csv."""
    labels = {None: "", True: _("stimmt"), False: _("ABWEICHUNG")}
    for item in items:
        stored = [Amount(item.closed_opening_cents), Amount(item.closed_closing_cents)]
        yield [
            item.id, item.code, item.name, Amount(item.opening_cents), Amount(item.in_cents),
            Amount(item.out_cents), Amount(item.closing_cents), *stored,
            labels[item.matches_closing],
        ]  # fmt: skip


# zuwendungsbestaetigungen.csv ------------------------------------------------------------------


def receipt_columns() -> list[str]:
    """Headers of zuwendungsbestaetigungen.csv."""
    return [
        _("Nummer"), _("Ausgestellt am"), _("Zeitraum von"), _("Zeitraum bis"), _("Zuwendender"),
        _("Anschrift"), *amount_header(_("Betrag")), _("Art"), _("Status"),
        _("Stornogrund"), _("Ersetzt Nummer"), _("SHA-256"), _("Datei"),
    ]  # fmt: skip


def receipts_of_year(year: int) -> list:
    """The receipts numbered in `year` (the year of their contributions), by number.

    One query; the receipts of a year are a few thousand at most, so they are read at once
    (the PDFs themselves are read one by one while the ZIP is written).
    """
    from sqlalchemy.orm import aliased

    replaced = aliased(DonationReceipt)
    return db.session.execute(
        select(
            DonationReceipt.id,
            DonationReceipt.number,
            DonationReceipt.issued_on,
            DonationReceipt.period_start,
            DonationReceipt.period_end,
            DonationReceipt.donor_name,
            DonationReceipt.donor_address,
            DonationReceipt.total_cents,
            DonationReceipt.kind,
            DonationReceipt.revoked_at,
            DonationReceipt.revoke_reason,
            replaced.number,
            DonationReceipt.storage_key,
            DonationReceipt.pdf_sha256,
        )  # fmt: skip
        .outerjoin(replaced, DonationReceipt.replaces_id == replaced.id)
        .where(DonationReceipt.year == year)
        .order_by(DonationReceipt.seq)
    ).all()


def receipt_file(number: str) -> str:
    """The PDF's name inside the ZIP."""
    return f"belege/{number}.pdf"


def receipt_rows(receipts: list, files: dict[str, str]) -> Iterator[list]:
    """The rows of zuwendungsbestaetigungen.csv; `files` maps number -> file name or problem."""
    from supportclub.receipts.labels import KIND_LABELS

    for (_rid, number, issued_on, start, end, donor, address, total, kind, revoked_at, reason,
         replaces, _key, sha256) in receipts:  # fmt: skip
        status = _("storniert") if revoked_at is not None else _("gültig")
        yield [
            number, issued_on, start, end, donor, ", ".join(address.split("\n")), Amount(total),
            str(KIND_LABELS[kind]), status, reason or "", replaces or "", sha256 or "",
            files.get(number, ""),
        ]  # fmt: skip


# beitraege.csv ---------------------------------------------------------------------------------


def dues_columns() -> list[str]:
    """Headers of beitraege.csv."""
    return [
        _("Forderung"), _("Mitgliedsnummer"), _("Name"), _("Jahr"), _("Monate"),
        _("Fällig am"), *amount_header(_("Betrag")), *amount_header(_("Bezahlt")),
        *amount_header(_("Erlassen")), *amount_header(_("Offen")), _("Status"),
    ]  # fmt: skip


def dues_rows(year: int) -> Iterator[list]:
    """The dues claims of the year with what is paid, written off and open (as of today)."""
    stmt = (
        select(
            DuesClaim.id,
            Person.member_number,
            Person.kind,
            Person.first_name,
            Person.last_name,
            DuesClaim.year,
            DuesClaim.months,
            DuesClaim.due_date,
            DuesClaim.amount_cents,
            PAID.label("paid"),
            WAIVED.label("waived"),
        )  # fmt: skip
        .join(Membership, DuesClaim.membership_id == Membership.id)
        .join(Person, Membership.person_id == Person.id)
        .where(DuesClaim.year == year)
        .order_by(Person.member_number, DuesClaim.id)
    )
    for cid, number, kind, first, last, claim_year, months, due, amount, paid, waived in _stream(
        stmt
    ):
        paid, waived = int(paid), int(waived)
        status = claim_status(amount, paid, waived)
        yield [
            cid, number, _name(kind, first, last), claim_year, months, due, Amount(amount),
            Amount(paid), Amount(waived), Amount(max(amount - paid - waived, 0)),
            _(CLAIM_STATUS_LABELS[status]),
        ]  # fmt: skip


# foerderungen.csv ------------------------------------------------------------------------------


def grant_columns() -> list[str]:
    """Headers of foerderungen.csv (one row per project with a resolution or payout)."""
    return [
        _("Projekt"), _("Antragsteller"), _("Beschluss vom"), *amount_header(_("Bewilligt")),
        *amount_header(_("Ausgezahlt")), _("Stand"),
    ]  # fmt: skip


def grant_rows(year: int) -> Iterator[list]:
    """Projects with a grant decided or a payout booked in the year (the Kassenbericht's rows)."""
    start, end = _year_bounds(year)
    for title, applicant, resolved, approved, paid, stage in export_rows.grant_rows(start, end):
        yield [title, applicant, resolved, Amount(approved.cents), Amount(paid.cents), stage]


# protokoll.csv ---------------------------------------------------------------------------------


def audit_columns() -> list[str]:
    """Headers of protokoll.csv: the stored values, so the hash chain can be recomputed."""
    return [
        _("Nr."), _("Zeit (UTC)"), _("Benutzer-ID"), _("Wer"), _("Aktion"), _("Objekttyp"),
        _("Objekt-ID"), _("Daten (JSON)"), _("Vorheriger Hash"), _("Hash"),
    ]  # fmt: skip


def year_instants(year: int) -> tuple[datetime, datetime]:
    """The year in the association's time zone, as UTC instants [start, end)."""
    start = datetime.combine(date(year, 1, 1), time.min, LOCAL_TZ).astimezone(UTC)
    end = datetime.combine(date(year + 1, 1, 1), time.min, LOCAL_TZ).astimezone(UTC)
    return start, end


def audit_rows(year: int) -> Iterator[list]:
    """The audit entries of the year (German local time), in chain order."""
    start, end = year_instants(year)
    stmt = (
        select(
            AuditEntry.id,
            AuditEntry.created_at,
            AuditEntry.actor_id,
            AuditEntry.actor_label,
            AuditEntry.action,
            AuditEntry.target_type,
            AuditEntry.target_id,
            AuditEntry.data_json,
            AuditEntry.prev_hash,
            AuditEntry.entry_hash,
        )  # fmt: skip
        .where(AuditEntry.created_at >= start, AuditEntry.created_at < end)
        .order_by(AuditEntry.id)
    )
    for row in _stream(stmt):
        created = row[1]
        if created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
        stamp = created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        yield [row[0], stamp, *row[2:]]
