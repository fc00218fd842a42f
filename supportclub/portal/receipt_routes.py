"""Mein Konto: the member's own donation receipts (list and stored PDFs), never anyone else's."""

from flask import abort, render_template
from flask_login import current_user

from supportclub.errors import DomainError
from supportclub.permissions import login_required_any_role
from supportclub.portal import bp
from supportclub.receipts import downloads
from supportclub.receipts.labels import KIND_LABELS
from supportclub.receipts.queries import receipts_of_person
from supportclub.receipts.routes import file_error, file_name, get_receipt, pdf_response


@bp.route("/zuwendungsbestaetigungen")
@login_required_any_role
def receipts():
    """The receipts issued to the member's own person; revoked ones marked as such."""
    person = current_user.person
    if person is None:
        return render_template("portal/no_person.html")
    return render_template(
        "portal/receipts.html",
        person=person,
        receipts=receipts_of_person(person.id),
        kind_labels=KIND_LABELS,
    )


@bp.route("/zuwendungsbestaetigungen/<int:receipt_id>.pdf")
@login_required_any_role
def receipt_pdf(receipt_id: int):
    """One of the member's own receipts as stored (a revoked one stamped); others: 403."""
    receipt = get_receipt(receipt_id)
    if current_user.person_id is None or receipt.person_id != current_user.person_id:
        abort(403)
    try:
        data = downloads.receipt_pdf(receipt)
    except DomainError as exc:
        return file_error(exc)
    return pdf_response(data, file_name(receipt))
