"""Bookings: record, list, detail, reverse; balances and the yearly overview."""

from datetime import MAXYEAR, MINYEAR, date

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice as C

from supportclub.clock import today
from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.forms import apply_domain_error
from supportclub.ledger import bp
from supportclub.ledger import queries as q
from supportclub.ledger.forms import (
    BookingFilterForm,
    BookingForm,
    ReversalForm,
)
from supportclub.ledger.labels import SPHERE_LABELS
from supportclub.ledger.models import (
    Account,
    Category,
    Channel,
    Fund,
)
from supportclub.ledger.person_picker import (
    person_id_from_choice,
    person_label,
    resolve_person,
)
from supportclub.ledger.services import (
    LineInput,
    find_persons,
    general_fund,
    record_booking,
    reverse_booking,
)
from supportclub.permissions import BOOK_READERS, BOOK_WRITERS, can_reverse_booking, role_required

CHANNEL_LABELS = {
    Channel.MANUAL: _l("von Hand erfasst"),
    Channel.BANK: _l("Bankimport"),
    Channel.CASH: _l("Kasse"),
    Channel.STRIPE: _l("Stripe (online)"),
    Channel.DEMO: _l("Demodaten"),
}


def _choices():
    """Active accounts, categories and funds for the select boxes."""
    accounts = (
        db.session.execute(select(Account).where(Account.is_active.is_(True)).order_by(Account.id))
        .scalars()
        .all()
    )
    categories = (
        db.session.execute(
            select(Category)
            .where(Category.is_active.is_(True))
            .order_by(Category.sort_order, Category.name)
        )
        .scalars()
        .all()
    )
    funds = (
        db.session.execute(
            select(Fund).where(Fund.is_active.is_(True)).order_by(Fund.is_earmarked, Fund.name)
        )
        .scalars()
        .all()
    )
    return accounts, categories, funds


def _line_inputs(form: BookingForm, sign: int) -> list[LineInput] | None:
    """Turn the line rows into LineInputs; the single-line case takes the booking amount."""
    entries = list(form.lines.entries)
    if len(entries) == 1 and entries[0].form.amount.data is None:
        entries[0].form.amount.data = form.amount.data
    lines, ok = [], True
    for entry in entries:
        sub = entry.form
        if sub.amount.data is None:
            sub.amount.errors = [
                *sub.amount.errors,
                _("Bitte einen Betrag für die Position angeben."),
            ]
            ok = False
            continue
        if sub.category_id.data is None:
            sub.category_id.errors = [*sub.category_id.errors, _("Bitte eine Kategorie wählen.")]
            ok = False
            continue
        lines.append(
            LineInput(
                category_id=sub.category_id.data,
                fund_id=sub.fund_id.data,
                amount_cents=sign * sub.amount.data,
                text=sub.text.data or "",
            )
        )
    return lines if ok else None


@bp.route("/buchungen/neu", methods=["GET", "POST"])
@role_required(*BOOK_WRITERS)
def booking_new():
    """Record an income or an expense."""
    accounts, categories, funds = _choices()
    form = BookingForm()
    if request.method == "GET":
        form.booking_date.data = today()
        form.lines.entries[0].form.fund_id.data = general_fund().id
    form.account_id.choices = [C(a.id, a.name) for a in accounts]
    for entry in form.lines.entries:
        entry.form.category_id.choices = [C("", _("– bitte wählen –"))] + [
            (c.id, c.name) for c in categories
        ]
        entry.form.fund_id.choices = [C(f.id, f.name) for f in funds]
    if request.method == "POST" and form.add_line.data:
        form.lines.append_entry()
        new = form.lines.entries[-1].form
        new.category_id.choices = form.lines.entries[0].form.category_id.choices
        new.fund_id.choices = form.lines.entries[0].form.fund_id.choices
        new.fund_id.data = general_fund().id
        return render_template("ledger/booking_form.html", form=form)
    if form.validate_on_submit():
        sign = 1 if form.kind.data == "income" else -1
        lines = _line_inputs(form, sign)
        ok, person_id = False, None
        if lines is not None:
            ok, person_id = resolve_person(form, actor=current_user)
        if ok and lines is not None:
            try:
                booking = record_booking(
                    booking_date=form.booking_date.data,
                    account_id=form.account_id.data,
                    amount_cents=sign * form.amount.data,
                    lines=lines,
                    person_id=person_id,
                    text=form.text.data or "",
                    actor=current_user,
                )
            except DomainError as exc:
                db.session.rollback()
                apply_domain_error(form, exc)
            else:
                db.session.commit()
                flash(_("Buchung %(id)s gespeichert.", id=booking.id), "success")
                return redirect(url_for("ledger.booking_detail", booking_id=booking.id))
        else:
            db.session.rollback()
    return render_template("ledger/booking_form.html", form=form)


def _filter_from_form(form: BookingFilterForm) -> q.BookingFilter:
    """A BookingFilter from the (validated) filter form."""
    date_from = form.date_from.data if not form.date_from.errors else None
    date_to = form.date_to.data if not form.date_to.errors else None
    if form.year.data and not (date_from or date_to):
        date_from, date_to = date(form.year.data, 1, 1), date(form.year.data, 12, 31)
    return q.BookingFilter(
        date_from=date_from,
        date_to=date_to,
        category_id=form.category_id.data,
        fund_id=form.fund_id.data,
        account_id=form.account_id.data,
        person_id=person_id_from_choice(form.person.data),
    )


@bp.route("/buchungen")
@role_required(*BOOK_READERS)
def bookings():
    """The journal: filtered, paginated, with totals of the whole filtered set."""
    accounts, categories, funds = _choices()
    form = BookingFilterForm(request.args)
    any_choice = [C("", _("alle"))]
    form.year.choices = any_choice + [C(y, str(y)) for y in q.booking_years()]
    form.category_id.choices = any_choice + [C(c.id, c.name) for c in categories]
    form.fund_id.choices = any_choice + [C(f.id, f.name) for f in funds]
    form.account_id.choices = any_choice + [C(a.id, a.name) for a in accounts]
    form.validate()
    for field in (form.year, form.category_id, form.fund_id, form.account_id):
        if field.errors:
            field.data = None
    flt = _filter_from_form(form)
    per_page = current_app.config["BOOKINGS_PER_PAGE"]
    totals = q.filter_totals(flt)
    pages = max((totals.count + per_page - 1) // per_page, 1)
    page = min(max(request.args.get("seite", 1, type=int), 1), pages)
    rows = q.list_bookings(flt, page=page, per_page=per_page)
    args = {k: v for k, v in request.args.items() if k != "seite" and v}
    return render_template(
        "ledger/bookings.html",
        form=form,
        rows=rows,
        totals=totals,
        page=page,
        pages=pages,
        args=args,
        flt=flt,
    )


@bp.route("/buchungen/<int:booking_id>")
@role_required(*BOOK_READERS)
def booking_detail(booking_id: int):
    """One booking with its lines and its reversal links."""
    booking = q.booking_detail(booking_id) or abort(404)
    form = ReversalForm() if can_reverse_booking(current_user, booking) else None
    if form is not None:
        form.reversal_date.data = today()
    return render_template(
        "ledger/booking_detail.html", booking=booking, form=form, channels=CHANNEL_LABELS
    )


@bp.route("/buchungen/<int:booking_id>/stornieren", methods=["POST"])
@role_required(*BOOK_WRITERS)
def booking_reverse(booking_id: int):
    """Reverse a booking with a reason; both stay visible and linked."""
    booking = q.booking_detail(booking_id) or abort(404)
    form = ReversalForm()
    if form.validate_on_submit():
        try:
            reversal = reverse_booking(
                booking, form.reason.data, actor=current_user, reversal_date=form.reversal_date.data
            )
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            db.session.commit()
            flash(
                _(
                    "Buchung %(id)s wurde storniert (Stornobuchung %(rid)s).",
                    id=booking.id,
                    rid=reversal.id,
                ),
                "success",
            )
            return redirect(url_for("ledger.booking_detail", booking_id=reversal.id))
    booking = q.booking_detail(booking_id)
    return (
        render_template(
            "ledger/booking_detail.html", booking=booking, form=form, channels=CHANNEL_LABELS
        ),
        422,
    )


@bp.route("/salden")
@role_required(*BOOK_READERS)
def balances():
    """Balances per account and per fund (optionally as of a date)."""
    as_of = None
    raw = request.args.get("stichtag", "")
    error = None
    if raw:
        try:
            as_of = date.fromisoformat(raw)
        except ValueError:
            error = _("Bitte ein gültiges Datum angeben.")
    accounts = q.account_balances(as_of)
    funds = q.fund_balances(as_of)
    # funds of closed projects that are empty add nothing; they still count in the total (0)
    hidden = sum(1 for f, t in funds if not f.is_active and not t)
    funds = [(f, t) for f, t in funds if f.is_active or t]
    return render_template(
        "ledger/balances.html",
        accounts=accounts,
        funds=funds,
        as_of=as_of,
        error=error,
        total_accounts=sum(t for _a, t in accounts),
        total_funds=sum(t for _f, t in funds),
        hidden_funds=hidden,
    )


@bp.route("/jahresuebersicht")
@role_required(*BOOK_READERS)
def year_overview():
    """Income and expense per category and per tax sphere for one year."""
    years = q.booking_years() or [today().year]
    year = request.args.get("jahr", type=int) or years[0]
    if not MINYEAR <= year <= MAXYEAR:  # no calendar has that year
        year = years[0]
    return render_template(
        "ledger/year_overview.html",
        years=years,
        overview=q.year_overview(year),
        sphere_labels=SPHERE_LABELS,
    )


@bp.route("/personen/suche")
@role_required(*BOOK_READERS)
def person_search():
    """JSON for the person picker: up to 20 matches for ?q=."""
    persons = find_persons(request.args.get("q", ""), limit=20)
    return jsonify([{"id": p.id, "label": person_label(p)} for p in persons])
