"""Project documents over HTTP: upload (treasurer) and a verified download (book readers)."""

import io

from flask import abort, flash, redirect, render_template, send_file, url_for

from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.permissions import BOOK_READERS, BOOK_WRITERS, role_required
from supportclub.projects import bp
from supportclub.projects.documents import (
    DocumentMissing,
    DocumentTampered,
    format_size,
    read_verified,
)
from supportclub.projects.forms import DocumentForm
from supportclub.projects.models import DocumentKind, ProjectDocument
from supportclub.projects.routes import (
    apply_error,
    commit_keeping_files,
    get_project,
    render_detail,
    storage_keys,
    store_upload,
)


@bp.route("/<int:project_id>/dokumente", methods=["POST"])
@role_required(*BOOK_WRITERS)
def document_upload(project_id: int):
    """Store an uploaded PDF or image for the project; anything else is refused, nothing kept."""
    project = get_project(project_id)
    form = DocumentForm()
    if form.validate_on_submit():
        try:
            document = store_upload(project, form.file, DocumentKind(form.kind.data))
        except DomainError as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            name, size = document.filename, document.size_bytes
            commit_keeping_files(storage_keys(document))
            flash(
                _("Dokument „%(name)s“ (%(size)s) gespeichert.", name=name, size=format_size(size)),
                "success",
            )
            return redirect(url_for("projects.detail", project_id=project.id) + "#dokumente")
    return render_detail(project, upload_form=form, status=422)


def _error_page(code: int, title: str, text: str):
    """The error page with a specific message."""
    return render_template("errors/error.html", code=code, title=title, text=text), code


@bp.route("/dokumente/<int:document_id>")
@role_required(*BOOK_READERS)
def document(document_id: int):
    """The stored file, only if it still matches its recorded checksum."""
    doc = db.session.get(ProjectDocument, document_id) or abort(404)
    try:
        data, file_type = read_verified(doc)
    except DocumentMissing as exc:
        return _error_page(404, _("Datei fehlt"), exc.message)
    except DocumentTampered as exc:
        return _error_page(500, _("Datei verändert"), exc.message)
    response = send_file(
        io.BytesIO(data),
        mimetype=file_type.content_type,
        as_attachment=not file_type.is_image,
        download_name=doc.filename,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
