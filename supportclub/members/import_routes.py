"""Member import: upload a file, map its columns, check every row, import all or nothing."""

from pathlib import Path

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.members import bp, import_files
from supportclub.members.import_checks import validate_rows
from supportclub.members.import_files import (
    PREVIEW_ROWS,
    ImportFileError,
    ParsedFile,
    Upload,
    cell_text,
    discard_upload_data,
    load_upload,
    parse_file,
    read_upload,
    save_upload,
    store_upload,
)
from supportclub.members.import_forms import PreviewForm, UploadForm, mapping_form
from supportclub.members.import_mapping import ImportOptions, check_mapping, guess_mapping
from supportclub.members.importer import (
    ImportRejected,
    ImportSummary,
    error_report_csv,
    import_members,
    lock_member_numbers,
)
from supportclub.members.models import MembershipType
from supportclub.permissions import BOOK_WRITERS, role_required

SHOWN_ERRORS = 500  # the page shows this many; the CSV report has all
SHOWN_EXISTING = 200
SHOWN_NEW = 10


def _upload_dir() -> Path:
    """Where uploads wait: MEMBER_IMPORT_DIR, else instance/imports."""
    configured = current_app.config.get("MEMBER_IMPORT_DIR")
    return Path(configured or Path(current_app.instance_path) / "imports")


def _own_upload(upload_id: str) -> Upload:
    """The current user's upload, or 404 (also for another user's id)."""
    upload = load_upload(_upload_dir(), upload_id, current_user.id)
    if upload is None:
        abort(404)
    return upload


def _parsed_or_restart(upload: Upload):
    """The upload's table, or (None, a redirect to the upload page) when it cannot be read."""
    try:
        return read_upload(_upload_dir(), upload), None
    except ImportFileError as error:
        flash(error.message, "error")
        return None, redirect(url_for("members.import_upload"))


def _active_types() -> list[MembershipType]:
    return list(
        db.session.execute(
            select(MembershipType)
            .where(MembershipType.is_active.is_(True))
            .order_by(MembershipType.sort_order, MembershipType.name)
        ).scalars()
    )


@bp.route("/import", methods=["GET", "POST"])
@role_required(*BOOK_WRITERS)
def import_upload():
    """Step 1: upload a CSV or Excel file."""
    form = UploadForm()
    if form.validate_on_submit():
        storage = form.file.data
        data = storage.read(import_files.MAX_FILE_BYTES + 1)
        try:
            parsed = parse_file(data, encoding=form.encoding.data)
            upload = store_upload(
                _upload_dir(),
                data,
                parsed,
                filename=storage.filename or "",
                owner_id=current_user.id,
                encoding=form.encoding.data,
            )
        except ImportFileError as error:
            form.file.errors = [*form.file.errors, error.message]
        else:
            return redirect(url_for("members.import_mapping", upload_id=upload.id))
    status = 422 if request.method == "POST" else 200
    return render_template("members/import_upload.html", form=form), status


def _change_sheet(form, upload: Upload, parsed: ParsedFile):
    """Switch to another sheet of the workbook (its columns get a fresh guess)."""
    sheet = form.sheet.data
    if sheet in parsed.sheets and sheet != upload.sheet:
        previous, upload.sheet = upload.sheet, sheet
        try:
            other = read_upload(_upload_dir(), upload)
        except ImportFileError as error:
            upload.sheet = previous
            form.sheet.errors = [error.message]
            return None
        upload.mapping, upload.options = guess_mapping(other.headers), None
        save_upload(_upload_dir(), upload)
    return redirect(url_for("members.import_mapping", upload_id=upload.id))


def _fill_mapping_form(form, upload: Upload) -> None:
    options = upload.import_options
    for key, field in form.mapping_fields():
        field.data = (upload.mapping or {}).get(key) or ""
    form.sheet.data = upload.sheet
    form.default_type_id.data = options.default_type_id
    form.default_entry_date.data = options.default_entry_date


def _save_mapping(form, upload: Upload, parsed: ParsedFile, types):
    """Keep a complete mapping and go on to the check; else mark what is missing."""
    mapping = form.mapping()
    options = ImportOptions(
        default_type_id=form.default_type_id.data,
        default_entry_date=form.default_entry_date.data,
        existing=upload.import_options.existing,
    )
    problems = check_mapping(mapping, parsed.headers, options)
    if options.default_type_id not in {None, *(t.id for t in types)}:
        problems["membership_type"] = _("Die Mitgliedsart ist unbekannt oder nicht mehr aktiv.")
    for key, message in problems.items():
        form[f"map_{key}"].errors = [message]
    if problems:
        return None
    upload.mapping, upload.options = mapping, options.to_json()
    save_upload(_upload_dir(), upload)
    return redirect(url_for("members.import_preview", upload_id=upload.id))


@bp.route("/import/<upload_id>/zuordnung", methods=["GET", "POST"])
@role_required(*BOOK_WRITERS)
def import_mapping(upload_id: str):
    """Step 2: which column feeds which field; the first rows as a preview."""
    upload = _own_upload(upload_id)
    if upload.result is not None:
        return redirect(url_for("members.import_result", upload_id=upload.id))
    parsed, restart = _parsed_or_restart(upload)
    if restart:
        return restart
    types = _active_types()
    form = mapping_form(parsed.headers, parsed.sheets, types)
    if request.method == "GET":
        _fill_mapping_form(form, upload)
    elif form.validate_on_submit():
        if form.change_sheet.data:
            answer = _change_sheet(form, upload, parsed)
            if answer is not None:
                return answer
        else:
            answer = _save_mapping(form, upload, parsed, types)
            if answer is not None:
                return answer
    status = 422 if request.method == "POST" else 200
    return render_template(
        "members/import_mapping.html",
        form=form,
        upload=upload,
        parsed=parsed,
        sample=parsed.rows[:PREVIEW_ROWS],
        text=cell_text,
    ), status


def _validated(upload: Upload, parsed: ParsedFile):
    """Every row checked, or (None, a redirect to the mapping page) when the mapping is off."""
    try:
        return validate_rows(parsed, upload.mapping or {}, upload.import_options), None
    except DomainError as error:
        flash(error.message, "error")
        return None, redirect(url_for("members.import_mapping", upload_id=upload.id))


def _run_import(form, upload: Upload, parsed: ParsedFile):
    """Import, commit and remember the result; (validation to show, redirect)."""
    lock_member_numbers()  # a second click waits here, then finds the result below
    current = load_upload(_upload_dir(), upload.id, current_user.id)
    if current is None or current.result is not None:
        db.session.rollback()
        return None, redirect(url_for("members.import_result", upload_id=upload.id))
    options = upload.import_options
    options.existing = form.existing.data
    try:
        summary = import_members(
            parsed, upload.mapping or {}, options, actor=current_user, filename=upload.filename
        )
    except ImportRejected as rejected:
        db.session.rollback()
        flash(rejected.message, "error")
        return rejected.validation, None
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return None, redirect(url_for("members.import_mapping", upload_id=upload.id))
    db.session.commit()
    upload.options, upload.result = options.to_json(), summary.to_json()
    save_upload(_upload_dir(), upload)
    discard_upload_data(_upload_dir(), upload)
    flash(
        _(
            "Import abgeschlossen: %(persons)s Personen und %(memberships)s Mitgliedschaften "
            "angelegt.",
            persons=summary.persons_created,
            memberships=summary.memberships_created,
        ),
        "success",
    )
    return None, redirect(url_for("members.import_result", upload_id=upload.id))


@bp.route("/import/<upload_id>/vorschau", methods=["GET", "POST"])
@role_required(*BOOK_WRITERS)
def import_preview(upload_id: str):
    """Step 3: every row checked; errors, persons already present; the import button."""
    upload = _own_upload(upload_id)
    if upload.result is not None:
        return redirect(url_for("members.import_result", upload_id=upload.id))
    if upload.options is None:
        return redirect(url_for("members.import_mapping", upload_id=upload.id))
    parsed, restart = _parsed_or_restart(upload)
    if restart:
        return restart
    form = PreviewForm(existing=upload.import_options.existing)
    validation = None
    if form.validate_on_submit():
        validation, answer = _run_import(form, upload, parsed)
        if answer is not None:
            return answer
    if validation is None:
        validation, answer = _validated(upload, parsed)
        if answer is not None:
            return answer
    status = 422 if request.method == "POST" else 200
    return render_template(
        "members/import_preview.html",
        form=form,
        upload=upload,
        validation=validation,
        errors=validation.errors[:SHOWN_ERRORS],
        existing=validation.existing_rows[:SHOWN_EXISTING],
        new_rows=[row for row in validation.rows if row.existing is None][:SHOWN_NEW],
        types=validation.register.type_by_id,
    ), status


@bp.route("/import/<upload_id>/fehler.csv")
@role_required(*BOOK_WRITERS)
def import_errors(upload_id: str):
    """The error report of the current mapping as CSV (row, column, value, reason)."""
    upload = _own_upload(upload_id)
    if upload.result is not None:
        return redirect(url_for("members.import_result", upload_id=upload.id))
    if upload.options is None:
        return redirect(url_for("members.import_mapping", upload_id=upload.id))
    parsed, restart = _parsed_or_restart(upload)
    if restart:
        return restart
    validation, answer = _validated(upload, parsed)
    if answer is not None:
        return answer
    return Response(
        error_report_csv(validation.errors),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="importfehler.csv"'},
    )


@bp.route("/import/<upload_id>/ergebnis")
@role_required(*BOOK_WRITERS)
def import_result(upload_id: str):
    """Step 4: what the import did."""
    upload = _own_upload(upload_id)
    if upload.result is None:
        return redirect(url_for("members.import_preview", upload_id=upload.id))
    return render_template(
        "members/import_result.html", upload=upload, summary=ImportSummary(**upload.result)
    )
