"""Statement import pages: the list with the upload form, one import's figures, discarding."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.routing import BuildError

from supportclub.banking import bp, imports
from supportclub.banking.import_forms import DiscardForm, UploadForm
from supportclub.banking.labels import template_helpers
from supportclub.banking.models import BankImport, ImportStatus, LineState, StatementLine
from supportclub.banking.readers import MAX_FILE_BYTES
from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.members.validation import format_iban
from supportclub.permissions import Role, can_write_books, role_required

VIEWERS = (Role.ADMIN, Role.TREASURER)
TREASURER = (Role.TREASURER,)
PER_PAGE = 25


def _page() -> int:
    """The requested page number (1 when missing or invalid)."""
    return max(request.args.get("seite", 1, type=int), 1)


def _list_page(form: UploadForm, status: int = 200):
    """The imports, newest first, one page, each with its number of open lines."""
    count = db.session.scalar(select(func.count()).select_from(BankImport))
    pages = max((count + PER_PAGE - 1) // PER_PAGE, 1)
    page = min(_page(), pages)
    open_lines = (
        select(StatementLine.import_id, func.count().label("n"))
        .where(StatementLine.state == LineState.OPEN)
        .group_by(StatementLine.import_id)
        .subquery()
    )
    rows = db.session.execute(
        select(BankImport, func.coalesce(open_lines.c.n, 0))
        .outerjoin(open_lines, open_lines.c.import_id == BankImport.id)
        .order_by(BankImport.id.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    return render_template(
        "banking/imports.html",
        form=form,
        rows=rows,
        page=page,
        pages=pages,
        can_upload=can_write_books(current_user),
        format_iban=format_iban,
        **template_helpers(),
    ), status


@bp.route("/bank/importe", endpoint="imports", methods=["GET"])
@role_required(*VIEWERS)
def imports_list():
    """The statement imports and, for the treasurer, the upload form."""
    return _list_page(UploadForm())


@bp.route("/bank/importe", methods=["POST"])
@role_required(*TREASURER)
def import_upload():
    """Read an uploaded statement; on success show what was read, else the message at the
    field (nothing is written)."""
    form = UploadForm()
    if form.validate_on_submit():
        storage = form.file.data
        data = storage.read(MAX_FILE_BYTES + 1)
        try:
            bank_import = imports.import_file(data, storage.filename or "", actor=current_user)
        except DomainError as error:  # StatementError and ValidationError are DomainErrors
            db.session.rollback()
            form.file.errors = [*form.file.errors, error.message]
        else:
            db.session.commit()
            flash(_flash_text(bank_import), "success")
            return redirect(url_for("banking.import_detail", bank_import_id=bank_import.id))
    return _list_page(form, 422)


def _flash_text(bank_import: BankImport) -> str:
    """What the upload brought: new lines and lines imported before."""
    if bank_import.new_count == 0 and bank_import.duplicate_count:
        return _(
            "Keine neuen Umsätze: alle %(count)s Umsätze waren bereits importiert — "
            "nichts wurde doppelt gebucht.",
            count=bank_import.duplicate_count,
        )
    return _(
        "%(new)s Umsätze eingelesen, %(old)s bereits importiert.",
        new=bank_import.new_count,
        old=bank_import.duplicate_count,
    )


def _import_or_404(bank_import_id: int) -> BankImport:
    bank_import = db.session.get(BankImport, bank_import_id)
    if bank_import is None:
        abort(404)
    return bank_import


def _detail_page(bank_import: BankImport, form: DiscardForm, status: int = 200):
    done = imports.has_done_lines(bank_import)
    return render_template(
        "banking/import_detail.html",
        bank_import=bank_import,
        check=imports.balance_check(bank_import),
        counts=imports.kind_counts(bank_import),
        earlier=imports.earlier_imports(bank_import),
        can_discard=(
            can_write_books(current_user)
            and bank_import.status == ImportStatus.IMPORTED
            and not done
        ),
        form=form,
        format_iban=format_iban,
        review_url=_review_url(bank_import),
        **template_helpers(),
    ), status


def _review_url(bank_import: BankImport) -> str:
    """The review queue filtered to this import (banking.review, with its URL as fallback while
    that page is not registered)."""
    try:
        return url_for("banking.review", **{"import": bank_import.id})
    except BuildError:
        return f"/bank/pruefen?import={bank_import.id}"


@bp.route("/bank/importe/<int:bank_import_id>")
@role_required(*VIEWERS)
def import_detail(bank_import_id: int):
    """What was read, the balance check, the suggestions by kind, the way to the review."""
    return _detail_page(_import_or_404(bank_import_id), DiscardForm())


@bp.route("/bank/importe/<int:bank_import_id>/verwerfen", methods=["POST"])
@role_required(*TREASURER)
def import_discard(bank_import_id: int):
    """Discard an import none of whose lines is booked."""
    bank_import = _import_or_404(bank_import_id)
    form = DiscardForm()
    if not form.validate_on_submit():
        return _detail_page(bank_import, form, 422)
    try:
        imports.discard_import(bank_import, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("Der Import wurde verworfen; seine Umsätze sind entfernt."), "success")
    return redirect(url_for("banking.import_detail", bank_import_id=bank_import.id))
