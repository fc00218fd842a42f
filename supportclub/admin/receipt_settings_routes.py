"""The receipts section of the settings: what receipts print and how they are sent, the facsimile
signature, and whether receipts can be issued today (§ 63 Abs. 5 AO)."""

import base64

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from supportclub.admin import bp
from supportclub.admin.services import get_settings
from supportclub.auth.models import Role
from supportclub.clock import today
from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.forms import apply_domain_error
from supportclub.i18n import _
from supportclub.permissions import role_required
from supportclub.receipts.forms import ReceiptSettingsForm, SignatureForm
from supportclub.receipts.issuer import check_gate
from supportclub.receipts.settings_service import RECEIPT_FIELDS, update_receipt_settings
from supportclub.receipts.signature import (
    MAX_BYTES,
    read_signature,
    remove_signature,
    store_signature,
)

# service field names -> form field names
FIELD_ALIASES = {"receipt_min_cents": "receipt_min"}


def _values(form: ReceiptSettingsForm) -> dict:
    """The settings from the form, named as the service names them."""
    values = {
        name: getattr(form, FIELD_ALIASES.get(name, name)).data
        for name in RECEIPT_FIELDS
        if name != "receipt_min_cents"
    }
    values["receipt_min_cents"] = form.receipt_min.data or 0
    return values


def _apply(form, exc: DomainError) -> None:
    """A service error at its form field."""
    if exc.field in FIELD_ALIASES:
        exc.field = FIELD_ALIASES[exc.field]
    apply_domain_error(form, exc)


def _save(form: ReceiptSettingsForm) -> bool:
    """Save the settings form; True when saved."""
    if not form.validate():
        return False
    try:
        update_receipt_settings(_values(form), actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        _apply(form, exc)
        return False
    db.session.commit()
    flash(_("Die Einstellungen für Zuwendungsbestätigungen wurden gespeichert."), "success")
    return True


def _signature(form: SignatureForm) -> bool:
    """Upload or remove the facsimile signature; True when done."""
    if not form.validate():
        return False
    try:
        if form.remove.data:
            remove_signature(actor=current_user)
            message = _("Die Unterschrift wurde entfernt; Bestätigungen werden von Hand signiert.")
        else:
            upload = form.file.data
            data = upload.stream.read(MAX_BYTES + 1) if upload else None
            store_signature(data, actor=current_user)
            message = _("Die Unterschrift wurde gespeichert.")
    except DomainError as exc:
        db.session.rollback()
        apply_domain_error(form, exc)
        return False
    db.session.commit()
    flash(message, "success")
    return True


def _signature_preview(key: str | None) -> str | None:
    """The stored signature as a data URL for the page, or None."""
    data = read_signature(key)
    if not data:
        return None
    kind = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"


def _form(cls, prefix: str, *, posted: bool):
    """A form filled from the request when it was the one posted, else empty."""
    return cls(prefix=prefix) if posted else cls(prefix=prefix, formdata=None)


@bp.route("/einstellungen/zuwendungsbestaetigungen", methods=["GET", "POST"])
@role_required(Role.ADMIN, Role.TREASURER)
def receipt_settings():
    """The receipt settings, the facsimile signature and today's issuing gate."""
    settings = get_settings()
    action = request.form.get("action", "") if request.method == "POST" else ""
    # only the posted form reads the request (Flask-WTF adds the uploaded files)
    form = _form(ReceiptSettingsForm, "s", posted=action == "settings")
    signature = _form(SignatureForm, "sig", posted=action == "signature")
    if action != "settings":
        for name in RECEIPT_FIELDS:
            if name != "receipt_min_cents":
                getattr(form, name).data = getattr(settings, name)
        form.receipt_min.data = settings.receipt_min_cents
    if action == "settings" and _save(form):
        return redirect(url_for("admin.receipt_settings"))
    if action == "signature" and _signature(signature):
        return redirect(url_for("admin.receipt_settings"))
    settings = get_settings()
    status = 422 if request.method == "POST" else 200
    return (
        render_template(
            "admin/receipt_settings.html",
            form=form,
            signature=signature,
            action=action,
            settings=settings,
            gate=check_gate(settings, today()),
            preview=_signature_preview(settings.facsimile_key),
        ),
        status,
    )
