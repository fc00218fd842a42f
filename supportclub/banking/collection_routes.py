"""The direct-debit pages: the list of collections, a new collection (selection -> preview ->
create), a collection with its debits, its file, its pre-notifications and its cancellation."""

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice as C

from supportclub.auth.models import Role
from supportclub.banking import bp
from supportclub.banking.collection_forms import CancelForm, CollectionCreateForm, CollectionForm
from supportclub.banking.collections import (
    cancel_collection,
    collection_summaries,
    create_collection,
    debits_of,
    earliest_collection_date,
    pending_debtor_ids,
    plan_collection,
    send_prenotifications,
)
from supportclub.banking.models import CollectionStatus, DebitCollection
from supportclub.banking.settings import direct_debit_settings
from supportclub.chunks import chunked
from supportclub.clock import today
from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.forms import EmptyForm, apply_domain_error
from supportclub.i18n import _
from supportclub.members.models import MembershipType
from supportclub.members.validation import format_iban
from supportclub.money import format_cents
from supportclub.permissions import role_required

VIEWERS = (Role.ADMIN, Role.TREASURER)
PREVIEW_ROWS = 200


def _type_choices() -> list:
    """All membership types, "alle" first."""
    types = db.session.execute(
        select(MembershipType).order_by(MembershipType.sort_order, MembershipType.name)
    ).scalars()
    return [C("", _("alle Mitgliedsarten"))] + [C(t.id, t.name) for t in types]


def _selection(form: CollectionForm) -> dict:
    """The form's selection as the services take it."""
    return {
        "year": form.year.data,
        "membership_type_id": form.membership_type_id.data,
        "collection_date": form.collection_date.data,
        "include_without_email": bool(form.include_without_email.data),
    }


def _render_new(form, *, plan=None, create_form=None, status=200):
    """The selection form, and the preview when there is a plan."""
    settings = direct_debit_settings()
    return (
        render_template(
            "banking/collection_new.html",
            form=form,
            plan=plan,
            create_form=create_form,
            preview_rows=PREVIEW_ROWS,
            missing=settings.missing,
        ),
        status,
    )


@bp.route("/lastschriften")
@role_required(*VIEWERS)
def collections():
    """The collections, newest first, with their counts."""
    return render_template("banking/collections.html", summaries=collection_summaries())


@bp.route("/lastschriften/neu", methods=["GET", "POST"])
@role_required(Role.TREASURER)
def collection_new():
    """GET: the selection; POST: the preview (count, total, included, skipped and why)."""
    form = CollectionForm()
    form.membership_type_id.choices = _type_choices()
    if request.method == "GET":
        form.year.data = today().year
        try:
            form.collection_date.data = earliest_collection_date()
        except DomainError:
            form.collection_date.data = None
        return _render_new(form)
    if not form.validate_on_submit():
        return _render_new(form, status=422)
    try:
        plan = plan_collection(**_selection(form))
    except DomainError as exc:
        apply_domain_error(form, exc)
        return _render_new(form, status=422)
    create_form = CollectionCreateForm(formdata=None, data=form.data)
    return _render_new(form, plan=plan, create_form=create_form)


@bp.route("/lastschriften/erstellen", methods=["POST"])
@role_required(Role.TREASURER)
def collection_create():
    """Create the collection (planned again on the server), then send the pre-notifications."""
    form = CollectionCreateForm()
    form.membership_type_id.choices = _type_choices()
    if not form.validate_on_submit():
        plan = None
        if not (form.year.errors or form.collection_date.errors):
            try:
                plan = plan_collection(**_selection(form))
            except DomainError as exc:
                apply_domain_error(form, exc)
        return _render_new(form, plan=plan, create_form=form if plan else None, status=422)
    try:
        collection = create_collection(
            **_selection(form), schema=form.schema.data, actor=current_user
        )
    except DomainError as exc:
        db.session.rollback()
        apply_domain_error(form, exc)
        return _render_new(form, status=422)
    db.session.commit()
    sent, failed = _notify(collection)
    flash(
        _(
            "Lastschrifteinzug erstellt: %(n)s Lastschriften, Summe %(total)s, %(m)s "
            "Vorabankündigungen versandt.",
            n=collection.count,
            total=format_cents(collection.total_cents),
            m=sent,
        ),
        "success",
    )
    return redirect(url_for("banking.collection_detail", debit_collection_id=collection.id))


NOTIFY_CHUNK = 50  # debtors per commit: what went out is on record before the next chunk


def _notify(collection: DebitCollection) -> tuple[int, list[str]]:
    """Send the pending pre-notifications in chunks, committing after each; flash failures.

    A request that dies half way leaves the sent ones marked; "Vorabankündigungen senden" sends
    the rest. A chunk that sends nothing but fails (the mail server is down) ends the run.
    """
    ids = pending_debtor_ids(collection)
    sent, failed, asked = 0, [], 0
    for chunk in chunked(ids, NOTIFY_CHUNK):
        asked += len(chunk)
        try:
            chunk_sent, chunk_failed = send_prenotifications(
                collection, actor=current_user, debtor_ids=chunk
            )
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            break
        db.session.commit()
        sent += chunk_sent
        failed += chunk_failed
        if chunk_failed and not chunk_sent:
            remaining = len(ids) - asked
            if remaining > 0:
                failed.append(_("%(n)s weitere Zahler wurden nicht angeschrieben.", n=remaining))
            break
    if failed:
        flash(
            _(
                "%(n)s Vorabankündigungen konnten nicht versandt werden: %(list)s",
                n=len(failed),
                list="; ".join(failed[:10]),
            ),
            "warning",
        )
    return sent, failed


def _collection_or_404(debit_collection_id: int) -> DebitCollection:
    return db.session.get(DebitCollection, debit_collection_id) or abort(404)


def _render_detail(collection: DebitCollection, cancel_form=None, status=200):
    """The collection, its counts and its debits."""
    (summary,) = collection_summaries(collection.id)
    debits = debits_of(collection)
    pending_mail = sum(1 for d in debits if d.notified_at is None and d.person.email)
    return (
        render_template(
            "banking/collection_detail.html",
            c=collection,
            summary=summary,
            debits=debits,
            pending_mail=pending_mail,
            without_email=sum(1 for d in debits if d.notified_at is None and not d.person.email),
            can_cancel=collection.status == CollectionStatus.SUBMITTED
            and not (summary.paid or summary.returned),
            cancel_form=cancel_form or CancelForm(formdata=None),
            notify_form=EmptyForm(formdata=None),
            format_iban=format_iban,
        ),
        status,
    )


@bp.route("/lastschriften/<int:debit_collection_id>")
@role_required(*VIEWERS)
def collection_detail(debit_collection_id: int):
    """A collection: data, debits, the file, pre-notifications, cancellation."""
    return _render_detail(_collection_or_404(debit_collection_id))


@bp.route("/lastschriften/<int:debit_collection_id>/datei")
@role_required(*VIEWERS)
def collection_download(debit_collection_id: int):
    """The stored pain.008 file, exactly as it was created."""
    collection = _collection_or_404(debit_collection_id)
    name = f"lastschrift-{collection.collection_date.isoformat()}-{collection.id}.xml"
    return Response(
        collection.file_xml,
        mimetype="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/lastschriften/<int:debit_collection_id>/vorabankuendigung", methods=["POST"])
@role_required(Role.TREASURER)
def collection_notify(debit_collection_id: int):
    """Send the pre-notifications not sent yet."""
    collection = _collection_or_404(debit_collection_id)
    form = EmptyForm()
    if form.validate_on_submit():
        sent, failed = _notify(collection)
        if sent or not failed:
            flash(_("%(m)s Vorabankündigungen versandt.", m=sent), "success")
    return redirect(url_for("banking.collection_detail", debit_collection_id=collection.id))


@bp.route("/lastschriften/<int:debit_collection_id>/stornieren", methods=["POST"])
@role_required(Role.TREASURER)
def collection_cancel(debit_collection_id: int):
    """Cancel the collection (before any of its debits is on a statement)."""
    collection = _collection_or_404(debit_collection_id)
    form = CancelForm()
    if not form.validate_on_submit():
        return _render_detail(collection, cancel_form=form, status=422)
    try:
        cancel_collection(collection, form.reason.data, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        apply_domain_error(form, exc)
        return _render_detail(collection, cancel_form=form, status=422)
    db.session.commit()
    flash(
        _("Der Lastschrifteinzug wurde storniert; die Beiträge können neu eingezogen werden."),
        "success",
    )
    return redirect(url_for("banking.collection_detail", debit_collection_id=collection.id))
