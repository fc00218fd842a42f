"""The treasurer's online-payment pages: the list with what needs attention, one payment with
its Stripe ids, bookings and events, the webhook events, the payouts; and the actions on a
payment (treasurer only). Admins see everything and act on nothing; the board sees none of it."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice as C

from supportclub.auth.models import Role
from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.forms import EmptyForm, apply_domain_error
from supportclub.i18n import _
from supportclub.ledger.models import Person
from supportclub.money import format_cents
from supportclub.payments import actions, bp
from supportclub.payments import queries as q
from supportclub.payments.admin_forms import (
    NEW_PERSON,
    AssignPayerForm,
    EventFilterForm,
    PaymentFilterForm,
    RefundForm,
    ResolveForm,
)
from supportclub.payments.labels import (
    OUTCOME_LABELS,
    PURPOSE_LABELS,
    STATUS_LABELS,
    template_helpers,
)
from supportclub.payments.models import OnlinePayment, PaymentStatus, Purpose
from supportclub.permissions import BOOK_WRITERS, can_write_books, role_required

# who may see the operational payment pages (the board reads the books, not these)
VIEWERS = (Role.ADMIN, Role.TREASURER)


def _enum_or_none(enum_cls, value):
    """`value` as a member of `enum_cls`, or None (empty or hand-edited)."""
    try:
        return enum_cls(value) if value else None
    except ValueError:
        return None


def _args() -> dict:
    """The filter as query arguments (for paging links)."""
    return {k: v for k, v in request.args.items() if k != "seite" and v}


def _page() -> int:
    """The requested page number (1 when missing or invalid)."""
    return max(request.args.get("seite", 1, type=int), 1)


# The list ---------------------------------------------------------------------------------------


@bp.route("/zahlungen/online")
@role_required(*VIEWERS)
def admin_list():
    """Every online payment, newest first, with what needs attention on top."""
    everything = _("alle")
    form = PaymentFilterForm(request.args)
    form.status.choices = [C("", everything)] + [
        C(s.value, str(label)) for s, label in STATUS_LABELS.items()
    ]
    form.purpose.choices = [C("", everything)] + [
        C(p.value, str(label)) for p, label in PURPOSE_LABELS.items()
    ]
    form.validate()
    flt = q.PaymentFilter(
        status=_enum_or_none(PaymentStatus, form.status.data),
        purpose=_enum_or_none(Purpose, form.purpose.data),
        attention_only=bool(form.attention.data),
        search=(form.q.data or "")[:200] if not form.q.errors else "",
    )
    page, pages = q.pages_of(q.payment_count(flt), _page())
    return render_template(
        "payments/admin/list.html",
        form=form,
        rows=q.payment_rows(flt, page=page),
        counts=q.attention_counts(),
        open_items=q.open_attention(),
        page=page,
        pages=pages,
        args=_args(),
        **template_helpers(),
    )


# One payment ----------------------------------------------------------------------------------


def _person_label(person: Person) -> str:
    """A candidate as the treasurer recognises them: name, address, e-mail, member number."""
    parts = [person.display_name]
    address = ", ".join(person.address_lines)
    if address:
        parts.append(address)
    if person.email:
        parts.append(person.email)
    if person.member_number:
        parts.append(_("Mitglied Nr. %(number)s", number=person.member_number))
    return " · ".join(parts)


def _assign_choices(form: AssignPayerForm, persons: list[Person]) -> None:
    """The radio choices: each candidate, then "new person"."""
    form.person.choices = [(str(p.id), _person_label(p)) for p in persons] + [
        (NEW_PERSON, _("neue Person aus den Angaben des Spenders anlegen"))
    ]


def _resolve_forms(payment: OnlinePayment, posted: tuple[int, ResolveForm] | None) -> dict:
    """A "done" form per open attention item (the posted one keeps its input and errors)."""
    forms = {}
    for item in payment.attention:
        if item.resolved_at is None:
            if posted is not None and posted[0] == item.id:
                forms[item.id] = posted[1]
            else:
                forms[item.id] = ResolveForm(prefix=f"a{item.id}", formdata=None)
    return forms


def _render_detail(payment_id: int, *, status: int = 200, **forms):
    """The payment's page (with a posted form's errors when `forms` names it)."""
    detail = q.payment_detail(payment_id) or abort(404)
    payment = detail.payment
    acts = can_write_books(current_user)
    refundable = actions.refundable_cents(payment)
    assign = forms.get("assign")
    persons = actions.payer_choices(payment) if acts else []
    if acts and assign is None:
        assign = AssignPayerForm(formdata=None)
    if assign is not None:
        _assign_choices(assign, persons)
    refund = forms.get("refund")
    if acts and refund is None:
        refund = RefundForm(formdata=None, amount=refundable)
    return (
        render_template(
            "payments/admin/detail.html",
            d=detail,
            p=payment,
            acts=acts,
            refundable=refundable,
            assign=assign,
            refund=refund,
            resolve_forms=_resolve_forms(payment, forms.get("resolve")) if acts else {},
            button=EmptyForm(formdata=None),
            **template_helpers(),
        ),
        status,
    )


@bp.route("/zahlungen/online/<int:payment_id>")
@role_required(*VIEWERS)
def admin_detail(payment_id: int):
    """One payment: Stripe ids, amounts, donor data, claims, bookings, events, attention."""
    return _render_detail(payment_id)


def _exists(payment_id: int) -> None:
    """404 unless the payment exists."""
    if not 0 < payment_id < 2**31 or db.session.get(OnlinePayment, payment_id) is None:
        abort(404)


def _back(payment_id: int):
    """Redirect to the payment's page (POST-redirect-GET)."""
    return redirect(url_for("payments.admin_detail", payment_id=payment_id))


def _flash_outcome(outcome: actions.Outcome, done: str) -> None:
    """Say what was done, and whether the books could be brought in line with Stripe."""
    if outcome.synced:
        flash(done, "success")
        return
    flash(
        done
        + " "
        + _(
            "Stripe konnte danach nicht gelesen werden (%(error)s). Die Buchung folgt mit dem "
            "nächsten Webhook oder mit „Bei Stripe abgleichen“.",
            error=outcome.message,
        ),
        "warning",
    )


def _show_error(form, exc: DomainError) -> None:
    """A service's error at its field, or on top of the page (the form may not be shown)."""
    if exc.field:
        apply_domain_error(form, exc)
    else:
        flash(exc.message, "danger")


@bp.route("/zahlungen/online/<int:payment_id>/zahler", methods=["POST"])
@role_required(*BOOK_WRITERS)
def admin_assign_payer(payment_id: int):
    """Confirm an unclear payer (a candidate or a new person), then book the payment."""
    _exists(payment_id)
    form = AssignPayerForm()
    if not form.validate():
        return _render_detail(payment_id, status=422, assign=form)
    choice = form.person.data
    person_id = None if choice == NEW_PERSON else (int(choice) if choice.isdigit() else -1)
    try:
        outcome = actions.assign_payer(payment_id, person_id=person_id, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        _show_error(form, exc)
        return _render_detail(payment_id, status=422, assign=form)
    db.session.commit()
    _flash_outcome(outcome, _("Der Zahler wurde zugeordnet."))
    return _back(payment_id)


@bp.route("/zahlungen/online/<int:payment_id>/abgleichen", methods=["POST"])
@role_required(*BOOK_WRITERS)
def admin_refresh(payment_id: int):
    """Read the payment from Stripe now and bring status and books in line."""
    _exists(payment_id)  # CSRFProtect has checked the token of the button's form
    try:
        payment = actions.sync(payment_id, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return _back(payment_id)
    db.session.commit()
    flash(
        _(
            "Mit Stripe abgeglichen: %(status)s.",
            status=STATUS_LABELS.get(payment.status, payment.status),
        ),
        "success",
    )
    return _back(payment_id)


@bp.route("/zahlungen/online/<int:payment_id>/erstatten", methods=["POST"])
@role_required(*BOOK_WRITERS)
def admin_refund(payment_id: int):
    """Refund all or part of a paid payment through Stripe; the books show it at once."""
    _exists(payment_id)
    form = RefundForm()
    if not form.validate():
        return _render_detail(payment_id, status=422, refund=form)
    try:
        outcome = actions.refund(payment_id, amount_cents=form.amount.data, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        _show_error(form, exc)
        return _render_detail(payment_id, status=422, refund=form)
    db.session.commit()
    _flash_outcome(
        outcome,
        _(
            "Die Erstattung über %(amount)s wurde bei Stripe veranlasst.",
            amount=format_cents(form.amount.data),
        ),
    )
    return _back(payment_id)


@bp.route(
    "/zahlungen/online/<int:payment_id>/hinweise/<int:attention_id>/erledigt",
    methods=["POST"],
)
@role_required(*BOOK_WRITERS)
def admin_resolve(payment_id: int, attention_id: int):
    """Mark an attention item as done, with a note."""
    _exists(payment_id)
    form = ResolveForm(prefix=f"a{attention_id}")
    if not form.validate():
        return _render_detail(payment_id, status=422, resolve=(attention_id, form))
    try:
        actions.resolve_attention(
            payment_id, attention_id, note=form.resolution.data, actor=current_user
        )
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return _back(payment_id)
    db.session.commit()
    flash(_("Der Hinweis ist als erledigt vermerkt."), "success")
    return _back(payment_id)


@bp.route("/zahlungen/online/<int:payment_id>/mehrbetrag-als-spende", methods=["POST"])
@role_required(*BOOK_WRITERS)
def admin_excess_to_donation(payment_id: int):
    """Book a payment's unclear excess as the payer's donation."""
    _exists(payment_id)  # CSRFProtect has checked the token of the button's form
    try:
        booking = actions.excess_to_donation(payment_id, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return _back(payment_id)
    db.session.commit()
    flash(
        _(
            "Der Mehrbetrag ist als Spende gebucht (Buchung %(id)s).",
            id=booking.id,
        ),
        "success",
    )
    return _back(payment_id)


# Events and payouts -----------------------------------------------------------------------------


@bp.route("/zahlungen/online/ereignisse")
@role_required(*VIEWERS)
def admin_events():
    """The webhook events received, newest first; failed ones with their error."""
    everything = _("alle")
    form = EventFilterForm(request.args)
    form.outcome.choices = [C("", everything)] + [
        C(key, str(label)) for key, label in OUTCOME_LABELS.items()
    ]
    types = q.event_types()
    form.type.choices = [C("", everything)] + [C(t, t) for t in types]
    flt = q.EventFilter(
        outcome=form.outcome.data if form.outcome.data in OUTCOME_LABELS else None,
        type=form.type.data if form.type.data in types else None,
    )
    page, pages = q.pages_of(q.event_count(flt), _page())
    return render_template(
        "payments/admin/events.html",
        form=form,
        rows=q.event_rows(flt, page=page),
        page=page,
        pages=pages,
        args=_args(),
        **template_helpers(),
    )


@bp.route("/zahlungen/online/auszahlungen")
@role_required(*VIEWERS)
def admin_payouts():
    """Stripe's payouts to the bank account, with their two bookings."""
    page, pages = q.pages_of(q.payout_count(), _page())
    return render_template(
        "payments/admin/payouts.html",
        rows=q.payout_rows(page=page),
        page=page,
        pages=pages,
        args={},
        **template_helpers(),
    )
