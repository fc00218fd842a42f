"""Read side of the receipt pages: the filtered list, a receipt's items and history, a person's
receipts and open contributions.

Every function sends a fixed number of statements, however many receipts there are.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from supportclub.admin.services import get_settings
from supportclub.audit import AuditEntry
from supportclub.clock import today
from supportclub.extensions import db
from supportclub.ledger.models import Booking, BookingLine
from supportclub.receipts.content import ReceiptKind
from supportclub.receipts.contributions import Contribution, open_contributions
from supportclub.receipts.issuer import GateResult, check_gate
from supportclub.receipts.labels import REVOKED, VALID
from supportclub.receipts.models import DonationReceipt, ReceiptItem
from supportclub.receipts.services import SLIP_MAX_CENTS

PER_PAGE = 50
MAX_QUERY_CHARS = 100
EARLIEST = date(1900, 1, 1)
LATEST = date(9999, 12, 31)


@dataclass(frozen=True)
class ReceiptFilter:
    """What the list shows: a year, a donor, a kind, valid or revoked, a number or name."""

    year: int | None = None
    person_id: int | None = None
    kind: ReceiptKind | None = None
    status: str | None = None  # labels.VALID / labels.REVOKED
    query: str = ""


@dataclass(frozen=True)
class ListTotals:
    """Over the whole filtered set: how many, how many revoked, the sum of the valid ones."""

    count: int
    revoked_count: int
    valid_cents: int


def _escape_like(text: str) -> str:
    """Let % and _ typed by the user match themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _conditions(flt: ReceiptFilter) -> list:
    """The WHERE conditions of a filter."""
    conditions = []
    if flt.year is not None:
        conditions.append(DonationReceipt.year == flt.year)
    if flt.person_id is not None:
        conditions.append(DonationReceipt.person_id == flt.person_id)
    if flt.kind is not None:
        conditions.append(DonationReceipt.kind == flt.kind)
    if flt.status == VALID:
        conditions.append(DonationReceipt.revoked_at.is_(None))
    elif flt.status == REVOKED:
        conditions.append(DonationReceipt.revoked_at.is_not(None))
    text = flt.query.strip()[:MAX_QUERY_CHARS]
    if text:
        pattern = f"%{_escape_like(text.lower())}%"
        conditions.append(
            or_(
                func.lower(DonationReceipt.number).like(pattern, escape="\\"),
                func.lower(DonationReceipt.donor_name).like(pattern, escape="\\"),
            )
        )
    return conditions


def list_totals(flt: ReceiptFilter) -> ListTotals:
    """Count, revoked count and the valid receipts' sum of the filtered set (one query)."""
    revoked = DonationReceipt.revoked_at.is_not(None)
    count, revoked_count, valid_cents = db.session.execute(
        select(
            func.count(DonationReceipt.id),
            func.coalesce(func.sum(case((revoked, 1), else_=0)), 0),
            func.coalesce(func.sum(case((~revoked, DonationReceipt.total_cents), else_=0)), 0),
        ).where(*_conditions(flt))
    ).one()
    return ListTotals(int(count), int(revoked_count), int(valid_cents))


def list_receipts(flt: ReceiptFilter, *, page: int = 1) -> list[DonationReceipt]:
    """One page of the filtered receipts, newest number first, with their replacements."""
    return list(
        db.session.execute(
            select(DonationReceipt)
            .where(*_conditions(flt))
            .options(selectinload(DonationReceipt.replaced_by))
            .order_by(DonationReceipt.year.desc(), DonationReceipt.seq.desc())
            .limit(PER_PAGE)
            .offset((max(page, 1) - 1) * PER_PAGE)
        ).scalars()
    )


def receipt_years() -> list[int]:
    """The years that have receipts, newest first."""
    return list(
        db.session.execute(
            select(DonationReceipt.year).distinct().order_by(DonationReceipt.year.desc())
        ).scalars()
    )


# A receipt ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemRow:
    """A contribution on a receipt, with its booking and whether that booking was reversed."""

    item: ReceiptItem
    booking_id: int
    in_kind: bool
    reversed_by_id: int | None


def receipt_items(receipt: DonationReceipt) -> list[ItemRow]:
    """The receipt's contributions in date order, with their bookings (one query)."""
    from supportclub.donations.models import DonationDetail, DonationKind

    reversal = aliased(Booking)
    rows = db.session.execute(
        select(ReceiptItem, BookingLine.booking_id, DonationDetail.kind, reversal.id)
        .join(BookingLine, BookingLine.id == ReceiptItem.booking_line_id)
        .outerjoin(DonationDetail, DonationDetail.booking_line_id == BookingLine.id)
        .outerjoin(reversal, reversal.reversal_of_id == BookingLine.booking_id)
        .where(ReceiptItem.receipt_id == receipt.id)
        .order_by(ReceiptItem.contribution_date, ReceiptItem.id)
    ).all()
    return [
        ItemRow(item, booking_id, detail == DonationKind.IN_KIND, reversed_id)
        for item, booking_id, detail, reversed_id in rows
    ]


def receipt_history(receipt: DonationReceipt) -> list[AuditEntry]:
    """The audit entries about the receipt, newest first (one query)."""
    return list(
        db.session.execute(
            select(AuditEntry)
            .where(AuditEntry.target_type == "DonationReceipt", AuditEntry.target_id == receipt.id)
            .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        ).scalars()
    )


# A person's receipts --------------------------------------------------------------------------


def receipts_of_person(person_id: int) -> list[DonationReceipt]:
    """Every receipt issued to the person, newest first (one query, replacements included)."""
    return list(
        db.session.execute(
            select(DonationReceipt)
            .where(DonationReceipt.person_id == person_id)
            .options(selectinload(DonationReceipt.replaced_by))
            .order_by(DonationReceipt.year.desc(), DonationReceipt.seq.desc())
        ).scalars()
    )


@dataclass(frozen=True)
class OpenYear:
    """The open money donations and dues of a year: what a Sammelbestätigung would cover."""

    year: int
    count: int
    cents: int


@dataclass
class PersonReceipts:
    """The "Zuwendungsbestätigungen" section of a person's page."""

    person_id: int
    receipts: list[DonationReceipt]
    open: list[Contribution]
    years: list[OpenYear] = field(default_factory=list)
    gate: GateResult | None = None
    slip_max_cents: int = SLIP_MAX_CENTS

    def slip_allowed(self, contribution: Contribution) -> bool:
        """The simplified slip: money or dues up to 300 €, not in kind, not a waiver."""
        return (
            not contribution.in_kind
            and not contribution.waiver
            and contribution.amount_cents <= self.slip_max_cents
        )


def person_receipts(person_id: int) -> PersonReceipts:
    """A person's receipts, open contributions and the years a Sammelbestätigung can cover."""
    settings = get_settings()
    contributions = open_contributions(
        person_id, EARLIEST, LATEST, dues_deductible=settings.dues_deductible
    )
    per_year: dict[int, list[int]] = defaultdict(list)
    for contribution in contributions:
        if not contribution.in_kind:
            per_year[contribution.date.year].append(contribution.amount_cents)
    years = [
        OpenYear(year, len(amounts), sum(amounts))
        for year, amounts in sorted(per_year.items(), reverse=True)
        if len(amounts) > 1
    ]
    return PersonReceipts(
        person_id=person_id,
        receipts=receipts_of_person(person_id),
        open=sorted(contributions, key=lambda c: (c.date, c.line_id), reverse=True),
        years=years,
        gate=check_gate(settings, today()),
    )
