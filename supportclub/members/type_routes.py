"""Membership types and their yearly fee rates: list, create, edit, a new rate from a date on.

Part of the members blueprint (same `bp`, endpoints members.types, members.type_new,
members.type_edit and members.rate_new); the helpers are shared with members.routes.
"""

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from supportclub.clock import today
from supportclub.errors import DomainError, ValidationError
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.members import bp
from supportclub.members.forms import FeeRateForm, MembershipTypeEditForm, MembershipTypeForm
from supportclub.members.models import Membership, MembershipType
from supportclub.members.routes import READERS, WRITERS, _day, _form_error, _get_or_404, _render
from supportclub.members.services import (
    add_fee_rate,
    create_membership_type,
    update_membership_type,
)
from supportclub.money import format_cents
from supportclub.permissions import role_required


def rate_history(mtype: MembershipType) -> str:
    """ "36,00 € ab 01.01.2009 bis 31.12.2024; 48,00 € ab 01.01.2025" """
    parts = []
    for rate in mtype.rates:
        text = _(
            "%(amount)s ab %(start)s",
            amount=format_cents(rate.amount_cents),
            start=_day(rate.valid_from),
        )
        if rate.valid_until is not None:
            text += " " + _("bis %(end)s", end=_day(rate.valid_until))
        parts.append(text)
    return "; ".join(parts)


@bp.route("/arten")
@role_required(*READERS)
def types():
    """Membership types with their fee history and how many members run on each."""
    mtypes = list(
        db.session.execute(
            select(MembershipType)
            .options(selectinload(MembershipType.rates))
            .order_by(MembershipType.sort_order, MembershipType.name)
        ).scalars()
    )
    day = today()
    counts = dict(
        db.session.execute(
            select(Membership.membership_type_id, func.count())
            .where(Membership.start_date <= day)
            .where((Membership.end_date.is_(None)) | (Membership.end_date >= day))
            .group_by(Membership.membership_type_id)
        ).all()
    )
    return render_template(
        "members/types.html", types=mtypes, counts=counts, rate_history=rate_history
    )


@bp.route("/arten/neu", methods=["GET", "POST"])
@role_required(*WRITERS)
def type_new():
    """A new membership type, optionally with its first yearly fee."""
    form = MembershipTypeForm()
    if request.method == "GET":
        form.valid_from.data = date(today().year, 1, 1)
    if form.validate_on_submit():
        try:
            mtype = create_membership_type(
                code=form.code.data,
                name=form.name.data,
                description=form.description.data or "",
                sort_order=form.sort_order.data or 0,
                actor=current_user,
            )
            if form.amount.data is not None:
                if form.valid_from.data is None:
                    raise ValidationError(
                        _("Bitte angeben, ab wann der Beitrag gilt."), field="valid_from"
                    )
                add_fee_rate(
                    mtype,
                    valid_from=form.valid_from.data,
                    amount_cents=form.amount.data,
                    actor=current_user,
                )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Die Mitgliedsart %(name)s wurde angelegt.", name=mtype.name), "success")
            return redirect(url_for("members.types"))
    return _render("members/type_form.html", form=form, mtype=None)


@bp.route("/arten/<int:type_id>", methods=["GET", "POST"])
@role_required(*WRITERS)
def type_edit(type_id: int):
    """Rename, describe or (de)activate a membership type."""
    mtype = _get_or_404(MembershipType, type_id)
    form = MembershipTypeEditForm(obj=mtype)
    if form.validate_on_submit():
        try:
            update_membership_type(
                mtype,
                name=form.name.data,
                description=form.description.data or "",
                is_active=bool(form.is_active.data),
                actor=current_user,
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Die Mitgliedsart wurde gespeichert."), "success")
            return redirect(url_for("members.types"))
    return _render("members/type_form.html", form=form, mtype=mtype, rates=rate_history(mtype))


@bp.route("/arten/<int:type_id>/satz", methods=["GET", "POST"])
@role_required(*WRITERS)
def rate_new(type_id: int):
    """A new yearly fee from a date on; claims already created keep their amounts."""
    mtype = _get_or_404(MembershipType, type_id)
    form = FeeRateForm()
    if request.method == "GET":
        form.valid_from.data = date(today().year + 1, 1, 1)
    if form.validate_on_submit():
        try:
            rate = add_fee_rate(
                mtype,
                valid_from=form.valid_from.data,
                amount_cents=form.amount.data,
                actor=current_user,
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(
                _(
                    "Neuer Beitrag für %(name)s: %(amount)s ab %(start)s.",
                    name=mtype.name,
                    amount=format_cents(rate.amount_cents),
                    start=_day(rate.valid_from),
                ),
                "success",
            )
            return redirect(url_for("members.types"))
    return _render("members/rate_form.html", form=form, mtype=mtype, rates=rate_history(mtype))
