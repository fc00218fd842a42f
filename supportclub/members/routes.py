"""The member register, a member's page, join/leave/mandate/payer (types and rates: type_routes)."""

from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice as C

from supportclub.clock import today
from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.forms import EmptyForm, apply_domain_error
from supportclub.i18n import _
from supportclub.ledger.models import Person
from supportclub.ledger.person_picker import person_id_from_choice
from supportclub.ledger.services import create_person, find_persons
from supportclub.members import bp
from supportclub.members import queries as q
from supportclub.members.exports import register_csv, register_xlsx
from supportclub.members.forms import (
    MAX_ID,
    LeaveForm,
    MandateForm,
    MemberCreateForm,
    MembershipForm,
    PayerForm,
    PersonForm,
    lenient_int,
)
from supportclub.members.models import Membership, MembershipType
from supportclub.members.services import (
    clean_person_values,
    deactivate_person,
    default_mandate_reference,
    join,
    leave,
    set_mandate,
    set_payer,
    update_person,
)
from supportclub.members.validation import format_iban
from supportclub.permissions import Role, role_required

READERS = (Role.ADMIN, Role.TREASURER, Role.BOARD, Role.AUDITOR)
WRITERS = (Role.TREASURER,)
# the services name the payer "payer_id"; the forms have a search field "payer"
FIELD_ALIASES = {"payer_id": "payer"}


# helpers --------------------------------------------------------------------------------------


def _form_error(form, exc: DomainError) -> None:
    """Roll back and show the service's message at its field."""
    db.session.rollback()
    if exc.field in FIELD_ALIASES:
        exc = DomainError(exc.message, field=FIELD_ALIASES[exc.field])
    apply_domain_error(form, exc)


def _render(template: str, **context):
    """A form page: 422 when a submitted form is shown again with its errors."""
    status = 422 if request.method == "POST" else 200
    return render_template(template, **context), status


def _type_choices() -> list:
    """Active membership types for a join form, after an empty 'please choose'."""
    types = db.session.execute(
        select(MembershipType)
        .where(MembershipType.is_active.is_(True))
        .order_by(MembershipType.sort_order, MembershipType.name)
    ).scalars()
    return [C("", _("– bitte wählen –"))] + [C(t.id, t.name) for t in types]


def _person_label(person: Person) -> str:
    """How a person appears in the search list: name, city and id (as ledger.person_search)."""
    city = f" ({person.city})" if person.city else ""
    return f"{person.display_name}{city} #{person.id}"


def _resolve_payer(field) -> tuple[bool, int | None]:
    """The person picked in a payer search field: (ok, person id or None for nobody)."""
    text = (field.data or "").strip()
    if not text:
        return True, None
    person_id = person_id_from_choice(text)
    if person_id is not None and person_id <= MAX_ID and db.session.get(Person, person_id):
        return True, person_id
    # find_persons reads digits as a person id; one beyond INTEGER would break the query
    too_big = text.isdigit() and int(text) > MAX_ID
    matches = [] if too_big else find_persons(text, limit=2)
    if len(matches) == 1:
        return True, matches[0].id
    if matches:
        field.errors.append(_("Mehrere Personen passen. Bitte aus der Liste wählen."))
    else:
        field.errors.append(
            _("Keine Person mit diesem Namen gefunden. Bitte aus der Liste wählen.")
        )
    return False, None


def _require_type(form) -> bool:
    if form.membership_type_id.data is None:
        form.membership_type_id.errors.append(_("Bitte eine Mitgliedsart wählen."))
        return False
    return True


def _get_or_404(model, object_id: int):
    """The row with this id, or 404 (also for ids no INTEGER column can hold)."""
    if object_id > MAX_ID:
        abort(404)
    return db.session.get(model, object_id) or abort(404)


def _person_or_404(person_id: int) -> Person:
    return _get_or_404(Person, person_id)


def _membership_or_404(membership_id: int) -> Membership:
    return _get_or_404(Membership, membership_id)


# the register ---------------------------------------------------------------------------------


def _register_filter() -> q.RegisterFilter:
    """The register filter from the query string; unknown values fall back to the defaults.

    Read by hand rather than through a WTForms form: the register is the busiest list, and
    the filter has nothing to validate beyond picking from fixed choices.
    """
    args = request.args
    status = args.get("status", q.STATUS_ACTIVE)
    sort = args.get("sort", q.SORT_NAME)
    return q.RegisterFilter(
        q=(args.get("q") or "").strip()[: q.MAX_QUERY],
        status=status if status in q.STATUSES else q.STATUS_ACTIVE,
        membership_type_id=lenient_int(args.get("membership_type_id")),
        sort=sort if sort in q.SORTS else q.SORT_NAME,
        descending=args.get("direction") == "desc",
    )


def _filter_args(flt: q.RegisterFilter) -> dict:
    """The filter as query arguments (for paging, sorting and export links)."""
    args = {
        "q": flt.q,
        "status": flt.status if flt.status != q.STATUS_ACTIVE else "",
        "membership_type_id": flt.membership_type_id or "",
        "sort": flt.sort if flt.sort != q.SORT_NAME else "",
        "direction": "desc" if flt.descending else "",
    }
    return {k: v for k, v in args.items() if v}


@bp.route("")
@role_required(*READERS)
def index():
    """The register: search, filter, sort, 50 per page with the total."""
    flt = _register_filter()
    page = q.register_page(flt, request.args.get("seite", 1, type=int), q.PER_PAGE)
    types = db.session.execute(
        select(MembershipType.id, MembershipType.name).order_by(
            MembershipType.sort_order, MembershipType.name
        )
    ).all()
    return render_template(
        "members/index.html", flt=flt, result=page, types=types, args=_filter_args(flt)
    )


@bp.route("/export.<any(csv, xlsx):fmt>")
@role_required(*READERS)
def export(fmt: str):
    """The filtered register (all pages) as CSV or Excel."""
    flt = _register_filter()
    stamp = today().isoformat()
    if fmt == "csv":
        body, mimetype = register_csv(flt), "text/csv; charset=utf-8"
    else:
        body = register_xlsx(flt)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="mitglieder-{stamp}.{fmt}"'},
    )


# a member -------------------------------------------------------------------------------------


@bp.route("/<int:person_id>")
@role_required(*READERS)
def detail(person_id: int):
    """A member's page: data, memberships, dues account, history, reminders."""
    # imported here: banking reads dues and members, which import their routes at start
    from supportclub.banking.collections import active_debit_for_claims
    from supportclub.banking.mandates import MandateState, mandate_checks

    member = q.member_detail(person_id) or abort(404)
    lapsed = {
        membership_id
        for membership_id, check in mandate_checks(member.memberships, today()).items()
        if check.state == MandateState.LAPSED
    }
    return render_template(
        "members/detail.html",
        m=member,
        person=member.person,
        form=EmptyForm(),
        today=today(),
        format_iban=format_iban,
        debits=active_debit_for_claims([row.claim.id for row in member.account.claims]),
        lapsed_mandates=lapsed,
    )


def _create_member(form: MemberCreateForm) -> Person | None:
    """Person, membership and optional mandate in one go; None (nothing written) on error."""
    ok_payer, payer_id = _resolve_payer(form.payer)
    ok_type = _require_type(form)
    try:
        values = clean_person_values(form.person_values())
    except DomainError as exc:
        _form_error(form, exc)
        return None
    if not (ok_payer and ok_type):
        return None
    try:
        person = create_person(
            actor=current_user,
            kind=values["kind"],
            first_name=values["first_name"],
            last_name=values["last_name"],
            street=values["street"],
            postal_code=values["postal_code"],
            city=values["city"],
            email=values["email"],
        )
        update_person(
            person,
            actor=current_user,
            country=values["country"],
            phone=values["phone"],
            iban=values["iban"],
        )
        membership = join(
            person,
            membership_type_id=form.membership_type_id.data,
            start_date=form.start_date.data,
            payer_id=payer_id,
            actor=current_user,
        )
        reference = (form.mandate_reference.data or "").strip()
        iban = (form.mandate_iban.data or "").strip()
        if reference or iban or form.mandate_date.data:
            set_mandate(
                membership,
                reference=reference or default_mandate_reference(membership),
                signed_on=form.mandate_date.data,
                iban=iban or person.iban,
                actor=current_user,
                mandate_type=form.mandate_type.data or "RCUR",
            )
    except DomainError as exc:
        _form_error(form, exc)
        return None
    return person


@bp.route("/neu", methods=["GET", "POST"])
@role_required(*WRITERS)
def create():
    """A new member: person data, membership and optional SEPA mandate, all or nothing."""
    form = MemberCreateForm()
    form.membership_type_id.choices = _type_choices()
    if request.method == "GET":
        form.start_date.data = today()
    if form.validate_on_submit():
        person = _create_member(form)
        if person is not None:
            db.session.commit()
            flash(
                _(
                    "%(name)s ist jetzt Mitglied (Nummer %(number)s).",
                    name=person.full_name,
                    number=person.member_number,
                ),
                "success",
            )
            return redirect(url_for("members.detail", person_id=person.id))
    return _render("members/create.html", form=form)


@bp.route("/<int:person_id>/bearbeiten", methods=["GET", "POST"])
@role_required(*WRITERS)
def edit(person_id: int):
    """Change a person's data (audited: the history shows before and after)."""
    person = _person_or_404(person_id)
    form = PersonForm(obj=person)
    if request.method == "GET":
        form.kind.data = person.kind.value
        form.iban.data = format_iban(person.iban)
    if form.validate_on_submit():
        try:
            changes = update_person(person, actor=current_user, **form.person_values())
        except DomainError as exc:
            _form_error(form, exc)
        else:
            db.session.commit()
            if changes:
                flash(_("Die Daten wurden gespeichert."), "success")
            else:
                flash(_("Es gab nichts zu ändern."), "info")
            return redirect(url_for("members.detail", person_id=person.id))
    return _render("members/edit.html", form=form, person=person)


@bp.route("/<int:person_id>/mitgliedschaft/neu", methods=["GET", "POST"])
@role_required(*WRITERS)
def membership_new(person_id: int):
    """A (further) membership of a person."""
    person = _person_or_404(person_id)
    form = MembershipForm()
    form.membership_type_id.choices = _type_choices()
    if request.method == "GET":
        form.start_date.data = today()
    if form.validate_on_submit():
        ok_payer, payer_id = _resolve_payer(form.payer)
        if _require_type(form) and ok_payer:
            try:
                join(
                    person,
                    membership_type_id=form.membership_type_id.data,
                    start_date=form.start_date.data,
                    payer_id=payer_id,
                    actor=current_user,
                )
            except DomainError as exc:
                _form_error(form, exc)
            else:
                db.session.commit()
                flash(_("Die Mitgliedschaft wurde angelegt."), "success")
                return redirect(url_for("members.detail", person_id=person.id))
    return _render("members/membership_form.html", form=form, person=person)


@bp.route("/mitgliedschaft/<int:membership_id>/austritt", methods=["GET", "POST"])
@role_required(*WRITERS)
def membership_end(membership_id: int):
    """Leave: end a membership on a date, with a reason."""
    membership = _membership_or_404(membership_id)
    form = LeaveForm()
    if request.method == "GET":
        form.end_date.data = date(today().year, 12, 31)
    if form.validate_on_submit():
        try:
            leave(
                membership,
                end_date=form.end_date.data,
                reason=form.reason.data or "",
                actor=current_user,
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(
                _("Der Austritt zum %(day)s ist eingetragen.", day=_day(membership.end_date)),
                "success",
            )
            return redirect(url_for("members.detail", person_id=membership.person_id))
    return _render("members/leave_form.html", form=form, membership=membership)


def _day(value: date) -> str:
    return value.strftime("%d.%m.%Y")


@bp.route("/mitgliedschaft/<int:membership_id>/mandat", methods=["GET", "POST"])
@role_required(*WRITERS)
def mandate(membership_id: int):
    """Record, change or remove the SEPA mandate of a membership."""
    membership = _membership_or_404(membership_id)
    form = MandateForm()
    if request.method == "GET":
        form.mandate_reference.data = membership.mandate_reference or default_mandate_reference(
            membership
        )
        form.mandate_date.data = membership.mandate_date
        form.mandate_iban.data = format_iban(membership.mandate_iban or membership.person.iban)
        form.mandate_type.data = membership.mandate_type
    if form.validate_on_submit():
        remove = bool(form.remove.data)
        try:
            set_mandate(
                membership,
                reference=None if remove else form.mandate_reference.data,
                signed_on=None if remove else form.mandate_date.data,
                iban=None if remove else form.mandate_iban.data,
                actor=current_user,
                mandate_type=form.mandate_type.data or "RCUR",
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            db.session.commit()
            if remove:
                flash(_("Das SEPA-Mandat wurde entfernt."), "success")
            else:
                flash(_("Das SEPA-Mandat wurde gespeichert."), "success")
            return redirect(url_for("members.detail", person_id=membership.person_id))
    return _render("members/mandate_form.html", form=form, membership=membership)


@bp.route("/mitgliedschaft/<int:membership_id>/zahler", methods=["GET", "POST"])
@role_required(*WRITERS)
def payer(membership_id: int):
    """Let someone else pay a membership's dues (or the member again)."""
    membership = _membership_or_404(membership_id)
    form = PayerForm()
    if request.method == "GET" and membership.payer is not None:
        form.payer.data = _person_label(membership.payer)
    if form.validate_on_submit():
        ok, payer_id = _resolve_payer(form.payer)
        if ok:
            try:
                set_payer(membership, payer_id=payer_id, actor=current_user)
            except DomainError as exc:
                _form_error(form, exc)
            else:
                db.session.commit()
                flash(_("Der Zahler wurde gespeichert."), "success")
                return redirect(url_for("members.detail", person_id=membership.person_id))
    return _render("members/payer_form.html", form=form, membership=membership)


@bp.route("/<int:person_id>/deaktivieren", methods=["POST"])
@role_required(*WRITERS)
def deactivate(person_id: int):
    """Deactivate a person (never deleted: booked money keeps its counterparty)."""
    person = _person_or_404(person_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        deactivate_person(person, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("%(name)s ist jetzt deaktiviert.", name=person.full_name), "success")
    return redirect(url_for("members.detail", person_id=person_id))
