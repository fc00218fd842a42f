"""Issuing and revoking receipts: the verbs. Services flush; routes and commands commit.

Issuing has two steps, so a batch can number receipts quickly in one process and render their
PDFs in parallel elsewhere:

1. `allocate_*` checks everything, takes the next number of the year and writes the receipt
   row (with the printed content as JSON) and its items, in the caller's transaction. Numbers are
   gap-free because the counter moves in that same transaction.
2. `attach_pdf` renders the content and stores the PDF (key, SHA-256, size: set once).

`issue_*` does both at once (a single receipt from the browser). Nothing is written when a check
fails, and no number is used.
"""

import re
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from supportclub import audit
from supportclub.admin.models import AssociationSettings, ExemptionKind
from supportclub.admin.services import get_settings
from supportclub.clock import LOCAL_TZ, today, utcnow
from supportclub.errors import DomainError, ValidationError
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.ledger.models import Booking, BookingLine, Person
from supportclub.money import format_cents
from supportclub.numbering import next_number
from supportclub.receipts import storage
from supportclub.receipts.content import (
    ContributionKind,
    Exemption,
    Item,
    Origin,
    ReceiptContent,
    ReceiptKind,
)
from supportclub.receipts.contributions import (
    Contribution,
    contributions_by_id,
    line_receipt_numbers,
    open_contributions,
)
from supportclub.receipts.issuer import require_gate
from supportclub.receipts.models import DonationReceipt, ReceiptItem
from supportclub.receipts.signature import read_signature

SLIP_MAX_CENTS = 300_00  # § 50 Abs. 4 Satz 1 Nr. 2 EStDV


class AlreadyReceipted(DomainError):
    """A contribution is already on a receipt that is not revoked."""


def sequence_name(year: int) -> str:
    """The numbering series of a year's receipts."""
    return f"receipt-{year}"


def format_number(year: int, seq: int) -> str:
    """ "2025-0001"."""
    return f"{year}-{seq:04d}"


def donor_address(person: Person) -> tuple[str, ...]:
    """The donor's postal address lines as printed (country named when abroad)."""
    lines = list(person.address_lines)
    if person.country and person.country.upper() != "DE":
        lines.append(person.country.upper())
    return tuple(lines)


def has_postal_address(person: Person) -> bool:
    """True when street, postcode and town are all there."""
    return bool(person.street.strip() and person.postal_code.strip() and person.city.strip())


def require_address(person: Person) -> None:
    """Refuse a donor without a postal address (the receipt must state it)."""
    if not has_postal_address(person):
        raise ValidationError(
            _(
                "Für %(name)s fehlt die Postanschrift (Straße, PLZ und Ort). Bitte zuerst bei der "
                "Person ergänzen: ohne Anschrift ist keine Zuwendungsbestätigung möglich.",
                name=person.full_name,
            ),
            field="person",
        )


def tax_office_name(value: str) -> str:
    """The tax office as the template names it ("des Finanzamtes Jena"): "Finanzamt" dropped."""
    return re.sub(r"^\s*(Finanzamt|FA)\s+", "", value or "", flags=re.IGNORECASE).strip()


def issuer_content(settings: AssociationSettings, issued_on: date) -> dict:
    """The association's part of the content."""
    return {
        "issued_on": issued_on,
        "issuer_name": settings.name.strip(),
        "issuer_address": tuple(
            line
            for line in (settings.street.strip(), f"{settings.postal_code} {settings.city}".strip())
            if line
        ),
        "place": settings.city.strip(),
        "exemption": Exemption(str(settings.exemption_kind)),
        "tax_office": tax_office_name(settings.tax_office),
        "tax_number": settings.tax_number.strip(),
        "exemption_date": settings.exemption_date,
        "exemption_period": (
            settings.exemption_period.strip()
            if settings.exemption_kind == ExemptionKind.FREISTELLUNGSBESCHEID
            else ""
        ),
        "purposes": " ".join(settings.purposes.split()),
        "dues_block": not settings.dues_deductible,
        "signatory": settings.receipt_signatory.strip(),
    }


def facsimile_allowed(settings: AssociationSettings, kind: ReceiptKind, waiver: bool) -> bool:
    """A printed signature only where the tax office knows, never in kind or with a waiver."""
    return (
        settings.machine_receipts
        and settings.facsimile_key is not None
        and kind != ReceiptKind.IN_KIND
        and not waiver
    )


def _check_contributions(
    person: Person, contributions: list[Contribution], settings: AssociationSettings
) -> None:
    """Each contribution is the person's, deductible and not yet on a receipt."""
    if not contributions:
        raise ValidationError(
            _(
                "Für %(name)s gibt es in diesem Zeitraum keine offenen Zuwendungen.",
                name=person.full_name,
            )
        )
    for contribution in contributions:
        if contribution.person_id != person.id:
            raise ValidationError(
                _(
                    "Die Zuwendung vom %(date)s wurde nicht von %(name)s gezahlt; die "
                    "Bestätigung nennt immer den Zahler der Buchung.",
                    date=contribution.date.strftime("%d.%m.%Y"),
                    name=person.full_name,
                )
            )
        if contribution.kind == ContributionKind.DUES and not settings.dues_deductible:
            raise ValidationError(
                _(
                    "Mitgliedsbeiträge sind bei diesem Verein nicht abziehbar (Einstellung "
                    "„Mitgliedsbeiträge abziehbar“) und werden nicht bestätigt."
                )
            )
    numbers = line_receipt_numbers([c.line_id for c in contributions])
    if numbers:
        contribution = next(c for c in contributions if c.line_id in numbers)
        raise AlreadyReceipted(
            _(
                "Die Zuwendung vom %(date)s über %(amount)s steht bereits auf der "
                "Zuwendungsbestätigung %(number)s. Eine Zuwendung wird nur einmal bestätigt; "
                "eine falsche Bestätigung bitte zuerst stornieren.",
                date=contribution.date.strftime("%d.%m.%Y"),
                amount=format_cents(contribution.amount_cents),
                number=numbers[contribution.line_id],
            )
        )


def single_extra(contribution: Contribution) -> dict:
    """The content fields of a receipt for one contribution (Anlage 3 and the slip)."""
    return {
        "contribution_date": contribution.date,
        "waiver": contribution.waiver,
        "contribution_kind": contribution.kind,
    }


def collective_extra(period: tuple[date, date], contributions: list[Contribution]) -> dict:
    """The content fields of a Sammelbestätigung: its period and its list."""
    return {
        "period_start": period[0],
        "period_end": period[1],
        "items": tuple(Item(c.date, c.kind, c.waiver, c.amount_cents) for c in contributions),
    }


def receipt_values(
    person: Person,
    contributions: list[Contribution],
    kind: ReceiptKind,
    period: tuple[date, date],
    seq: int,
    settings: AssociationSettings,
    issuer: dict,
    extra: dict,
) -> dict:
    """The columns of a receipt row, its printed content (JSON) included: the one builder."""
    year = period[0].year
    number = format_number(year, seq)
    waiver = any(c.waiver for c in contributions)
    total = sum(c.amount_cents for c in contributions)
    facsimile = facsimile_allowed(settings, kind, waiver)
    content = ReceiptContent(
        number=number,
        kind=kind,
        donor_name=person.full_name,
        donor_address=donor_address(person),
        total_cents=total,
        machine_notice=facsimile,
        facsimile=facsimile,
        facsimile_key=settings.facsimile_key if facsimile else "",
        person_id=person.id,
        **issuer,
        **extra,
    )
    return {
        "year": year,
        "seq": seq,
        "number": number,
        "kind": kind,
        "person_id": person.id,
        "donor_name": content.donor_name,
        "donor_address": "\n".join(content.donor_address),
        "period_start": period[0],
        "period_end": period[1],
        "total_cents": total,
        "waiver": waiver,
        "facsimile": facsimile,
        "issued_on": issuer["issued_on"],
        "content": content.to_json(),
    }


def _lock_lines(line_ids: list[int]) -> None:
    """Lock the booking lines (PostgreSQL) so two issuers of the same lines queue up."""
    db.session.execute(
        select(BookingLine.id)
        .where(BookingLine.id.in_(line_ids))
        .order_by(BookingLine.id)
        .with_for_update()
    ).all()


def _allocate(
    kind: ReceiptKind,
    person: Person,
    contributions: list[Contribution],
    period: tuple[date, date],
    *,
    actor,
    issued_on: date | None,
    batch_id: int | None,
    replaces: DonationReceipt | None,
    extra: dict | None = None,
) -> DonationReceipt:
    """Check, number and write one receipt and its items (no PDF yet)."""
    settings = get_settings()
    issued_on = issued_on or today()
    require_gate(settings, issued_on)
    require_address(person)
    if period[0].year != period[1].year:
        raise ValidationError(
            _(
                "Der Zeitraum einer Zuwendungsbestätigung muss innerhalb eines Kalenderjahres "
                "liegen (%(start)s bis %(end)s geht über den Jahreswechsel).",
                start=period[0].strftime("%d.%m.%Y"),
                end=period[1].strftime("%d.%m.%Y"),
            ),
            field="period",
        )
    if period[0] > period[1]:
        raise ValidationError(_("Der Zeitraum endet vor seinem Beginn."), field="period")
    _lock_lines([c.line_id for c in contributions])
    _check_contributions(person, contributions, settings)
    year = period[0].year
    seq = next_number(sequence_name(year))
    values = receipt_values(
        person,
        contributions,
        kind,
        period,
        seq,
        settings,
        issuer_content(settings, issued_on),
        extra or {},
    )
    receipt = DonationReceipt(
        **values,
        created_by_id=getattr(actor, "id", None),
        batch_id=batch_id,
        replaces_id=replaces.id if replaces is not None else None,
    )
    number, total = receipt.number, receipt.total_cents
    db.session.add(receipt)
    db.session.flush()
    try:
        with db.session.begin_nested():
            db.session.add_all(
                ReceiptItem(
                    receipt_id=receipt.id,
                    booking_line_id=c.line_id,
                    contribution_date=c.date,
                    kind=c.kind,
                    waiver=c.waiver,
                    amount_cents=c.amount_cents,
                )
                for c in contributions
            )
    except IntegrityError:
        raise AlreadyReceipted(
            _(
                "Eine dieser Zuwendungen wurde gerade auf einer anderen Zuwendungsbestätigung "
                "bestätigt. Bitte die Seite neu laden."
            )
        ) from None
    audit.record(
        actor,
        "receipts.issued",
        receipt,
        {
            "number": number,
            "kind": kind,
            "person_id": person.id,
            "total_cents": total,
            "lines": [c.line_id for c in contributions],
            "replaces": replaces.number if replaces is not None else None,
        },
    )
    return receipt


def allocate_collective(
    person: Person,
    year: int,
    *,
    actor,
    period: tuple[date, date] | None = None,
    issued_on: date | None = None,
    batch_id: int | None = None,
    replaces: DonationReceipt | None = None,
) -> DonationReceipt:
    """Number a Sammelbestätigung (or, for one contribution, a single receipt) of a year."""
    period = period or (date(year, 1, 1), date(year, 12, 31))
    settings = get_settings()
    if period[0].year != period[1].year or period[0].year != year:
        raise ValidationError(
            _(
                "Der Zeitraum einer Sammelbestätigung muss innerhalb eines Kalenderjahres "
                "liegen. Bitte für jedes Jahr eine eigene Bestätigung ausstellen."
            ),
            field="period",
        )
    contributions = [
        c
        for c in open_contributions(person.id, *period, dues_deductible=settings.dues_deductible)
        if not c.in_kind
    ]
    if len(contributions) == 1:
        return _allocate_one(
            person,
            contributions[0],
            actor=actor,
            issued_on=issued_on,
            batch_id=batch_id,
            replaces=replaces,
        )
    return _allocate(
        ReceiptKind.COLLECTIVE,
        person,
        contributions,
        period,
        actor=actor,
        issued_on=issued_on,
        batch_id=batch_id,
        replaces=replaces,
        extra=collective_extra(period, contributions),
    )


def _allocate_one(
    person: Person,
    contribution: Contribution,
    *,
    actor,
    issued_on: date | None,
    batch_id: int | None,
    replaces: DonationReceipt | None,
    slip: bool = False,
) -> DonationReceipt:
    """Number a receipt for one contribution: Anlage 3, Anlage 4 (in kind) or the slip."""
    day = (contribution.date, contribution.date)
    if contribution.in_kind:
        if slip:
            raise ValidationError(
                _(
                    "Für Sachzuwendungen gibt es keinen vereinfachten Nachweis; bitte eine "
                    "Bestätigung über Sachzuwendungen ausstellen."
                )
            )
        detail = (
            db.session.execute(select(BookingLine).where(BookingLine.id == contribution.line_id))
            .scalar_one()
            .donation_detail
        )
        return _allocate(
            ReceiptKind.IN_KIND,
            person,
            [contribution],
            day,
            actor=actor,
            issued_on=issued_on,
            batch_id=batch_id,
            replaces=replaces,
            extra={
                "contribution_date": contribution.date,
                "in_kind_description": detail.description,
                "origin": Origin(str(detail.origin)),
                "documents_present": detail.documents_present,
            },
        )
    if slip:
        if contribution.amount_cents > SLIP_MAX_CENTS:
            raise ValidationError(
                _(
                    "Der vereinfachte Nachweis gilt nur für Zuwendungen bis 300,00 € (§ 50 Abs. 4 "
                    "EStDV); diese beträgt %(amount)s.",
                    amount=format_cents(contribution.amount_cents),
                )
            )
        if contribution.waiver:
            raise ValidationError(
                _(
                    "Für eine Aufwandsspende gibt es keinen vereinfachten Nachweis; bitte eine "
                    "Zuwendungsbestätigung ausstellen."
                )
            )
    return _allocate(
        ReceiptKind.SLIP if slip else ReceiptKind.SINGLE,
        person,
        [contribution],
        day,
        actor=actor,
        issued_on=issued_on,
        batch_id=batch_id,
        replaces=replaces,
        extra=single_extra(contribution),
    )


def allocate_single(
    line_id: int,
    *,
    actor,
    slip: bool = False,
    issued_on: date | None = None,
    replaces: DonationReceipt | None = None,
) -> DonationReceipt:
    """Number a receipt for one booking line (its payer is the donor)."""
    contribution = contributions_by_id([line_id]).get(line_id)
    if contribution is None:
        raise ValidationError(
            _(
                "Diese Buchungsposition ist keine bestätigbare Zuwendung: bestätigt werden nur "
                "gebuchte Spenden und Mitgliedsbeiträge, die nicht storniert sind."
            )
        )
    if contribution.person_id is None:
        raise ValidationError(
            _("Die Buchung nennt keinen Zahler; ohne Zuwendenden keine Bestätigung.")
        )
    person = db.session.get(Person, contribution.person_id)
    return _allocate_one(
        person,
        contribution,
        actor=actor,
        issued_on=issued_on,
        batch_id=None,
        replaces=replaces,
        slip=slip,
    )


def render(receipt: DonationReceipt) -> bytes:
    """The PDF of a receipt, rendered from its stored content."""
    from supportclub.receipts.pdf import render_receipt

    content = ReceiptContent.from_json(receipt.content)
    image = read_signature(content.facsimile_key) if content.facsimile else None
    return render_receipt(content, facsimile_image=image)


def attach_pdf(receipt: DonationReceipt, stored: storage.StoredPdf) -> None:
    """Record the stored PDF of a receipt (once)."""
    if receipt.storage_key is not None:
        raise DomainError(
            _(
                "Das PDF der Zuwendungsbestätigung %(number)s ist bereits gespeichert.",
                number=receipt.number,
            )
        )
    receipt.storage_key = stored.storage_key
    receipt.pdf_sha256 = stored.sha256
    receipt.pdf_size = stored.size
    db.session.flush()


def store_pdf(receipt: DonationReceipt) -> None:
    """Render and store the PDF of a numbered receipt."""
    stored = storage.write_pdf(storage.receipt_folder(), render(receipt))
    try:
        attach_pdf(receipt, stored)
    except BaseException:
        storage.discard(stored.storage_key)
        raise


def issue_single(line_id: int, *, actor, slip: bool = False, replaces=None) -> DonationReceipt:
    """Issue a receipt for one contribution, PDF included."""
    receipt = allocate_single(line_id, actor=actor, slip=slip, replaces=replaces)
    store_pdf(receipt)
    return receipt


def issue_collective(
    person: Person, year: int, *, actor, period=None, replaces=None
) -> DonationReceipt:
    """Issue the Sammelbestätigung of a donor's year (or period within it), PDF included."""
    receipt = allocate_collective(person, year, actor=actor, period=period, replaces=replaces)
    store_pdf(receipt)
    return receipt


def revoke(receipt: DonationReceipt, reason: str, *, actor) -> DonationReceipt:
    """Revoke a wrong receipt: its PDF stays on file, its contributions are free again."""
    reason = (reason or "").strip()
    if receipt.is_revoked:
        raise ValidationError(
            _(
                "Die Zuwendungsbestätigung %(number)s wurde bereits am %(date)s storniert.",
                number=receipt.number,
                date=receipt.revoked_at.astimezone(LOCAL_TZ).strftime("%d.%m.%Y"),
            )
        )
    if not reason:
        raise ValidationError(
            _("Bitte den Grund der Stornierung angeben (er steht im Protokoll)."), field="reason"
        )
    if len(reason) > 500:
        raise ValidationError(_("Der Grund ist zu lang (höchstens 500 Zeichen)."), field="reason")
    # read the actor first: loading it could autoflush a half-set revocation (refused by the guard)
    actor_id = getattr(actor, "id", None)
    receipt.revoked_at = utcnow()
    receipt.revoked_by_id = actor_id
    receipt.revoke_reason = reason
    for item in receipt.items:
        item.revoked = True
    db.session.flush()
    audit.record(actor, "receipts.revoked", receipt, {"number": receipt.number, "reason": reason})
    return receipt


def replace(receipt: DonationReceipt, *, actor) -> DonationReceipt:
    """Issue the replacement of a revoked receipt: the same kind over its contributions."""
    if not receipt.is_revoked:
        raise ValidationError(_("Nur eine stornierte Zuwendungsbestätigung kann ersetzt werden."))
    if receipt.replaced_by is not None:
        raise ValidationError(
            _(
                "Die Zuwendungsbestätigung %(number)s wurde bereits durch %(new)s ersetzt.",
                number=receipt.number,
                new=receipt.replaced_by.number,
            )
        )
    person = db.session.get(Person, receipt.person_id)
    if receipt.kind == ReceiptKind.COLLECTIVE:
        return issue_collective(
            person,
            receipt.year,
            actor=actor,
            period=(receipt.period_start, receipt.period_end),
            replaces=receipt,
        )
    line_id = receipt.items[0].booking_line_id
    return issue_single(
        line_id, actor=actor, slip=receipt.kind == ReceiptKind.SLIP, replaces=receipt
    )


def booking_payer(line_id: int) -> Person | None:
    """The payer named on the booking of a line."""
    return db.session.execute(
        select(Person)
        .join(Booking, Booking.person_id == Person.id)
        .join(BookingLine, BookingLine.booking_id == Booking.id)
        .where(BookingLine.id == line_id)
    ).scalar_one_or_none()
