"""Settings, users and the audit trail."""

from datetime import datetime, time

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from supportclub import MAX_DB_INT
from supportclub.admin import bp
from supportclub.admin.forms import AuditFilterForm, SettingsForm, UserCreateForm, UserEditForm
from supportclub.admin.services import (
    EDITABLE_FIELDS,
    bank_iban,
    get_settings,
    set_bank_iban,
    update_settings,
)
from supportclub.audit import AuditEntry
from supportclub.auth import totp
from supportclub.auth.models import Role, User
from supportclub.auth.services import create_user, set_password, update_user
from supportclub.clock import LOCAL_TZ
from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.forms import EmptyForm, apply_domain_error
from supportclub.ledger.models import Person
from supportclub.members.validation import format_iban
from supportclub.permissions import AUDIT_READERS, role_required

AUDIT_PER_PAGE = 100


def _check_person(form) -> bool:
    """The person number, if given, must exist."""
    if form.person_id.data and db.session.get(Person, form.person_id.data) is None:
        form.person_id.errors = [*form.person_id.errors, _("Diese Person gibt es nicht.")]
        return False
    return True


@bp.route("/einstellungen", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def settings():
    """The association's data used on receipts and reports."""
    current = get_settings()
    form = SettingsForm(obj=current)
    if request.method == "GET":
        form.exemption_kind.data = current.exemption_kind.value
        form.bank_iban.data = format_iban(bank_iban())
    if form.validate_on_submit():
        values = {field: getattr(form, field).data for field in EDITABLE_FIELDS}
        values["grants_before_cents"] = values["grants_before_cents"] or 0
        try:
            update_settings(values, actor=current_user)
            set_bank_iban(form.bank_iban.data, actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            db.session.commit()
            flash(_("Die Einstellungen wurden gespeichert."), "success")
            return redirect(url_for("admin.settings"))
    return render_template("admin/settings.html", form=form)


@bp.route("/zugaenge")
@role_required(Role.ADMIN)
def users():
    """All logins with role and last login."""
    rows = db.session.execute(select(User).order_by(User.role, User.email)).scalars().all()
    return render_template("admin/users.html", users=rows)


@bp.route("/zugaenge/neu", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def user_create():
    """Create a login."""
    form = UserCreateForm()
    if form.validate_on_submit() and _check_person(form):
        try:
            create_user(
                email=form.email.data,
                password=form.password.data,
                role=form.role.data,
                person_id=form.person_id.data or None,
                actor=current_user,
            )
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            db.session.commit()
            flash(_("Der Zugang wurde angelegt."), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/zugaenge/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def user_edit(user_id: int):
    """Change role, active flag, linked person or password of a login."""
    user = db.session.get(User, user_id) or abort(404)
    form = UserEditForm(obj=user)
    if request.method == "GET":
        form.role.data = user.role.value
    if form.validate_on_submit() and _check_person(form):
        try:
            update_user(
                user,
                role=form.role.data,
                is_active=form.is_active.data,
                person_id=form.person_id.data or None,
                actor=current_user,
            )
            if form.new_password.data:
                set_password(user, new=form.new_password.data, actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            db.session.commit()
            flash(_("Der Zugang wurde gespeichert."), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user, totp_form=EmptyForm())


@bp.route("/zugaenge/<int:user_id>/zweiter-faktor-zuruecksetzen", methods=["POST"])
@role_required(Role.ADMIN)
def user_totp_reset(user_id: int):
    """Switch another user's second factor off (a lost phone); their sessions end."""
    user = db.session.get(User, user_id) or abort(404)
    if not EmptyForm().validate_on_submit():
        flash(_("Das Formular war abgelaufen. Bitte erneut senden."), "error")
        return redirect(url_for("admin.user_edit", user_id=user.id))
    try:
        totp.reset(user, actor=current_user._get_current_object())
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(
            _(
                "Der zweite Faktor von %(email)s ist zurückgesetzt; die Anmeldungen dieses "
                "Zugangs sind beendet.",
                email=user.email,
            ),
            "success",
        )
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/protokoll")
@role_required(*AUDIT_READERS)
def audit_log():
    """The audit trail, newest first, filterable; read-only for everyone."""
    form = AuditFilterForm(request.args)
    form.validate()
    stmt = select(AuditEntry)
    if form.action.data:
        stmt = stmt.where(AuditEntry.action.like(f"{form.action.data.strip()}%"))
    if form.actor.data:
        stmt = stmt.where(func.lower(AuditEntry.actor_label).like(f"%{form.actor.data.lower()}%"))
    if form.target_type.data:
        stmt = stmt.where(AuditEntry.target_type == form.target_type.data.strip())
    if form.target_id.data is not None and not form.target_id.errors:
        stmt = stmt.where(AuditEntry.target_id == form.target_id.data)
    if form.date_from.data and not form.date_from.errors:
        start = datetime.combine(form.date_from.data, time.min, LOCAL_TZ)
        stmt = stmt.where(AuditEntry.created_at >= start)
    if form.date_to.data and not form.date_to.errors:
        end = datetime.combine(form.date_to.data, time.max, LOCAL_TZ)
        stmt = stmt.where(AuditEntry.created_at <= end)
    # a page number far beyond the log is the empty last page, not an OFFSET overflow
    page = min(max(request.args.get("seite", 1, type=int), 1), MAX_DB_INT)
    entries = (
        db.session.execute(
            stmt.order_by(AuditEntry.id.desc())
            .limit(AUDIT_PER_PAGE + 1)
            .offset((page - 1) * AUDIT_PER_PAGE)
        )
        .scalars()
        .all()
    )
    has_next = len(entries) > AUDIT_PER_PAGE
    return render_template(
        "admin/audit.html",
        form=form,
        entries=entries[:AUDIT_PER_PAGE],
        page=page,
        has_next=has_next,
        args={k: v for k, v in request.args.items() if k != "seite" and v},
    )
