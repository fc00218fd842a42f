"""Mein Konto: every view shows the logged-in user's own person, never one named in the URL."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from supportclub.dues.models import ClaimStatus
from supportclub.dues.queries import member_account
from supportclub.errors import DomainError, ValidationError
from supportclub.extensions import db
from supportclub.forms import apply_domain_error
from supportclub.ledger.models import Booking
from supportclub.members.services import SELF_SERVICE_FIELDS, clean_person_values, update_person
from supportclub.members.validation import format_iban
from supportclub.permissions import login_required_any_role
from supportclub.portal import bp
from supportclub.portal.forms import OwnDataForm
from supportclub.portal.queries import payment_rows, visible_lines

STATUS_LABELS = {
    ClaimStatus.OPEN: _l("offen"),
    ClaimStatus.PARTLY_PAID: _l("teilweise bezahlt"),
    ClaimStatus.PAID: _l("bezahlt"),
    ClaimStatus.WAIVED: _l("erlassen"),
}


def _no_person():
    """A friendly page for a login that has no member record (staff, or not yet linked)."""
    return render_template("portal/no_person.html")


@bp.route("")
@login_required_any_role
def account():
    """The member's memberships, dues per year, payments and contact data."""
    person = current_user.person
    if person is None:
        return _no_person()
    dues = member_account(person.id)
    return render_template(
        "portal/account.html",
        person=person,
        dues=dues,
        payments=payment_rows(person.id, dues),
        status_labels=STATUS_LABELS,
        iban=format_iban(person.iban),
    )


def _unchanged(name: str, value: str, person) -> bool:
    """True when the submitted value is what is stored (IBAN spacing and case do not count)."""
    stored = getattr(person, name) or ""
    if name == "iban":
        return value.replace(" ", "").upper() == stored
    if name == "email":
        return value.lower() == stored
    return value == stored


def _changed_values(form: OwnDataForm, person) -> dict:
    """The fields the member actually changed (an unchanged value is not checked again)."""
    return {
        name: value for name, value in form.values().items() if not _unchanged(name, value, person)
    }


def _check_each(form: OwnDataForm, values: dict) -> bool:
    """Check every changed field on its own so each error shows at its field; True when ok."""
    ok = True
    for name, value in values.items():
        try:
            clean_person_values({name: value})
        except ValidationError as exc:
            apply_domain_error(form, exc)
            ok = False
    return ok


@bp.route("/daten", methods=["GET", "POST"])
@login_required_any_role
def edit():
    """Change one's own address, e-mail, phone and IBAN (audited); nothing else."""
    person = current_user.person
    if person is None:
        return _no_person()
    form = OwnDataForm()
    if request.method == "GET":
        for name in SELF_SERVICE_FIELDS:
            getattr(form, name).data = getattr(person, name) or ""
        form.iban.data = format_iban(person.iban)
    if form.validate_on_submit():
        values = _changed_values(form, person)
        if _check_each(form, values):
            try:
                changes = update_person(
                    person, actor=current_user, action="persons.self_updated", **values
                )
            except DomainError as exc:
                db.session.rollback()
                apply_domain_error(form, exc)
            else:
                db.session.commit()
                if not changes:
                    flash(_("Es gab nichts zu ändern."), "info")
                    return redirect(url_for("portal.account"))
                flash(
                    _(
                        "Ihre Daten sind gespeichert. Die Kasse des Vereins sieht, was sich "
                        "geändert hat."
                    ),
                    "success",
                )
                if "email" in changes and person.email != current_user.email:
                    flash(
                        _(
                            "Ihre Anmeldeadresse bleibt %(login)s; sie wird vom Verein geändert.",
                            login=current_user.email,
                        ),
                        "info",
                    )
                return redirect(url_for("portal.account"))
    status = 422 if form.errors else 200
    return render_template("portal/edit.html", form=form, person=person), status


@bp.route("/zahlungen/<int:booking_id>")
@login_required_any_role
def payment(booking_id: int):
    """One payment of the member (or the share of a payer's booking for their dues)."""
    person = current_user.person
    booking = db.get_or_404(Booking, booking_id)
    lines = visible_lines(person.id, booking) if person is not None else []
    if not lines:
        abort(403)
    own = booking.person_id == person.id
    return render_template(
        "portal/payment.html",
        booking=booking,
        lines=lines,
        own=own,
        amount_cents=booking.amount_cents if own else sum(line.amount_cents for line in lines),
    )
