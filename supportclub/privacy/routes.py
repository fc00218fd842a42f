"""HTTP views of privacy: the overview, a person's data export, the erasure (treasurer acts,
admin reads)."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from supportclub.clock import today
from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.forms import apply_domain_error
from supportclub.i18n import _
from supportclub.ledger.models import Person
from supportclub.permissions import Role, role_required
from supportclub.privacy import bp
from supportclub.privacy.erasure import (
    anonymised_count,
    erase_person,
    locked_persons,
    plan_erasure,
)
from supportclub.privacy.export import export_file, file_name
from supportclub.privacy.forms import EraseForm
from supportclub.privacy.queries import candidates

READERS = (Role.ADMIN, Role.TREASURER)
WRITERS = (Role.TREASURER,)
CANDIDATES_SHOWN = 100
MIMETYPES = {"json": "application/json", "pdf": "application/pdf"}


def get_person(person_id: int) -> Person:
    """The person, or 404 (also for ids beyond the database's integers)."""
    if not 0 < person_id < 2**31:
        abort(404)
    return db.session.get(Person, person_id) or abort(404)


def download(body: bytes, fmt: str, filename: str):
    """An export file as a download, never cached or sniffed."""
    response = current_app.response_class(body, mimetype=MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("")
@role_required(*READERS)
def index():
    """Locked persons with their retention, the anonymised count, candidates for erasure."""
    day = today()
    return render_template(
        "privacy/index.html",
        locked=locked_persons(),
        anonymised=anonymised_count(),
        candidates=candidates(day, limit=CANDIDATES_SHOWN),
        shown=CANDIDATES_SHOWN,
        today=day,
    )


def _export(person_id: int, fmt: str):
    person = get_person(person_id)
    body = export_file(person, actor=current_user, fmt=fmt)
    db.session.commit()
    return download(body, fmt, file_name(person, fmt))


@bp.route("/personen/<int:person_id>/auskunft.json")
@role_required(*READERS)
def export_json(person_id: int):
    """A person's data export (Art. 15 DSGVO), machine-readable."""
    return _export(person_id, "json")


@bp.route("/personen/<int:person_id>/auskunft.pdf")
@role_required(*READERS)
def export_pdf(person_id: int):
    """A person's data export (Art. 15 DSGVO) as PDF."""
    return _export(person_id, "pdf")


@bp.route("/personen/<int:person_id>/loeschen", methods=["GET", "POST"])
@role_required(*WRITERS)
def erase(person_id: int):
    """What erasing the person deletes and locks; erase after confirmation."""
    person = get_person(person_id)
    form = EraseForm()
    plan = plan_erasure(person)
    if form.validate_on_submit():
        try:
            erase_person(person, actor=current_user, reason=form.reason.data)
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            db.session.commit()
            flash(_("Die Daten wurden gelöscht und der Rest gesperrt."), "success")
            return redirect(url_for("privacy.index"))
        plan = plan_erasure(db.session.get(Person, person_id))
    status = 422 if request.method == "POST" else 200
    return render_template("privacy/erase.html", person=plan.person, plan=plan, form=form), status
