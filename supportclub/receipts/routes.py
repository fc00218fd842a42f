"""Receipt pages: the list, a receipt's page, its stored PDF and a duplicate.

Thin: read the filter, call the queries or the download service, answer. Issuing and revoking
are in issue_routes.py, the reconciliation report in report_routes.py.
"""

from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice as C

from supportclub.clock import today
from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.forms import EmptyForm
from supportclub.i18n import N_, _
from supportclub.money import amount_in_words
from supportclub.permissions import BOOK_READERS, BOOK_WRITERS, can_write_books, role_required
from supportclub.receipts import bp
from supportclub.receipts import queries as q
from supportclub.receipts.content import ReceiptKind
from supportclub.receipts.downloads import duplicate_pdf, receipt_pdf
from supportclub.receipts.forms import ReceiptFilterForm
from supportclub.receipts.labels import (
    CONTRIBUTION_LABELS,
    DELIVERY_LABELS,
    KIND_LABELS,
    KIND_TEMPLATES,
    STATUS_LABELS,
    contribution_label,
)
from supportclub.receipts.models import DonationReceipt
from supportclub.receipts.storage import ReceiptFileMissing, ReceiptFileTampered

HISTORY_TITLES = {
    "receipts.issued": N_("ausgestellt"),
    "receipts.revoked": N_("storniert"),
    "receipts.duplicate_printed": N_("Duplikat gedruckt"),
    "receipts.emailed": N_("per E-Mail verschickt"),
    "receipts.printed": N_("zum Druck gegeben"),
}


@bp.context_processor
def _template_helpers() -> dict:
    """Labels every receipt template uses."""
    return {
        "kind_labels": KIND_LABELS,
        "kind_templates": KIND_TEMPLATES,
        "contribution_labels": CONTRIBUTION_LABELS,
        "contribution_label": contribution_label,
        "delivery_labels": DELIVERY_LABELS,
        "status_labels": STATUS_LABELS,
    }


@bp.app_context_processor
def _person_section() -> dict:
    """`receipt_section(person_id)` for the donor and member pages (templates/receipts/_person)."""
    return {
        "receipt_section": q.person_receipts,
        "receipt_kind_labels": KIND_LABELS,
        "receipt_contribution_label": contribution_label,
    }


def safe_next(target: str | None) -> str | None:
    """Only go back to a path on this site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target[1:2] in ("/", "\\"):
        return None
    return target


def get_receipt(receipt_id: int) -> DonationReceipt:
    """The receipt, or 404."""
    return db.session.get(DonationReceipt, receipt_id) or abort(404)


def pdf_response(data: bytes, filename: str):
    """A PDF shown in the browser, never cached or sniffed."""
    response = current_app.response_class(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def file_name(receipt: DonationReceipt, suffix: str = "") -> str:
    """ "Zuwendungsbestaetigung-2025-0001.pdf"."""
    return f"Zuwendungsbestaetigung-{receipt.number}{suffix}.pdf"


def file_error(exc: DomainError):
    """The error page for a missing or altered PDF."""
    if isinstance(exc, ReceiptFileMissing):
        code, title = 404, _("Datei fehlt")
    elif isinstance(exc, ReceiptFileTampered):
        code, title = 500, _("Datei verändert")
    else:
        code, title = 422, _("Nicht möglich")
    return render_template("errors/error.html", code=code, title=title, text=exc.message), code


# List -----------------------------------------------------------------------------------------


def _list_filter(form: ReceiptFilterForm) -> q.ReceiptFilter:
    """The filter of the (validated) form; invalid values are ignored."""
    form.validate()
    for name in ("jahr", "art", "status", "person", "q"):
        if getattr(form, name).errors:
            getattr(form, name).data = None
    year = form.jahr.data if form.jahr.data and 1900 <= form.jahr.data <= 2200 else None
    person = form.person.data if form.person.data and 0 < form.person.data < 2**31 else None
    return q.ReceiptFilter(
        year=year,
        person_id=person,
        kind=ReceiptKind(form.art.data) if form.art.data else None,
        status=form.status.data or None,
        query=(form.q.data or "").strip(),
    )


@bp.route("")
@role_required(*BOOK_READERS)
def index():
    """All receipts, newest first, by year, donor, kind, status and number or name."""
    form = ReceiptFilterForm(request.args)
    flt = _list_filter(form)
    years = q.receipt_years()
    if flt.year is not None and flt.year not in years:
        years = sorted([*years, flt.year], reverse=True)  # asked for, even if still empty
    form.jahr.choices = [C("", _("alle"))] + [C(y, str(y)) for y in years]
    totals = q.list_totals(flt)
    pages = max((totals.count + q.PER_PAGE - 1) // q.PER_PAGE, 1)
    page = min(max(request.args.get("seite", 1, type=int), 1), pages)
    args = {k: v for k, v in request.args.items() if k != "seite" and v}
    return render_template(
        "receipts/index.html",
        form=form,
        rows=q.list_receipts(flt, page=page),
        totals=totals,
        page=page,
        pages=pages,
        args=args,
        without_person={k: v for k, v in args.items() if k != "person"},
        batch_year=today().year - 1,
    )


# A receipt ------------------------------------------------------------------------------------


@bp.route("/<int:receipt_id>")
@role_required(*BOOK_READERS)
def detail(receipt_id: int):
    """A receipt: its data, contributions with their bookings, status and history."""
    receipt = get_receipt(receipt_id)
    return render_template(
        "receipts/detail.html",
        receipt=receipt,
        items=q.receipt_items(receipt),
        history=q.receipt_history(receipt),
        history_titles=HISTORY_TITLES,
        in_words=amount_in_words(receipt.total_cents),
        action_form=EmptyForm(formdata=None),
    )


@bp.route("/<int:receipt_id>.pdf")
@role_required(*BOOK_READERS)
def pdf(receipt_id: int):
    """The stored PDF, checked against its SHA-256; a revoked one stamped "STORNIERT".

    The treasurer can also get the untouched archived original (?original=1).
    """
    receipt = get_receipt(receipt_id)
    original = request.args.get("original") == "1"
    if original and not can_write_books(current_user):
        abort(403)
    try:
        data = receipt_pdf(receipt, original=original)
    except DomainError as exc:
        return file_error(exc)
    return pdf_response(data, file_name(receipt, "-Original" if original else ""))


@bp.route("/<int:receipt_id>/duplikat.pdf")
@role_required(*BOOK_WRITERS)
def duplicate(receipt_id: int):
    """A reprint for a donor who lost theirs, stamped "Duplikat" (audited)."""
    receipt = get_receipt(receipt_id)
    try:
        data = duplicate_pdf(receipt, actor=current_user)
    except (ReceiptFileMissing, ReceiptFileTampered) as exc:
        db.session.rollback()
        return file_error(exc)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("receipts.detail", receipt_id=receipt.id))
    db.session.commit()
    return pdf_response(data, file_name(receipt, "-Duplikat"))
