"""The year's batch over HTTP: the preview, starting it, its progress (polled as JSON), the
print file.

Thin: the preview and the batch are services (receipts.batch); the work runs in the background
(receipts.jobs), so no request waits for a year's receipts. The treasurer starts; admin and
board read the preview and the progress.
"""

from pathlib import Path

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField
from wtforms.validators import InputRequired, NumberRange

from supportclub.admin.services import get_settings
from supportclub.clock import today
from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.permissions import BOOK_READERS, BOOK_WRITERS, can_write_books, role_required
from supportclub.receipts import bp
from supportclub.receipts.batch import (
    FIRST_YEAR,
    BatchLog,
    active_batch,
    batches_of,
    check_year,
    fail_batch,
    is_active,
    is_interrupted,
    plan_year,
    start_batch,
)
from supportclub.receipts.delivery import read_print_file
from supportclub.receipts.jobs import enqueue_batch
from supportclub.receipts.labels import KIND_LABELS
from supportclub.receipts.models import BatchStatus, ReceiptBatch
from supportclub.receipts.storage import ReceiptFileMissing

STATUS_TEXT = {
    BatchStatus.QUEUED: _l("wartet auf den Start"),
    BatchStatus.RUNNING: _l("läuft"),
    BatchStatus.DONE: _l("fertig"),
    BatchStatus.FAILED: _l("unterbrochen"),
}


class BatchStartForm(FlaskForm):
    """Start the year's batch (the button names the year)."""

    year = IntegerField(
        _l("Jahr"),
        validators=[
            InputRequired(message=_l("Bitte das Jahr angeben.")),
            NumberRange(min=FIRST_YEAR, max=9999, message=_l("Bitte ein gültiges Jahr angeben.")),
        ],
    )
    send_mail = BooleanField(_l("per E-Mail versenden, wo erlaubt"), default=True)


class BadYear(Exception):
    """?jahr= is not a year receipts can be made for."""


def _year() -> int:
    """The year asked for (?jahr=), else last year."""
    raw = request.args.get("jahr", "").strip()
    if not raw:
        return today().year - 1
    if not raw.isdigit():
        raise BadYear(_("„%(value)s“ ist keine Jahreszahl.", value=raw[:20]))
    try:
        check_year(int(raw))
    except DomainError as exc:
        raise BadYear(exc.message) from exc
    return int(raw)


def _batch(batch_id: int) -> ReceiptBatch:
    """The batch or 404."""
    return db.session.get(ReceiptBatch, batch_id) or abort(404)


@bp.route("/jahreslauf")
@role_required(*BOOK_READERS)
def batch_preview():
    """Who gets what, who is skipped and why, and (for the treasurer) the start button."""
    try:
        year = _year()
    except BadYear as exc:
        page = render_template("errors/error.html", code=400, title=_("Ungültiges Jahr"), text=exc)
        return page, 400
    plan = plan_year(year)
    settings = get_settings()
    form = BatchStartForm(year=year, send_mail=True)
    batches = batches_of(year)
    return render_template(
        "receipts/batch_preview.html",
        year=year,
        plan=plan,
        form=form,
        running=active_batch(year),
        interrupted=next((b for b in batches if is_interrupted(b)), None),
        batches=batches,
        can_start=can_write_books(current_user),
        mail_allowed=bool(settings.machine_receipts and settings.facsimile_key),
        kind_labels=KIND_LABELS,
        status_text=STATUS_TEXT,
        years=list(range(today().year, max(FIRST_YEAR, today().year - 10) - 1, -1)),
    )


@bp.route("/jahreslauf", methods=["POST"])
@role_required(*BOOK_WRITERS)
def batch_start():
    """Record the batch and hand it to the background; refuse while one runs or the gate fails."""
    form = BatchStartForm()
    year = form.year.data if isinstance(form.year.data, int) else None
    back = url_for("receipts.batch_preview", jahr=year)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return redirect(back)
    try:
        batch = start_batch(form.year.data, current_user, form.send_mail.data)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(back)
    db.session.commit()
    try:
        enqueue_batch(batch.id)
    except DomainError as exc:
        fail_batch(batch.id, exc)
        flash(exc.message, "error")
    else:
        flash(
            _(
                "Die Zuwendungsbestätigungen %(year)s werden erstellt. Sie können diese Seite "
                "verlassen; der Lauf arbeitet im Hintergrund weiter.",
                year=batch.year,
            ),
            "success",
        )
    return redirect(url_for("receipts.batch_progress", batch_id=batch.id))


@bp.route("/jahreslauf/<int:batch_id>")
@role_required(*BOOK_READERS)
def batch_progress(batch_id: int):
    """Done of total, refreshed by receipt-batch.js; the summary when the batch is done."""
    batch = _batch(batch_id)
    return render_template(
        "receipts/batch_progress.html",
        batch=batch,
        log=BatchLog.of(batch),
        active=is_active(batch),
        interrupted=is_interrupted(batch),
        can_start=can_write_books(current_user),
        form=BatchStartForm(year=batch.year, send_mail=batch.send_mail),
        status_text=STATUS_TEXT,
    )


@bp.route("/jahreslauf/<int:batch_id>.json")
@role_required(*BOOK_READERS)
def batch_status(batch_id: int):
    """The counters for the progress page."""
    batch = _batch(batch_id)
    response = jsonify(
        status=str(batch.status),
        done=batch.done,
        total=batch.total,
        issued=batch.issued,
        emailed=batch.emailed,
        to_print=batch.to_print,
        skipped=batch.skipped,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/jahreslauf/<int:batch_id>/druck.pdf")
@role_required(*BOOK_READERS)
def batch_print(batch_id: int):
    """The merged PDF of the receipts to print (window envelopes)."""
    batch = _batch(batch_id)
    if not batch.print_storage_key:
        abort(404)
    try:
        path = read_print_file(batch)
    except ReceiptFileMissing:
        abort(404)
    name = f"Zuwendungsbestaetigungen-{batch.year}-Lauf-{batch.id}-Druck.pdf"
    response = Response(_chunks(path), mimetype="application/pdf")
    response.headers["Content-Length"] = str(path.stat().st_size)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _chunks(path: Path, size: int = 256 * 1024):
    """The file in pieces (a year's print file can be large); closed however the client ends."""
    with path.open("rb") as handle:
        while chunk := handle.read(size):
            yield chunk
