"""Numbering a chunk of donors' year receipts at once: the year's batch's fast path.

`allocate_collectives` does for many donors what `services.allocate_collective` does for one,
with the same checks and the same result, but in a fixed number of statements per chunk: the
settings and the gate once, one lock over the chunk's booking lines, one query for their open
contributions, one block of consecutive numbers, and bulk inserts of receipts, items and audit
entries. Numbers are handed out in the order the donors are given.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from supportclub import audit
from supportclub.admin.services import get_settings
from supportclub.clock import today, utcnow
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.ledger.models import Booking, BookingLine, Category, Person
from supportclub.numbering import next_numbers
from supportclub.receipts.content import ReceiptKind
from supportclub.receipts.contributions import (
    Contribution,
    contribution_conditions,
    contribution_from_row,
    contribution_select,
    receipt_categories,
    receipted,
)
from supportclub.receipts.issuer import require_gate
from supportclub.receipts.models import DonationReceipt, ReceiptItem
from supportclub.receipts.services import (
    AlreadyReceipted,
    collective_extra,
    has_postal_address,
    issuer_content,
    receipt_values,
    sequence_name,
    single_extra,
)


@dataclass
class ChunkResult:
    """What happened to each donor of a chunk."""

    receipts: list[DonationReceipt] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)  # person id -> why (translated)
    nothing_open: set[int] = field(default_factory=set)  # done already (elsewhere)


def _lock_lines(person_ids: list[int], start: date, end: date, categories) -> None:
    """Lock the chunk's candidate lines (PostgreSQL; SQLite serialises writers anyway)."""
    db.session.execute(
        select(BookingLine.id)
        .join(Booking, Booking.id == BookingLine.booking_id)
        .join(Category, Category.id == BookingLine.category_id)
        .where(
            Booking.person_id.in_(person_ids),
            Booking.booking_date.between(start, end),
            Category.code.in_(categories),
            BookingLine.amount_cents > 0,
        )
        .order_by(BookingLine.id)
        .with_for_update(of=BookingLine)
    ).all()


def open_money_by_person(
    person_ids: list[int], start: date, end: date, *, dues_deductible: bool
) -> dict[int, list[Contribution]]:
    """The open money contributions (not in kind) of several donors, by donor, in date order."""
    stmt = (
        contribution_select()
        .where(
            Booking.person_id.in_(person_ids),
            Booking.booking_date.between(start, end),
            *contribution_conditions(dues_deductible),
            ~receipted(),
        )
        .order_by(Booking.person_id, Booking.booking_date, BookingLine.id)
    )
    found: dict[int, list[Contribution]] = defaultdict(list)
    for row in db.session.execute(stmt):
        contribution = contribution_from_row(row)
        if not contribution.in_kind:
            found[contribution.person_id].append(contribution)
    return found


def allocate_collectives(
    persons: list[Person],
    year: int,
    *,
    actor,
    batch_id: int | None = None,
    issued_on: date | None = None,
) -> ChunkResult:
    """Number the year receipt of each donor (Sammelbestätigung, or single for one gift).

    Donors without a postal address are skipped with the reason; donors with nothing open are
    reported as such. Raises AlreadyReceipted (nothing of the chunk written) if another issuer
    took a line meanwhile; the caller then goes donor by donor.
    """
    settings = get_settings()
    issued_on = issued_on or today()
    require_gate(settings, issued_on)
    start, end = date(year, 1, 1), date(year, 12, 31)
    result = ChunkResult()
    ids = [p.id for p in persons]
    if not ids:
        return result
    _lock_lines(ids, start, end, receipt_categories(settings.dues_deductible))
    opens = open_money_by_person(ids, start, end, dues_deductible=settings.dues_deductible)
    chosen: list[tuple[Person, list[Contribution]]] = []
    for person in persons:
        contributions = opens.get(person.id)
        if not contributions:
            result.nothing_open.add(person.id)
        elif not has_postal_address(person):
            result.skipped[person.id] = _(
                "Für %(name)s fehlt die Postanschrift (Straße, PLZ und Ort).",
                name=person.full_name,
            )
        else:
            chosen.append((person, contributions))
    if not chosen:
        return result
    first = next_numbers(sequence_name(year), len(chosen))
    issuer = issuer_content(settings, issued_on)
    rows = [
        _receipt_row(person, contributions, year, first + offset, settings, issuer)
        for offset, (person, contributions) in enumerate(chosen)
    ]
    for row in rows:
        row.update(created_by_id=getattr(actor, "id", None), batch_id=batch_id)
    # Core executemany: one statement for the chunk's receipts, one for their items
    db.session.execute(insert(DonationReceipt), rows)
    numbers = [row["number"] for row in rows]
    receipts = {
        r.number: r
        for r in db.session.execute(
            select(DonationReceipt).where(DonationReceipt.number.in_(numbers))
        ).scalars()
    }
    made = [
        (receipts[row["number"]], contributions)
        for row, (_p, contributions) in zip(rows, chosen, strict=True)
    ]
    try:
        with db.session.begin_nested():
            db.session.execute(
                insert(ReceiptItem),
                [
                    {
                        "receipt_id": receipt.id,
                        "booking_line_id": c.line_id,
                        "contribution_date": c.date,
                        "kind": c.kind,
                        "waiver": c.waiver,
                        "amount_cents": c.amount_cents,
                        "revoked": False,
                    }
                    for receipt, contributions in made
                    for c in contributions
                ],
            )
    except IntegrityError:
        raise AlreadyReceipted(
            _("Eine Zuwendung wurde gerade auf einer anderen Bestätigung bestätigt.")
        ) from None
    audit.record_many(
        actor,
        [
            (
                "receipts.issued",
                receipt,
                {
                    "number": receipt.number,
                    "kind": receipt.kind,
                    "person_id": receipt.person_id,
                    "total_cents": receipt.total_cents,
                    "lines": [c.line_id for c in contributions],
                    "replaces": None,
                },
            )
            for receipt, contributions in made
        ],
    )
    result.receipts = [receipt for receipt, _c in made]
    return result


def _receipt_row(person, contributions, year, seq, settings, issuer) -> dict:
    """The receipt row of one donor, as values for a bulk insert."""
    if len(contributions) == 1:
        only = contributions[0]
        kind, period, extra = ReceiptKind.SINGLE, (only.date, only.date), single_extra(only)
    else:
        period = (date(year, 1, 1), date(year, 12, 31))
        kind, extra = ReceiptKind.COLLECTIVE, collective_extra(period, contributions)
    values = receipt_values(person, contributions, kind, period, seq, settings, issuer, extra)
    values["created_at"] = utcnow()
    return values
