"""Project pages: the list, a new application, a project's page, its edit form, the grants total.

Thin: parse the form, call the projects services, commit, flash, redirect. The decision and
money forms are in action_routes.py, the documents in document_routes.py.
"""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import FileStorage
from wtforms.fields.choices import SelectChoice as C

from supportclub.admin.services import get_settings
from supportclub.clock import today
from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.forms import apply_domain_error
from supportclub.i18n import _
from supportclub.ledger.models import PersonKind
from supportclub.ledger.person_picker import resolve_person
from supportclub.money import format_cents
from supportclub.permissions import BOOK_READERS, BOOK_WRITERS, role_required
from supportclub.projects import bp
from supportclub.projects import listing as q
from supportclub.projects.documents import discard_file, format_size, store_document
from supportclub.projects.forms import (
    KIND_LABELS,
    STAGE_BADGES,
    STAGE_LABELS,
    DocumentForm,
    ProjectEditForm,
    ProjectFilterForm,
    ProjectForm,
)
from supportclub.projects.history import project_history
from supportclub.projects.models import DocumentKind, Project, ProjectDocument, ProjectStage
from supportclub.projects.queries import (
    free_money,
    grants_by_year,
    grants_total,
    open_commitments_cents,
    sums_of,
)
from supportclub.projects.rules import available_actions, can_revoke
from supportclub.projects.services import EDITABLE_FIELDS, create_project, update_project

# service field names -> form field names
FIELD_ALIASES = {"applicant": "person"}


@bp.context_processor
def _template_helpers() -> dict:
    """Labels and helpers every project template uses."""
    return {
        "stage_labels": STAGE_LABELS,
        "stage_badges": STAGE_BADGES,
        "kind_labels": KIND_LABELS,
        "file_size": format_size,
    }


def get_project(project_id: int) -> Project:
    """The project with its applicant and fund, or 404."""
    project = db.session.get(
        Project, project_id, options=[joinedload(Project.applicant), joinedload(Project.fund)]
    )
    if project is None:
        abort(404)
    return project


def apply_error(form, exc: DomainError, aliases: dict | None = None) -> None:
    """Put a service's message on the form field it names (service names mapped to the form's)."""
    names = {**FIELD_ALIASES, **(aliases or {})}
    if exc.field in names:
        exc.field = names[exc.field]
    apply_domain_error(form, exc)


def uploaded(field) -> FileStorage | None:
    """The file a FileField received, or None when none was chosen."""
    data = field.data
    return data if isinstance(data, FileStorage) and data else None


def read_upload(file: FileStorage, limit: int) -> bytes:
    """At most `limit` + 1 bytes of an upload (enough to know it is too large)."""
    return file.stream.read(limit + 1)


def commit_keeping_files(storage_keys: list[str]) -> None:
    """Commit; if the database refuses, roll back and remove the files written for it."""
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        for key in storage_keys:
            discard_file(key)
        raise


def store_upload(project: Project, field, kind: DocumentKind) -> ProjectDocument | None:
    """Store the file of `field` (if one was chosen) for the project."""
    file = uploaded(field)
    if file is None:
        return None
    data = read_upload(file, current_app.config["DOCUMENT_MAX_BYTES"])
    return store_document(project, data=data, filename=file.filename, kind=kind, actor=current_user)


def storage_keys(*documents: ProjectDocument | None) -> list[str]:
    """The storage keys of the documents just stored (for removal if the commit fails)."""
    return [doc.storage_key for doc in documents if doc is not None]


# List -----------------------------------------------------------------------------------------


def _list_filter(form: ProjectFilterForm) -> q.ProjectFilter:
    """The list filter from the (validated) filter form; invalid values are ignored."""
    form.validate()
    for field in (form.stage, form.year, form.q):
        if field.errors:
            field.data = None
    stage = ProjectStage(form.stage.data) if form.stage.data else None
    return q.ProjectFilter(stage=stage, year=form.year.data, query=(form.q.data or "").strip())


@bp.route("")
@role_required(*BOOK_READERS)
def index():
    """Projects by stage, year and search text, with their sums, the totals and free money."""
    form = ProjectFilterForm(request.args)
    form.year.choices = [C("", _("alle"))] + [C(y, str(y)) for y in q.application_years()]
    flt = _list_filter(form)
    totals = q.list_totals(flt)
    pages = max((totals.count + q.PER_PAGE - 1) // q.PER_PAGE, 1)
    page = min(max(request.args.get("seite", 1, type=int), 1), pages)
    rows = q.list_projects(flt, page=page)
    args = {k: v for k, v in request.args.items() if k != "seite" and v}
    return render_template(
        "projects/index.html",
        form=form,
        rows=rows,
        totals=totals,
        money=free_money(),
        open_cents=open_commitments_cents(),
        page=page,
        pages=pages,
        args=args,
    )


# New and edit ---------------------------------------------------------------------------------


def _project_values(form: ProjectEditForm) -> dict:
    """The editable fields from a project form."""
    return {name: getattr(form, name).data for name in EDITABLE_FIELDS}


@bp.route("/neu", methods=["GET", "POST"])
@role_required(*BOOK_WRITERS)
def new():
    """Record an application: applicant, contact, title, purpose, amount, first document."""
    form = ProjectForm()
    if request.method == "GET":
        form.applied_on.data = today()
        form.new_person_kind.data = PersonKind.ORGANISATION.value  # applicants mostly are
    if form.validate_on_submit():
        ok, person_id = resolve_person(form, actor=current_user, required=True)
        if ok:
            try:
                project = create_project(
                    applicant_id=person_id, actor=current_user, **_project_values(form)
                )
                document = store_upload(project, form.file, DocumentKind.APPLICATION)
            except DomainError as exc:
                db.session.rollback()
                apply_error(form, exc)
            else:
                commit_keeping_files(storage_keys(document))
                flash(
                    _(
                        "Projekt „%(title)s“ erfasst (beantragt: %(amount)s).",
                        title=project.title,
                        amount=format_cents(project.requested_cents),
                    ),
                    "success",
                )
                return redirect(url_for("projects.detail", project_id=project.id))
        else:
            db.session.rollback()
    status = 422 if request.method == "POST" else 200
    return render_template("projects/form.html", form=form, project=None), status


@bp.route("/<int:project_id>/bearbeiten", methods=["GET", "POST"])
@role_required(*BOOK_WRITERS)
def edit(project_id: int):
    """Change an application's details (not after closing)."""
    project = get_project(project_id)
    if "edit" not in available_actions(project, sums_of(project)):
        flash(_("Ein abgeschlossenes Projekt kann nicht mehr geändert werden."), "error")
        return redirect(url_for("projects.detail", project_id=project.id))
    form = ProjectEditForm(obj=project)
    if form.validate_on_submit():
        try:
            changes = update_project(project, actor=current_user, **_project_values(form))
        except DomainError as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            db.session.commit()
            flash(
                _("Änderungen am Projekt gespeichert.")
                if changes
                else _("Es wurde nichts geändert."),
                "success" if changes else "info",
            )
            return redirect(url_for("projects.detail", project_id=project.id))
    status = 422 if request.method == "POST" else 200
    return render_template("projects/form.html", form=form, project=project), status


# Detail ---------------------------------------------------------------------------------------


def render_detail(project: Project, upload_form: DocumentForm | None = None, status: int = 200):
    """The project's page: data, money, grants, bookings, documents, history, actions."""
    sums = sums_of(project)
    grants = list(project.grants)
    return (
        render_template(
            "projects/detail.html",
            project=project,
            sums=sums,
            stage=sums.stage,
            grants=grants,
            revocable={g.id for g in grants if can_revoke(project, g, sums)},
            actions=available_actions(project, sums),
            bookings=q.project_bookings(project),
            documents=q.project_documents(project),
            history=project_history(project),
            upload_form=upload_form or DocumentForm(formdata=None),
        ),
        status,
    )


@bp.route("/<int:project_id>")
@role_required(*BOOK_READERS)
def detail(project_id: int):
    """One project with everything on file about it."""
    return render_detail(get_project(project_id))


# Grants total ---------------------------------------------------------------------------------


@bp.route("/foerdersumme", endpoint="grants_total")
@role_required(*BOOK_READERS)
def grants_total_page():
    """The running total of grants since founding: opening figure, then year by year."""
    total = grants_total()
    settings = get_settings()
    rows, running = [], total.before_cents
    for year in grants_by_year():
        running += year.approved_cents
        rows.append((year, running))
    return render_template(
        "projects/grants_total.html",
        total=total,
        rows=rows,
        until_year=settings.grants_before_until_year,
        founding_year=settings.founding_year,
    )
