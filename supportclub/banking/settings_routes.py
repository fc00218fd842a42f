"""The direct-debit settings page (admin and treasurer): Gläubiger-ID, BIC, pre-notification."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from supportclub.auth.models import Role
from supportclub.banking import bp
from supportclub.banking.collection_forms import DirectDebitSettingsForm
from supportclub.banking.settings import direct_debit_settings, update_direct_debit_settings
from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.forms import apply_domain_error
from supportclub.i18n import _
from supportclub.members.validation import format_iban
from supportclub.permissions import role_required


def _save(form: DirectDebitSettingsForm) -> bool:
    """Validate and save; True when saved (and committed)."""
    if not form.validate_on_submit():
        return False
    try:
        update_direct_debit_settings(
            {
                "creditor_id": form.creditor_id.data,
                "creditor_bic": form.creditor_bic.data,
                "prenotification_days": form.prenotification_days.data,
            },
            actor=current_user,
        )
    except DomainError as exc:
        db.session.rollback()
        apply_domain_error(form, exc)
        return False
    db.session.commit()
    flash(_("Die Lastschrift-Einstellungen wurden gespeichert."), "success")
    return True


@bp.route("/verwaltung/einstellungen/lastschrift", methods=["GET", "POST"])
@role_required(Role.ADMIN, Role.TREASURER)
def settings():
    """Gläubiger-ID, BIC and pre-notification days; the bank IBAN and the creditor name."""
    values = direct_debit_settings()
    form = DirectDebitSettingsForm()
    if request.method == "GET":
        form.creditor_id.data = values.creditor_id
        form.creditor_bic.data = values.creditor_bic
        form.prenotification_days.data = values.prenotification_days
    elif _save(form):
        return redirect(url_for("banking.settings"))
    return (
        render_template(
            "banking/settings.html",
            form=form,
            values=values,
            bank_iban=format_iban(values.bank_iban) if values.bank_iban else "",
        ),
        422 if request.method == "POST" else 200,
    )
