"""The treasurer's project actions: approve, reject, revoke, allocate, pay out, proof, close,
release. Each is a form: GET shows it with sensible defaults, POST calls one service, commits,
flashes what happened with the amounts, and goes back to the project (POST-redirect-GET)."""

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice as C

from supportclub.clock import today
from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.ledger.models import Account
from supportclub.money import MoneyError, format_cents, format_input, parse_amount
from supportclub.permissions import BOOK_WRITERS, role_required
from supportclub.projects import bp
from supportclub.projects.forms import (
    STAGE_LABELS,
    AllocateForm,
    ApproveForm,
    CloseForm,
    PayoutForm,
    ProofForm,
    RejectForm,
    ReleaseForm,
    RevokeForm,
)
from supportclub.projects.models import DocumentKind, Grant, Project
from supportclub.projects.queries import approval_effect, free_money, sums_of
from supportclub.projects.routes import (
    apply_error,
    commit_keeping_files,
    get_project,
    storage_keys,
    store_upload,
)
from supportclub.projects.rules import available_actions, can_revoke
from supportclub.projects.services import (
    allocate_funds,
    approve_project,
    close_project,
    record_payout,
    record_proof,
    reject_project,
    release_funds,
    revoke_grant,
)


def _action(
    project: Project,
    allowed: bool,
    form,
    template: str,
    perform: Callable,
    context: Callable | None = None,
    *,
    aliases: dict | None = None,
    files: list[str] | None = None,
):
    """Show an action's form; on POST perform it, commit, flash its message, back to the project.

    `perform(form)` calls the service and returns the message; `context(form)` gives the
    template what the page shows beside the form (computed after a refusal, too).
    """
    detail = url_for("projects.detail", project_id=project.id)
    if request.method == "GET" and not allowed:
        stage = STAGE_LABELS[sums_of(project).stage]
        flash(_("Das ist im Stand „%(stage)s“ nicht möglich.", stage=stage), "error")
        return redirect(detail)
    if form.validate_on_submit():
        try:
            message = perform(form)
        except DomainError as exc:
            db.session.rollback()
            apply_error(form, exc, aliases)
        else:
            commit_keeping_files(files or [])
            flash(message, "success")
            return redirect(detail)
    extra = context(form) if context else {}
    status = 422 if request.method == "POST" else 200
    return (
        render_template(template, form=form, project=project, sums=sums_of(project), **extra),
        status,
    )


def _allowed(project: Project, action: str) -> bool:
    """True when the project's state allows `action` now."""
    return action in available_actions(project, sums_of(project))


def _amount_or_zero(form) -> int:
    """The parsed amount of a form, or 0 when it is missing or invalid."""
    return form.amount.data if isinstance(form.amount.data, int) else 0


# Decisions ------------------------------------------------------------------------------------


@bp.route("/<int:project_id>/bewilligen", methods=["GET", "POST"])
@role_required(*BOOK_WRITERS)
def approve(project_id: int):
    """Record the board's approval; beyond free money only with a recorded reason."""
    project = get_project(project_id)
    form = ApproveForm()
    if request.method == "GET":
        form.resolution_date.data = today()
        rest = project.requested_cents - sums_of(project).approved_cents
        form.amount.data = rest if rest > 0 else None

    def perform(form):
        grant = approve_project(
            project,
            resolution_date=form.resolution_date.data,
            amount_cents=form.amount.data,
            actor=current_user,
            note=form.note.data or "",
            override_reason=form.override_reason.data or None,
        )
        message = _(
            "Bewilligung über %(amount)s für „%(title)s“ erfasst (Beschluss vom %(day)s).",
            amount=format_cents(grant.amount_cents),
            title=project.title,
            day=grant.resolution_date.strftime("%d.%m.%Y"),
        )
        if grant.over_free_cents:
            message += " " + _(
                "Sie übersteigt die freien Mittel um %(over)s; die Begründung ist gespeichert.",
                over=format_cents(grant.over_free_cents),
            )
        return message

    def context(form):
        amount = _amount_or_zero(form)
        return {"effect": approval_effect(project, amount), "amount_cents": amount}

    return _action(
        project, _allowed(project, "approve"), form, "projects/approve.html", perform, context
    )


@bp.route("/<int:project_id>/ablehnen", methods=["GET", "POST"])
@role_required(*BOOK_WRITERS)
def reject(project_id: int):
    """Record the board's rejection of an application."""
    project = get_project(project_id)
    form = RejectForm()
    if request.method == "GET":
        form.decided_on.data = today()

    def perform(form):
        reject_project(
            project, decided_on=form.decided_on.data, actor=current_user, note=form.note.data or ""
        )
        return _("Der Antrag „%(title)s“ wurde abgelehnt.", title=project.title)

    return _action(project, _allowed(project, "reject"), form, "projects/reject.html", perform)


@bp.route(
    "/bewilligungen/<int:grant_id>/zuruecknehmen", methods=["GET", "POST"], endpoint="revoke_grant"
)
@role_required(*BOOK_WRITERS)
def revoke_grant_view(grant_id: int):
    """Revoke a resolution with a reason; it stays on file, struck through."""
    grant = db.session.get(Grant, grant_id) or abort(404)
    project = get_project(grant.project_id)
    form = RevokeForm()
    if request.method == "GET":
        form.revoked_on.data = today()

    def perform(form):
        revoke_grant(
            grant, revoked_on=form.revoked_on.data, reason=form.reason.data, actor=current_user
        )
        return _(
            "Die Bewilligung über %(amount)s vom %(day)s wurde zurückgenommen.",
            amount=format_cents(grant.amount_cents),
            day=grant.resolution_date.strftime("%d.%m.%Y"),
        )

    allowed = can_revoke(project, grant, sums_of(project))
    return _action(
        project, allowed, form, "projects/revoke.html", perform, lambda form: {"grant": grant}
    )


# Money ----------------------------------------------------------------------------------------


def _prefill_amount(form, default: int) -> None:
    """Prefill the amount from ?betrag= (e.g. the missing part of a payout), else `default`."""
    try:
        form.amount.data = parse_amount(request.args.get("betrag", ""))
    except MoneyError:
        form.amount.data = default if default > 0 else None


@bp.route("/<int:project_id>/zuweisen", methods=["GET", "POST"])
@role_required(*BOOK_WRITERS)
def allocate(project_id: int):
    """Move money from the general fund into the project's fund."""
    project = get_project(project_id)
    form = AllocateForm()
    if request.method == "GET":
        form.booking_date.data = today()
        _prefill_amount(form, sums_of(project).uncovered_cents)

    def perform(form):
        booking = allocate_funds(
            project,
            amount_cents=form.amount.data,
            booking_date=form.booking_date.data,
            actor=current_user,
            text=form.text.data or "",
        )
        return _(
            "%(amount)s aus dem allgemeinen Fonds dem Projekt „%(title)s“ zugewiesen "
            "(Buchung %(id)s).",
            amount=format_cents(form.amount.data),
            title=project.title,
            id=booking.id,
        )

    return _action(
        project,
        _allowed(project, "allocate"),
        form,
        "projects/allocate.html",
        perform,
        lambda form: {"general_cents": free_money().general_cents},
    )


def _account_choices() -> list[C]:
    """Accounts a payout leaves from by hand: active ones except the Stripe balance."""
    accounts = db.session.execute(
        select(Account)
        .where(Account.is_active.is_(True), Account.code != "stripe")
        .order_by(Account.id)
    ).scalars()
    return [C(a.id, a.name) for a in accounts]


@bp.route("/<int:project_id>/auszahlen", methods=["GET", "POST"])
@role_required(*BOOK_WRITERS)
def payout(project_id: int):
    """Pay (part of) the approved grant out of the project's fund."""
    project = get_project(project_id)
    form = PayoutForm()
    form.account_id.choices = _account_choices()
    if request.method == "GET":
        sums = sums_of(project)
        form.booking_date.data = today()
        form.account_id.data = db.session.execute(
            select(Account.id).filter_by(code="bank")
        ).scalar()
        default = min(sums.approved_cents - sums.paid_cents, max(sums.fund_cents, 0))
        form.amount.data = default if default > 0 else None

    def perform(form):
        booking = record_payout(
            project,
            amount_cents=form.amount.data,
            booking_date=form.booking_date.data,
            account_id=form.account_id.data,
            actor=current_user,
            text=form.text.data or "",
        )
        return _(
            "Auszahlung über %(amount)s an %(name)s gebucht (Buchung %(id)s).",
            amount=format_cents(form.amount.data),
            name=project.applicant.display_name,
            id=booking.id,
        )

    return _action(
        project,
        _allowed(project, "payout"),
        form,
        "projects/payout.html",
        perform,
        lambda form: _missing_link(project, form),
    )


def _missing_link(project: Project, form) -> dict:
    """After a payout the fund cannot cover: the missing amount and a prefilled allocation."""
    if request.method != "POST" or not isinstance(form.amount.data, int):
        return {}
    sums = sums_of(project)
    amount = form.amount.data
    if amount > sums.approved_cents - sums.paid_cents or amount <= sums.fund_cents:
        return {}
    missing = amount - max(sums.fund_cents, 0)
    return {
        "missing_cents": missing,
        "allocate_url": url_for(
            "projects.allocate", project_id=project.id, betrag=format_input(missing)
        ),
    }


@bp.route("/<int:project_id>/rueckbuchung", methods=["GET", "POST"])
@role_required(*BOOK_WRITERS)
def release(project_id: int):
    """Book money the project will not use from its fund back to the general fund."""
    project = get_project(project_id)
    form = ReleaseForm()
    if request.method == "GET":
        form.booking_date.data = today()
        fund = sums_of(project).fund_cents
        form.amount.data = fund if fund > 0 else None

    def perform(form):
        booking = release_funds(
            project,
            amount_cents=form.amount.data,
            booking_date=form.booking_date.data,
            reason=form.reason.data,
            actor=current_user,
        )
        return _(
            "%(amount)s aus dem Projektfonds in den allgemeinen Fonds zurückgebucht "
            "(Buchung %(id)s).",
            amount=format_cents(form.amount.data),
            id=booking.id,
        )

    return _action(project, _allowed(project, "release"), form, "projects/release.html", perform)


# Proof and closing ----------------------------------------------------------------------------


@bp.route("/<int:project_id>/nachweis", methods=["GET", "POST"])
@role_required(*BOOK_WRITERS)
def proof(project_id: int):
    """Record the proof of use, optionally with its document."""
    project = get_project(project_id)
    form = ProofForm()
    files: list[str] = []
    if request.method == "GET":
        form.received_on.data = today()

    def perform(form):
        record_proof(
            project, received_on=form.received_on.data, actor=current_user, note=form.note.data
        )
        files.extend(storage_keys(store_upload(project, form.file, DocumentKind.PROOF)))
        return _(
            "Verwendungsnachweis vom %(day)s erfasst.",
            day=form.received_on.data.strftime("%d.%m.%Y"),
        )

    return _action(
        project, _allowed(project, "proof"), form, "projects/proof.html", perform, files=files
    )


@bp.route("/<int:project_id>/abschliessen", methods=["GET", "POST"])
@role_required(*BOOK_WRITERS)
def close(project_id: int):
    """Close the project; money left in its fund goes back to the general fund on request."""
    project = get_project(project_id)
    form = CloseForm()
    rest = max(sums_of(project).fund_cents, 0)
    form.release_rest.label.text = _(
        "Restmittel (%(amount)s) in den allgemeinen Fonds zurückbuchen", amount=format_cents(rest)
    )
    if request.method == "GET":
        form.closed_on.data = today()

    def perform(form):
        close_project(
            project,
            closed_on=form.closed_on.data,
            actor=current_user,
            note=form.note.data or "",
            release_rest=bool(form.release_rest.data),
        )
        message = _("Das Projekt „%(title)s“ ist abgeschlossen.", title=project.title)
        if rest and form.release_rest.data:
            message += " " + _(
                "%(amount)s wurden in den allgemeinen Fonds zurückgebucht.",
                amount=format_cents(rest),
            )
        return message

    return _action(
        project,
        _allowed(project, "close"),
        form,
        "projects/close.html",
        perform,
        lambda form: {"rest_cents": rest},
        aliases={"booking_date": "closed_on"},
    )
