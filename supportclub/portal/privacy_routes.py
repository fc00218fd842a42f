"""Mein Konto: the member's own data export (Art. 15 DSGVO); there is no id to change."""

from flask import flash, redirect, url_for
from flask_login import current_user

from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.permissions import login_required_any_role
from supportclub.portal import bp
from supportclub.privacy.export import export_file, file_name
from supportclub.privacy.routes import download


def _own_export(fmt: str):
    person = current_user.person
    if person is None:
        flash(_("Mit Ihrem Zugang ist kein Mitgliedseintrag verbunden."), "info")
        return redirect(url_for("portal.account"))
    body = export_file(person, actor=current_user, fmt=fmt)
    db.session.commit()
    return download(body, fmt, file_name(person, fmt))


@bp.route("/meine-daten.json")
@login_required_any_role
def my_data_json():
    """Everything held about the member's own person, machine-readable."""
    return _own_export("json")


@bp.route("/meine-daten.pdf")
@login_required_any_role
def my_data_pdf():
    """Everything held about the member's own person, as PDF."""
    return _own_export("pdf")
