"""Money movements of a project: allocations into its fund, releases back, payouts from it.

Allocations and releases lock the general fund's row (they change the free money); payouts lock
the project's row, so two payouts cannot both pass the check against what is approved and
unpaid. They flush, never commit.
"""

from datetime import date

from supportclub import audit
from supportclub.errors import DomainError, ValidationError
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.ledger.models import Account, Booking, Channel
from supportclub.ledger.services import LineInput, record_booking
from supportclub.money import format_cents
from supportclub.projects.guards import (
    category_id,
    check_amount,
    lock_general_fund,
    lock_project,
)
from supportclub.projects.models import Project
from supportclub.projects.queries import COMMITTED, free_money, sums_of


def allocate_funds(
    project: Project, *, amount_cents: int, booking_date: date, actor, text: str = ""
) -> Booking:
    """Move money from the general fund to the project's fund (a zero-sum booking)."""
    general = lock_general_fund()
    project = lock_project(project)
    if project.status not in COMMITTED:
        raise DomainError(_("Mittel können nur einem bewilligten Projekt zugewiesen werden."))
    check_amount(amount_cents, "amount")
    sums = sums_of(project)
    needed = max(sums.open_cents - max(sums.fund_cents, 0), 0)
    if amount_cents > needed:
        raise ValidationError(
            _(
                "Das Projekt braucht höchstens noch %(needed)s aus dem allgemeinen Fonds "
                "(bewilligt und nicht ausgezahlt, abzüglich des Projektfonds).",
                needed=format_cents(needed),
            ),
            field="amount",
        )
    available = free_money().general_cents
    if amount_cents > available:
        raise ValidationError(
            _(
                "Im allgemeinen Fonds stehen nur %(available)s zur Verfügung.",
                available=format_cents(max(available, 0)),
            ),
            field="amount",
        )
    allocation = category_id("allocation")
    text = (text or "").strip() or f"Mittelzuweisung an {project.title}"
    booking = record_booking(
        booking_date=booking_date,
        account_id=None,
        amount_cents=0,
        lines=[
            LineInput(allocation, general.id, -amount_cents, text, project_id=project.id),
            LineInput(allocation, project.fund_id, amount_cents, text, project_id=project.id),
        ],
        actor=actor,
        text=text[:500],
    )
    audit.record(
        actor,
        "projects.funds_allocated",
        project,
        {"booking_id": booking.id, "amount_cents": amount_cents},
    )
    return booking


def release_funds(
    project: Project, *, amount_cents: int, booking_date: date, reason: str, actor
) -> Booking:
    """Move money the project will not use back from its fund to the general fund."""
    general = lock_general_fund()
    project = lock_project(project)
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise ValidationError(_("Bitte einen Grund für die Rückbuchung angeben."), field="reason")
    check_amount(amount_cents, "amount")
    fund_cents = sums_of(project).fund_cents
    if amount_cents > fund_cents:
        raise ValidationError(
            _(
                "Im Projektfonds stehen nur %(available)s.",
                available=format_cents(max(fund_cents, 0)),
            ),
            field="amount",
        )
    allocation = category_id("allocation")
    text = f"Rückbuchung aus {project.title}: {reason}"[:500]
    booking = record_booking(
        booking_date=booking_date,
        account_id=None,
        amount_cents=0,
        lines=[
            LineInput(allocation, project.fund_id, -amount_cents, text, project_id=project.id),
            LineInput(allocation, general.id, amount_cents, text, project_id=project.id),
        ],
        actor=actor,
        text=text,
    )
    audit.record(
        actor,
        "projects.funds_released",
        project,
        {"booking_id": booking.id, "amount_cents": amount_cents, "reason": reason},
    )
    return booking


def record_payout(
    project: Project,
    *,
    amount_cents: int,
    booking_date: date,
    account_id: int,
    actor,
    text: str = "",
    channel: Channel = Channel.MANUAL,
    external_ref: str | None = None,
) -> Booking:
    """Pay out (part of) an approved grant from the project's fund to the applicant."""
    project = lock_project(project)
    if project.status not in COMMITTED:
        raise DomainError(_("Auszahlungen sind nur für bewilligte Projekte möglich."))
    check_amount(amount_cents, "amount")
    account = db.session.get(Account, account_id) if account_id else None
    if account is None or not account.is_active:
        raise ValidationError(_("Bitte ein Konto wählen."), field="account_id")
    sums = sums_of(project)
    unpaid = sums.approved_cents - sums.paid_cents
    if amount_cents > unpaid:
        raise ValidationError(
            _(
                "Die Auszahlung übersteigt den bewilligten, noch nicht ausgezahlten Betrag "
                "(%(unpaid)s).",
                unpaid=format_cents(max(unpaid, 0)),
            ),
            field="amount",
        )
    if amount_cents > sums.fund_cents:
        raise ValidationError(
            _(
                "Im Projektfonds stehen nur %(available)s. Bitte zuerst Mittel zuweisen "
                "(fehlend: %(missing)s).",
                available=format_cents(max(sums.fund_cents, 0)),
                missing=format_cents(amount_cents - max(sums.fund_cents, 0)),
            ),
            field="amount",
        )
    text = (text or "").strip() or f"Förderung {project.title}"
    booking = record_booking(
        booking_date=booking_date,
        account_id=account.id,
        amount_cents=-amount_cents,
        lines=[
            LineInput(
                category_id("grant_payout"),
                project.fund_id,
                -amount_cents,
                text,
                project_id=project.id,
            )
        ],
        actor=actor,
        person_id=project.applicant_id,
        text=text[:500],
        channel=channel,
        external_ref=external_ref,
    )
    audit.record(
        actor,
        "projects.paid_out",
        project,
        {"booking_id": booking.id, "amount_cents": amount_cents},
    )
    return booking
