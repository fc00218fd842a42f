"""Project verbs: record an application, approve or reject it, revoke a grant, proof, close.

Approvals lock the general fund's row, so two treasurers cannot both give away the same free
money. The money movements (allocate, release, pay out) live in funds.py and are re-exported
here, so callers import every project verb from this module. Services flush, never commit.
"""

from datetime import date

from supportclub import audit
from supportclub.clock import today
from supportclub.errors import DomainError, ValidationError
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.ledger.models import Fund, Person
from supportclub.money import format_cents
from supportclub.numbering import next_number
from supportclub.projects.funds import allocate_funds, record_payout, release_funds
from supportclub.projects.guards import (
    MAX_PROJECT_CENTS,
    actor_id,
    check_amount,
    check_decision_date,
    check_not_too_high,
    lock_general_fund,
    lock_project,
)
from supportclub.projects.models import Grant, Project, ProjectStatus
from supportclub.projects.queries import approval_effect, sums_of

__all__ = [
    "EDITABLE_FIELDS",
    "MAX_PROJECT_CENTS",
    "allocate_funds",
    "approve_project",
    "close_project",
    "create_project",
    "record_payout",
    "record_proof",
    "reject_project",
    "release_funds",
    "revoke_grant",
    "update_project",
]

EDITABLE_FIELDS = (
    "title",
    "purpose",
    "contact_name",
    "contact_email",
    "contact_phone",
    "requested_cents",
    "applied_on",
    "is_public",
)


def _check_values(values: dict) -> dict:
    """Clean the editable fields of a project; refuse what a project cannot be."""
    cleaned = dict(values)
    for key in ("title", "purpose", "contact_name", "contact_email", "contact_phone"):
        if key in cleaned:
            cleaned[key] = (cleaned[key] or "").strip()
    if "title" in cleaned and not cleaned["title"]:
        raise ValidationError(_("Bitte einen Titel für das Projekt angeben."), field="title")
    if "title" in cleaned and len(cleaned["title"]) > 200:
        raise ValidationError(_("Der Titel ist zu lang (höchstens 200 Zeichen)."), field="title")
    if "requested_cents" in cleaned:
        cents = cleaned["requested_cents"]
        if not isinstance(cents, int) or isinstance(cents, bool) or cents <= 0:
            raise ValidationError(
                _("Der beantragte Betrag muss größer als 0 sein."), field="requested_cents"
            )
        check_not_too_high(cents, "requested_cents")
    if "applied_on" in cleaned:
        if cleaned["applied_on"] is None:
            raise ValidationError(_("Bitte das Datum des Antrags angeben."), field="applied_on")
        if cleaned["applied_on"] > today():
            raise ValidationError(_("Das Antragsdatum liegt in der Zukunft."), field="applied_on")
    if cleaned.get("contact_email"):
        from supportclub.members.validation import normalize_email

        cleaned["contact_email"] = normalize_email(cleaned["contact_email"]) or ""
    return cleaned


def create_project(
    *,
    applicant_id: int,
    title: str,
    requested_cents: int,
    applied_on: date,
    actor,
    purpose: str = "",
    contact_name: str = "",
    contact_email: str = "",
    contact_phone: str = "",
    is_public: bool = True,
) -> Project:
    """Record an application; the project gets its own earmarked fund at once."""
    applicant = db.session.get(Person, applicant_id) if applicant_id else None
    if applicant is None:
        raise ValidationError(
            _("Bitte die antragstellende Organisation oder Person angeben."), field="applicant"
        )
    values = _check_values(
        {
            "title": title,
            "purpose": purpose,
            "contact_name": contact_name,
            "contact_email": contact_email,
            "contact_phone": contact_phone,
            "requested_cents": requested_cents,
            "applied_on": applied_on,
            "is_public": is_public,
        }
    )
    number = next_number("project")
    fund = Fund(
        code=f"projekt-{number:04d}",
        name=f"Projekt: {values['title']}"[:200],
        is_earmarked=True,
    )
    db.session.add(fund)
    db.session.flush()
    project = Project(
        applicant_id=applicant.id, fund_id=fund.id, created_by_id=actor_id(actor), **values
    )
    db.session.add(project)
    db.session.flush()
    audit.record(
        actor,
        "projects.created",
        project,
        {**values, "applicant_id": applicant.id, "fund": fund.code},
    )
    return project


def update_project(project: Project, *, actor, **fields) -> dict:
    """Change an application's details (not after closing); returns {field: (old, new)}."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(_("Unbekanntes Feld: %(names)s", names=", ".join(sorted(unknown))))
    if project.status == ProjectStatus.CLOSED:
        raise DomainError(_("Ein abgeschlossenes Projekt kann nicht mehr geändert werden."))
    values = _check_values(fields)
    changes = {
        key: (getattr(project, key), value)
        for key, value in values.items()
        if getattr(project, key) != value
    }
    for key, (_old, new) in changes.items():
        setattr(project, key, new)
    if "title" in changes:
        project.fund.name = f"Projekt: {project.title}"[:200]
    db.session.flush()
    if changes:
        audit.record(actor, "projects.updated", project, {"changes": changes})
    return changes


def approve_project(
    project: Project,
    *,
    resolution_date: date,
    amount_cents: int,
    actor,
    note: str = "",
    override_reason: str | None = None,
) -> Grant:
    """Record the board's resolution approving `amount_cents` (a commitment).

    Refused beyond the free money (general fund minus uncovered commitments) unless an
    explicit override reason is given; then the excess is recorded with the grant.
    """
    lock_general_fund()
    project = lock_project(project)
    if project.status not in (ProjectStatus.APPLIED, ProjectStatus.APPROVED):
        raise DomainError(
            _("Nur beantragte oder bereits bewilligte Projekte können (weitere) Mittel erhalten.")
        )
    check_amount(amount_cents, "amount")
    check_decision_date(project, resolution_date, "resolution_date")
    effect = approval_effect(project, amount_cents)
    free, over = effect.free_cents, effect.over_cents
    reason = (override_reason or "").strip() or None
    if over and reason is None:
        raise ValidationError(
            _(
                "Die Bewilligung übersteigt die freien Mittel (%(free)s) um %(over)s. "
                "Sie ist nur mit einer ausdrücklichen Begründung möglich.",
                free=format_cents(max(free, 0)),
                over=format_cents(over),
            ),
            field="override_reason",
        )
    grant = Grant(
        project_id=project.id,
        resolution_date=resolution_date,
        amount_cents=amount_cents,
        note=(note or "").strip(),
        over_free_cents=over,
        override_reason=reason if over else None,
        created_by_id=actor_id(actor),
    )
    db.session.add(grant)
    project.status = ProjectStatus.APPROVED
    db.session.flush()
    audit.record(
        actor,
        "grants.approved",
        project,
        {
            "grant_id": grant.id,
            "resolution_date": resolution_date,
            "amount_cents": amount_cents,
            "free_cents_before": free,
            "over_free_cents": over,
            **({"override_reason": reason} if over else {}),
        },
    )
    return grant


def reject_project(project: Project, *, decided_on: date, actor, note: str = "") -> Project:
    """Record the board's rejection of an application."""
    project = lock_project(project)
    if project.status != ProjectStatus.APPLIED:
        raise DomainError(_("Nur ein beantragtes Projekt kann abgelehnt werden."))
    check_decision_date(project, decided_on, "decided_on")
    project.status = ProjectStatus.REJECTED
    project.rejected_on = decided_on
    project.rejection_note = (note or "").strip()
    db.session.flush()
    audit.record(actor, "projects.rejected", project, {"decided_on": decided_on, "note": note})
    return project


def revoke_grant(grant: Grant, *, revoked_on: date, reason: str, actor) -> Grant:
    """Revoke a resolution (it stays on file, marked); what was paid must stay covered."""
    project = lock_project(grant.project)
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise ValidationError(_("Bitte einen Grund für die Rücknahme angeben."), field="reason")
    if grant.revoked_on is not None:
        raise DomainError(_("Diese Bewilligung wurde bereits zurückgenommen."))
    if project.status == ProjectStatus.CLOSED:
        raise DomainError(_("Ein abgeschlossenes Projekt kann nicht mehr geändert werden."))
    if revoked_on < grant.resolution_date:
        raise ValidationError(
            _("Die Rücknahme kann nicht vor dem Beschluss liegen."), field="revoked_on"
        )
    sums = sums_of(project)
    if sums.approved_cents - grant.amount_cents < sums.paid_cents:
        raise DomainError(
            _(
                "Es wurden bereits %(paid)s ausgezahlt; ohne diese Bewilligung wären nur "
                "%(left)s bewilligt.",
                paid=format_cents(sums.paid_cents),
                left=format_cents(sums.approved_cents - grant.amount_cents),
            )
        )
    grant.revoked_on = revoked_on
    grant.revoke_reason = reason
    if sums.approved_cents - grant.amount_cents == 0 and project.status == ProjectStatus.APPROVED:
        project.status = ProjectStatus.APPLIED
    db.session.flush()
    audit.record(
        actor,
        "grants.revoked",
        project,
        {"grant_id": grant.id, "amount_cents": grant.amount_cents, "reason": reason},
    )
    return grant


def record_proof(project: Project, *, received_on: date, actor, note: str = "") -> Project:
    """Record that the proof of use (Verwendungsnachweis) has arrived."""
    project = lock_project(project)
    if project.status != ProjectStatus.APPROVED:
        raise DomainError(_("Ein Verwendungsnachweis gehört zu einem bewilligten Projekt."))
    if sums_of(project).paid_cents <= 0:
        raise DomainError(
            _("Es wurde noch nichts ausgezahlt; ein Verwendungsnachweis kommt danach.")
        )
    check_decision_date(project, received_on, "received_on")
    project.status = ProjectStatus.PROOF_RECEIVED
    project.proof_received_on = received_on
    project.proof_note = (note or "").strip()
    db.session.flush()
    audit.record(actor, "projects.proof_received", project, {"received_on": received_on})
    return project


def close_project(
    project: Project,
    *,
    closed_on: date,
    actor,
    note: str = "",
    release_rest: bool = False,
) -> Project:
    """Close a project after its proof of use (or after a rejection).

    Its fund must be empty: with `release_rest` the rest goes back to the general fund in a
    booking dated `closed_on`. The fund is then deactivated, so nothing can be booked on it.
    """
    project = lock_project(project)
    if project.status not in (ProjectStatus.PROOF_RECEIVED, ProjectStatus.REJECTED):
        raise DomainError(
            _(
                "Abschließen lässt sich ein Projekt nach dem Verwendungsnachweis "
                "oder nach einer Ablehnung."
            )
        )
    check_decision_date(project, closed_on, "closed_on")
    fund_cents = sums_of(project).fund_cents
    if fund_cents < 0:
        raise DomainError(
            _(
                "Der Projektfonds steht bei %(balance)s; bitte erst ausgleichen.",
                balance=format_cents(fund_cents),
            )
        )
    if fund_cents > 0:
        if not release_rest:
            raise ValidationError(
                _(
                    "Im Projektfonds sind noch %(rest)s. Bitte die Rückbuchung in den "
                    "allgemeinen Fonds bestätigen.",
                    rest=format_cents(fund_cents),
                ),
                field="release_rest",
            )
        release_funds(
            project,
            amount_cents=fund_cents,
            booking_date=closed_on,
            reason=_("Restmittel bei Abschluss"),
            actor=actor,
        )
    project.status = ProjectStatus.CLOSED
    project.closed_on = closed_on
    project.close_note = (note or "").strip()
    project.fund.is_active = False
    db.session.flush()
    audit.record(
        actor,
        "projects.closed",
        project,
        {"closed_on": closed_on, "released_cents": max(fund_cents, 0)},
    )
    return project
