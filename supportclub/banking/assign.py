"""The correction of one bank line: the treasurer assigns it to claims, a donation, a campaign,
a grant payout, another category, or links it to a booking that exists. It flushes, never commits.
"""

import enum
from dataclasses import dataclass, field

from supportclub import audit
from supportclub.banking.confirm import booking_text, link_targets, lock_lines, remember_iban
from supportclub.banking.models import DirectDebit, LineState, MatchKind, StatementLine
from supportclub.banking.suggestion import Suggestion
from supportclub.clock import utcnow
from supportclub.errors import DomainError, ValidationError
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.ledger.models import Booking, Category, Channel
from supportclub.ledger.services import LineInput
from supportclub.money import format_cents

# The correction of one line ----------------------------------------------------------------------


class TargetKind(enum.StrEnum):
    """What the treasurer assigns a line to ("Zuordnen als")."""

    CLAIMS = "claims"  # one or more dues claims (donation_rest: the rest as a donation)
    DONATION = "donation"
    CAMPAIGN = "campaign"
    PAYOUT = "payout"  # a grant payout to a project
    OTHER = "other"  # a cost or other income by category
    BOOKING = "booking"  # an existing booking: link only


@dataclass
class Target:
    """The correction: the kind and what it needs (the amount is always the line's)."""

    kind: TargetKind
    person_id: int | None = None
    allocations: list[tuple[int, int]] = field(default_factory=list)
    donation_rest: bool = False
    fund_id: int | None = None
    campaign_id: int | None = None
    category_id: int | None = None
    project_id: int | None = None
    booking_id: int | None = None
    text: str = ""


def _lock_open(line: StatementLine) -> StatementLine:
    """The line locked; refused when it was booked meanwhile."""
    (locked,) = lock_lines([line.id])
    if locked.state != LineState.OPEN:
        raise DomainError(_("Der Umsatz ist bereits erledigt."), field="target")
    return locked


def _need(value, field_name: str, message: str):
    """`value`, or a refusal at the field."""
    if value is None:
        raise ValidationError(message, field=field_name)
    return value


def _book_claims(line: StatementLine, target: Target, actor) -> Booking:
    """A dues payment (and maybe a donation rest)."""
    from supportclub.dues.payments import Allocation, record_payment, suggest_allocations

    if line.amount_cents < 0:
        raise ValidationError(
            _("Eine Abbuchung kann keinen Beitrag bezahlen. Bitte eine andere Zuordnung wählen."),
            field="target",
        )
    person_id = _need(target.person_id, "person", _("Bitte eine Person wählen."))
    allocations = [Allocation(c, cents) for c, cents in target.allocations]
    if not allocations:  # none ticked: the person's open claims, oldest first
        allocations = suggest_allocations(person_id, line.amount_cents)
    if not allocations:
        raise ValidationError(
            _("Die Person hat keine offenen Beiträge. Bitte als Spende zuordnen."), field="claims"
        )
    booking = record_payment(
        person_id=person_id,
        booking_date=line.booking_date,
        account_id=line.account_id,
        amount_cents=line.amount_cents,
        allocations=allocations,
        actor=actor,
        overpayment_as_donation=target.donation_rest,
        text=booking_text(line),
        channel=Channel.BANK,
        external_ref=line.entry_key,
    )
    s = Suggestion.of(line)
    if s.kind == MatchKind.COLLECTION and s.debit_id is not None:
        debit = db.session.get(DirectDebit, s.debit_id)
        claim_ids = {a.claim_id for a in allocations}
        if debit is not None and debit.paid_line_id is None and debit.claim_id in claim_ids:
            debit.paid_line_id = line.id
    return booking


def _book_donation(line: StatementLine, target: Target, actor) -> Booking:
    """A donation to the general fund or a project's fund (credits only)."""
    from supportclub.donations.services import record_donation

    if line.amount_cents < 0:
        raise ValidationError(
            _("Eine Abbuchung ist keine Spende. Bitte eine andere Zuordnung wählen."),
            field="target",
        )
    person_id = _need(target.person_id, "person", _("Bitte den Spender wählen."))
    return record_donation(
        booking_date=line.booking_date,
        account_id=line.account_id,
        amount_cents=line.amount_cents,
        person_id=person_id,
        fund_id=target.fund_id,
        text=target.text.strip() or booking_text(line),
        channel=Channel.BANK,
        external_ref=line.entry_key,
        actor=actor,
    )


def _book_campaign(line: StatementLine, target: Target, actor) -> Booking:
    """Campaign revenue (credit) or cost (debit)."""
    from supportclub.campaigns.models import Campaign
    from supportclub.campaigns.services import CampaignLine, record_campaign_booking

    campaign_id = _need(target.campaign_id, "campaign_id", _("Bitte eine Aktion wählen."))
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise ValidationError(_("Die Aktion ist unbekannt."), field="campaign_id")
    category = _signed_category(line, target.category_id)
    return record_campaign_booking(
        campaign,
        booking_date=line.booking_date,
        account_id=line.account_id,
        text=target.text.strip() or booking_text(line),
        lines=[CampaignLine(category.id, abs(line.amount_cents))],
        actor=actor,
        person_id=target.person_id,
        channel=Channel.BANK,
        external_ref=line.entry_key,
    )


def _signed_category(line: StatementLine, category_id: int | None) -> Category:
    """An active category whose direction fits the line: income for credits, cost for debits."""
    category = db.session.get(Category, category_id) if category_id is not None else None
    if category is None or not category.is_active:
        raise ValidationError(_("Bitte eine Kategorie wählen."), field="category_id")
    if line.amount_cents > 0 and category.direction != 1:
        raise ValidationError(
            _("Für einen Zahlungseingang bitte eine Einnahmenkategorie wählen."),
            field="category_id",
        )
    if line.amount_cents < 0 and category.direction != -1:
        raise ValidationError(
            _("Für eine Abbuchung bitte eine Ausgabenkategorie wählen."), field="category_id"
        )
    return category


def _book_payout(line: StatementLine, target: Target, actor) -> Booking:
    """A grant payout to a project (debits only; record_payout checks approval and fund)."""
    from supportclub.projects.funds import record_payout
    from supportclub.projects.models import Project

    if line.amount_cents > 0:
        raise ValidationError(
            _("Ein Zahlungseingang ist keine Auszahlung. Bitte eine andere Zuordnung wählen."),
            field="target",
        )
    project_id = _need(target.project_id, "project_id", _("Bitte ein Projekt wählen."))
    project = db.session.get(Project, project_id)
    if project is None:
        raise ValidationError(_("Das Projekt ist unbekannt."), field="project_id")
    try:
        return record_payout(
            project,
            amount_cents=-line.amount_cents,
            booking_date=line.booking_date,
            account_id=line.account_id,
            actor=actor,
            text=target.text.strip() or booking_text(line),
            channel=Channel.BANK,
            external_ref=line.entry_key,
        )
    except DomainError as exc:
        if exc.field in (None, "amount"):  # about the project: show it there
            raise ValidationError(exc.message, field="project_id") from exc
        raise


NOT_OTHER = ("dues", "donation", "grant_payout")


def _book_other(line: StatementLine, target: Target, actor) -> Booking:
    """A cost or other income on a category and fund."""
    from supportclub.ledger.services import general_fund, record_booking

    category = _signed_category(line, target.category_id)
    if category.code in NOT_OTHER:
        raise ValidationError(
            _("Für Beiträge, Spenden und Förderungen bitte die eigene Zuordnung wählen."),
            field="category_id",
        )
    fund_id = target.fund_id or general_fund().id
    return record_booking(
        booking_date=line.booking_date,
        account_id=line.account_id,
        amount_cents=line.amount_cents,
        lines=[LineInput(category.id, fund_id, line.amount_cents, target.text.strip())],
        actor=actor,
        person_id=target.person_id,
        text=target.text.strip() or booking_text(line),
        channel=Channel.BANK,
        external_ref=line.entry_key,
    )


def _existing_booking(line: StatementLine, target: Target) -> Booking:
    """The booking to link: same amount and account, not linked, not reversed."""
    booking_id = _need(target.booking_id, "booking_id", _("Bitte die Buchungsnummer angeben."))
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise ValidationError(
            _("Die Buchung %(booking)s gibt es nicht.", booking=booking_id), field="booking_id"
        )
    if booking.amount_cents != line.amount_cents or booking.account_id != line.account_id:
        raise ValidationError(
            _(
                "Die Buchung %(booking)s lautet über %(amount)s auf ein anderes Konto oder einen "
                "anderen Betrag; der Umsatz beträgt %(line)s.",
                booking=booking_id,
                amount=format_cents(booking.amount_cents),
                line=format_cents(line.amount_cents),
            ),
            field="booking_id",
        )
    _existing, reversed_, linked = link_targets({booking_id})
    if booking_id in reversed_:
        raise ValidationError(
            _("Die Buchung %(booking)s wurde storniert.", booking=booking_id), field="booking_id"
        )
    if booking_id in linked:
        raise ValidationError(
            _(
                "Die Buchung %(booking)s ist bereits mit einem anderen Umsatz verknüpft.",
                booking=booking_id,
            ),
            field="booking_id",
        )
    return booking


BOOKERS = {
    TargetKind.CLAIMS: _book_claims,
    TargetKind.DONATION: _book_donation,
    TargetKind.CAMPAIGN: _book_campaign,
    TargetKind.PAYOUT: _book_payout,
    TargetKind.OTHER: _book_other,
}


def assign_line(line: StatementLine, target: Target, *, actor) -> Booking:
    """Book one line as the treasurer says (or link it to an existing booking); mark it done."""
    line = _lock_open(line)
    kind = TargetKind(target.kind)
    if kind == TargetKind.BOOKING:
        booking = _existing_booking(line, target)
        linked = True
    else:
        booking = BOOKERS[kind](line, target, actor)
        linked = False
    line.state = LineState.DONE
    line.booking_id = booking.id
    line.linked_existing = linked
    line.done_at = utcnow()
    line.done_by_id = getattr(actor, "id", None)
    person_id = target.person_id or booking.person_id
    remember_iban(line.counterparty_iban, person_id, actor=actor)
    db.session.flush()
    audit.record(
        actor,
        "bank.line_assigned",
        line,
        {
            "kind": kind,
            "booking_id": booking.id,
            "linked_existing": linked,
            "person_id": target.person_id,
            "amount_cents": line.amount_cents,
        },
    )
    return booking
