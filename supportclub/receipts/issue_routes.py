"""The treasurer's receipt actions: issue a single receipt, a slip or a Sammelbestätigung; revoke
(optionally issuing the replacement at once); replace a revoked receipt.

Each POST calls the services and commits once. A refusal flashes the service's message, rolls
back and writes nothing: no receipt, no number used, no file kept.
"""

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.forms import EmptyForm, apply_domain_error
from supportclub.i18n import _
from supportclub.ledger.models import Person
from supportclub.money import format_cents
from supportclub.permissions import BOOK_WRITERS, role_required
from supportclub.receipts import bp, services
from supportclub.receipts.forms import CollectiveForm, IssueSingleForm, RevokeForm
from supportclub.receipts.labels import KIND_LABELS
from supportclub.receipts.models import DonationReceipt
from supportclub.receipts.routes import get_receipt, safe_next
from supportclub.receipts.storage import discard


def _referrer_path() -> str | None:
    """The path (and query) of the page the form was sent from, if it is on this site."""
    if not request.referrer:
        return None
    parts = urlsplit(request.referrer)
    if parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _back(form) -> str:
    """Where a refused action returns: the page it came from, else the list."""
    return safe_next(form.next.data) or safe_next(_referrer_path()) or url_for("receipts.index")


def _commit(*receipts: DonationReceipt | None) -> None:
    """Commit; if the database refuses, roll back and remove the PDFs just written."""
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        for receipt in receipts:
            if receipt is not None and receipt.storage_key:
                discard(receipt.storage_key)
        raise


def _refused(exc: DomainError, back: str):
    """Roll back, show the service's message, go back."""
    db.session.rollback()
    flash(exc.message, "error")
    return redirect(back)


def _form_refused(form, back: str):
    """The form's own errors as a flash, back to where it came from."""
    messages = [e for errors in form.errors.values() for e in errors]
    flash(" ".join(str(m) for m in messages) or _("Die Angaben sind unvollständig."), "error")
    return redirect(back)


def _issued(receipt: DonationReceipt):
    """Flash what was issued and show the receipt."""
    flash(
        _(
            "Zuwendungsbestätigung %(number)s (%(kind)s) über %(amount)s für %(name)s ausgestellt.",
            kind=KIND_LABELS[receipt.kind],
            number=receipt.number,
            amount=format_cents(receipt.total_cents),
            name=receipt.donor_name,
        ),
        "success",
    )
    return redirect(url_for("receipts.detail", receipt_id=receipt.id))


@bp.route("/einzeln", methods=["POST"])
@role_required(*BOOK_WRITERS)
def issue_single():
    """A receipt for one contribution (Anlage 3 or 4), or the simplified slip (slip=1)."""
    form = IssueSingleForm()
    back = _back(form)
    if not form.validate_on_submit():
        return _form_refused(form, back)
    receipt = None
    try:
        receipt = services.issue_single(
            form.line_id.data, actor=current_user, slip=form.slip.data == "1"
        )
    except DomainError as exc:
        return _refused(exc, back)
    _commit(receipt)
    return _issued(receipt)


@bp.route("/sammel", methods=["POST"])
@role_required(*BOOK_WRITERS)
def issue_collective():
    """The Sammelbestätigung of a donor's year, or of a period within one year."""
    form = CollectiveForm()
    back = _back(form)
    if not form.validate_on_submit():
        return _form_refused(form, back)
    person = db.session.get(Person, form.person_id.data)
    if person is None:
        flash(_("Diese Person gibt es nicht."), "error")
        return redirect(back)
    period = (form.start.data, form.end.data) if form.start.data else None
    try:
        receipt = services.issue_collective(
            person, form.year.data, actor=current_user, period=period
        )
    except DomainError as exc:
        return _refused(exc, back)
    _commit(receipt)
    return _issued(receipt)


@bp.route("/<int:receipt_id>/stornieren", methods=["GET", "POST"])
@role_required(*BOOK_WRITERS)
def revoke(receipt_id: int):
    """Revoke a wrong receipt with a reason; its PDF stays, its contributions are free again."""
    receipt = get_receipt(receipt_id)
    detail = url_for("receipts.detail", receipt_id=receipt.id)
    if receipt.is_revoked and request.method == "GET":
        flash(
            _("Die Zuwendungsbestätigung %(number)s ist bereits storniert.", number=receipt.number),
            "error",
        )
        return redirect(detail)
    form = RevokeForm()
    if form.validate_on_submit():
        number, new, revoked = receipt.number, None, False
        try:
            services.revoke(receipt, form.reason.data, actor=current_user)
            revoked = True
            if form.reissue.data:
                new = services.replace(receipt, actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
            if revoked:  # the replacement failed: the revocation was rolled back with it
                form.form_errors.append(
                    _(
                        "Die Bestätigung %(number)s wurde deshalb nicht storniert. Bitte das "
                        "Problem beheben oder ohne „Gleich neu ausstellen“ stornieren.",
                        number=number,
                    )
                )
        else:
            _commit(new)
            flash(_("Zuwendungsbestätigung %(number)s storniert.", number=number), "success")
            if new is not None:
                return _issued(new)
            return redirect(detail)
    status = 422 if request.method == "POST" else 200
    return render_template("receipts/revoke.html", receipt=receipt, form=form), status


@bp.route("/<int:receipt_id>/ersetzen", methods=["POST"])
@role_required(*BOOK_WRITERS)
def replace(receipt_id: int):
    """Issue the replacement of a revoked receipt over the same contributions."""
    receipt = get_receipt(receipt_id)
    detail = url_for("receipts.detail", receipt_id=receipt.id)
    form = EmptyForm()
    if not form.validate_on_submit():
        return _form_refused(form, detail)
    try:
        new = services.replace(receipt, actor=current_user)
    except DomainError as exc:
        return _refused(exc, detail)
    _commit(new)
    return _issued(new)
