"""Dues payments against claims, and write-offs. They flush only."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from supportclub import audit
from supportclub.dues.models import ClaimWaiver, DuesClaim
from supportclub.dues.queries import ClaimRow, claims_by_id, claims_of_person
from supportclub.errors import DomainError, ValidationError
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.ledger.models import Category, Channel, Person
from supportclub.ledger.services import LineInput, general_fund, record_booking
from supportclub.money import format_cents

# A single dues payment above this is almost certainly a typing error (an extra zero).
MAX_PAYMENT_CENTS = 10_000_00


# Payments -------------------------------------------------------------------------------------


class OverpaymentError(DomainError):
    """The payment is more than the chosen claims; the treasurer must say what the rest is."""

    def __init__(self, message: str, remainder_cents: int):
        super().__init__(message, field="amount")
        self.remainder_cents = remainder_cents


@dataclass(frozen=True)
class Allocation:
    """Part of a payment that settles one claim."""

    claim_id: int
    amount_cents: int


def suggest_allocations(person_id: int, amount_cents: int) -> list[Allocation]:
    """Spread `amount_cents` over the person's open claims, oldest first."""
    allocations = []
    rest = amount_cents
    for row in claims_of_person(person_id, only_open=True):
        if rest <= 0:
            break
        share = min(rest, row.open_cents)
        allocations.append(Allocation(row.claim.id, share))
        rest -= share
    return allocations


def _lock_claims(claim_ids: list[int]) -> list[ClaimRow]:
    """Lock the claims (so two payments cannot settle the same open amount) and read them."""
    db.session.execute(
        select(DuesClaim.id)
        .where(DuesClaim.id.in_(claim_ids))
        .order_by(DuesClaim.id)
        .with_for_update()
    )
    return claims_by_id(claim_ids)


def record_payment(
    *,
    person_id: int,
    booking_date: date,
    account_id: int,
    amount_cents: int,
    allocations: list[Allocation],
    actor,
    overpayment_as_donation: bool = False,
    text: str = "",
    channel: Channel = Channel.MANUAL,
    external_ref: str | None = None,
):
    """Book a dues payment whose lines settle the chosen claims.

    An amount above the chosen claims is refused with OverpaymentError unless the treasurer
    confirmed it as a donation (`overpayment_as_donation`); then the rest becomes a donation
    line of the general fund. An amount below them leaves the last claim partly paid.
    """
    if not isinstance(amount_cents, int) or amount_cents <= 0:
        raise ValidationError(_("Der Betrag muss größer als 0 sein."), field="amount")
    if amount_cents > MAX_PAYMENT_CENTS:
        raise ValidationError(
            _(
                "%(amount)s ist für eine Beitragszahlung unplausibel hoch (höchstens %(max)s). "
                "Bitte den Betrag prüfen.",
                amount=format_cents(amount_cents),
                max=format_cents(MAX_PAYMENT_CENTS),
            ),
            field="amount",
        )
    person = db.session.get(Person, person_id)
    if person is None:
        raise ValidationError(_("Die Person ist unbekannt."), field="person")
    ids = [a.claim_id for a in allocations]
    if len(set(ids)) != len(ids):
        raise ValidationError(_("Eine Forderung ist doppelt ausgewählt."), field="claims")
    rows = {row.claim.id: row for row in _lock_claims(ids)}
    allowed = {row.claim.id for row in claims_of_person(person_id)}
    lines: list[LineInput] = []
    dues = db.session.execute(select(Category).filter_by(code="dues")).scalar_one()
    fund = general_fund()
    for allocation in allocations:
        row = rows.get(allocation.claim_id)
        if row is None or allocation.claim_id not in allowed:
            raise ValidationError(
                _(
                    "Die Forderung %(claim)s gehört nicht zu dieser Person.",
                    claim=allocation.claim_id,
                ),
                field="claims",
            )
        if allocation.amount_cents <= 0:
            raise ValidationError(
                _("Jeder zugeordnete Betrag muss größer als 0 sein."), field="claims"
            )
        if allocation.amount_cents > row.open_cents:
            raise ValidationError(
                _(
                    "Für den Beitrag %(year)s von %(name)s sind nur noch %(open)s offen, "
                    "nicht %(amount)s.",
                    year=row.claim.year,
                    name=row.membership.person.full_name,
                    open=format_cents(row.open_cents),
                    amount=format_cents(allocation.amount_cents),
                ),
                field="claims",
            )
        lines.append(
            LineInput(
                category_id=dues.id,
                fund_id=fund.id,
                amount_cents=allocation.amount_cents,
                text=beitrag_text(row),
                dues_claim_id=row.claim.id,
            )
        )
    allocated = sum(a.amount_cents for a in allocations)
    rest = amount_cents - allocated
    if rest < 0:
        raise ValidationError(
            _(
                "Den Forderungen sind %(allocated)s zugeordnet, gezahlt wurden nur %(amount)s.",
                allocated=format_cents(allocated),
                amount=format_cents(amount_cents),
            ),
            field="claims",
        )
    if rest > 0:
        if not overpayment_as_donation:
            raise OverpaymentError(
                _(
                    "Die Zahlung ist %(rest)s höher als die gewählten Beiträge. "
                    "Soll der Rest als Spende gebucht werden?",
                    rest=format_cents(rest),
                ),
                rest,
            )
        donation = db.session.execute(select(Category).filter_by(code="donation")).scalar_one()
        lines.append(
            LineInput(
                category_id=donation.id,
                fund_id=fund.id,
                amount_cents=rest,
                text=_("Spende (Mehrbetrag der Beitragszahlung)"),
            )
        )
    booking = record_booking(
        booking_date=booking_date,
        account_id=account_id,
        amount_cents=amount_cents,
        lines=lines,
        actor=actor,
        person_id=person_id,
        text=text or _("Mitgliedsbeitrag %(name)s", name=person.full_name),
        channel=channel,
        external_ref=external_ref,
    )
    audit.record(
        actor,
        "dues.payment_recorded",
        person,
        {
            "booking_id": booking.id,
            "amount_cents": amount_cents,
            "claims": {str(a.claim_id): a.amount_cents for a in allocations},
            "donation_cents": rest,
        },
    )
    return booking


def beitrag_text(row: ClaimRow) -> str:
    """The line text of a dues payment: "Beitrag 2026 Anna Schmidt (1042)"."""
    person = row.membership.person
    number = f" ({person.member_number})" if person.member_number else ""
    return _(
        "Beitrag %(year)s %(name)s%(number)s",
        year=row.claim.year,
        name=person.full_name,
        number=number,
    )


# Write-off ------------------------------------------------------------------------------------


def waive_claim(claim: DuesClaim, *, reason: str, actor) -> ClaimWaiver:
    """Write off what is still open on a claim, with a reason (recorded, never undone silently)."""
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise ValidationError(_("Bitte einen Grund für den Erlass angeben."), field="reason")
    (row,) = _lock_claims([claim.id])
    if row.waived_cents:
        raise DomainError(_("Diese Forderung ist bereits erlassen."))
    if row.open_cents <= 0:
        raise DomainError(_("Diese Forderung ist bereits bezahlt; es ist nichts offen."))
    waiver = ClaimWaiver(
        claim_id=claim.id,
        amount_cents=row.open_cents,
        reason=reason,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(waiver)
    db.session.flush()
    audit.record(
        actor,
        "dues.claim_waived",
        claim,
        {
            "person_id": row.membership.person_id,
            "year": claim.year,
            "amount_cents": waiver.amount_cents,
            "reason": reason,
        },
    )
    return waiver
