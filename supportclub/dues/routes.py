"""Dues pages: yearly overview, dues run, open claims, payments against claims, write-off,
dues settings. Thin: parse -> call the dues services -> commit -> flash -> redirect."""

import re

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice as C

from supportclub import MAX_DB_INT
from supportclub.admin.services import get_settings, update_dues_settings
from supportclub.clock import today
from supportclub.dues import bp
from supportclub.dues import queries as q
from supportclub.dues.commands import run_summary
from supportclub.dues.forms import (
    DuesSettingsForm,
    OpenClaimsFilterForm,
    PayerForm,
    PaymentForm,
    RunForm,
    RunPreviewForm,
    WaiveForm,
    amount_input_name,
    chosen_claim_ids,
    payment_rows,
    read_allocations,
)
from supportclub.dues.models import ClaimStatus, DuesRun
from supportclub.dues.payments import (
    Allocation,
    OverpaymentError,
    record_payment,
    suggest_allocations,
    waive_claim,
)
from supportclub.dues.services import plan_dues_run, run_dues
from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.forms import apply_domain_error
from supportclub.i18n import _
from supportclub.ledger.models import Account, Person
from supportclub.ledger.person_picker import person_id_from_choice
from supportclub.ledger.services import find_persons
from supportclub.members.models import MembershipType
from supportclub.money import format_cents
from supportclub.permissions import BOOK_READERS, Role, role_required

STATUS_LABELS = {
    ClaimStatus.OPEN: _l("offen"),
    ClaimStatus.PARTLY_PAID: _l("teilweise bezahlt"),
    ClaimStatus.PAID: _l("bezahlt"),
    ClaimStatus.WAIVED: _l("erlassen"),
}
OPEN_CLAIMS_PER_PAGE = 50
PREVIEW_ROWS = 200
RECENT_RUNS = 10


def _member_page(person_id: int, booking_id: int | None = None):
    """The member's page, or (while it does not exist) the booking or the open-dues list."""
    if "members.detail" in current_app.view_functions:
        return url_for("members.detail", person_id=person_id)
    if booking_id is not None:
        return url_for("ledger.booking_detail", booking_id=booking_id)
    return url_for("dues.open_claims")


# Overview -------------------------------------------------------------------------------------


@bp.route("")
@role_required(*BOOK_READERS)
def overview():
    """Claimed, paid, written off and open dues of a year by membership type; the last runs."""
    current = today().year
    years = sorted(set(q.dues_years()) | {current}, reverse=True)
    year = request.args.get("jahr", type=int)
    if year not in years:
        year = current
    lines = q.dues_overview(year)
    total = q.OverviewLine(_("Summe"))
    for line in lines:
        total.claims += line.claims
        total.claimed_cents += line.claimed_cents
        total.paid_cents += line.paid_cents
        total.waived_cents += line.waived_cents
    runs = (
        db.session.execute(
            select(DuesRun)
            .order_by(DuesRun.created_at.desc(), DuesRun.id.desc())
            .limit(RECENT_RUNS)
        )
        .scalars()
        .all()
    )
    return render_template(
        "dues/overview.html", year=year, years=years, lines=lines, total=total, runs=runs
    )


# Dues run -------------------------------------------------------------------------------------


@bp.route("/lauf", methods=["GET", "POST"])
@role_required(Role.TREASURER)
def run():
    """Preview the dues run of a year, then execute it (re-planned on the server)."""
    if request.method == "POST":
        form = RunForm()
        if form.validate_on_submit():
            try:
                plan = run_dues(form.year.data, actor=current_user)
            except DomainError as exc:
                db.session.rollback()
                apply_domain_error(form, exc)
            else:
                db.session.commit()
                flash(run_summary(plan), "success" if plan.count else "info")
                return redirect(url_for("dues.overview", jahr=plan.year))
        preview = RunPreviewForm(formdata=None, year=form.year.data)
        preview.year.errors = list(form.year.errors)
        return render_template("dues/run.html", form=preview, run_form=None, plan=None), 422

    if "year" in request.args:
        form = RunPreviewForm(request.args)
        valid = form.validate()
    else:
        form, valid = RunPreviewForm(formdata=None, year=today().year), True
    plan = None
    if valid:
        try:
            plan = plan_dues_run(form.year.data)
        except DomainError as exc:
            apply_domain_error(form, exc)
    run_form = RunForm(formdata=None, year=plan.year) if plan else None
    return render_template(
        "dues/run.html", form=form, run_form=run_form, plan=plan, preview_rows=PREVIEW_ROWS
    )


# Open claims ----------------------------------------------------------------------------------


@bp.route("/offen")
@role_required(*BOOK_READERS)
def open_claims():
    """Unpaid and partly paid claims, oldest due first, with the totals of the filtered set."""
    form = OpenClaimsFilterForm(request.args)
    any_choice = [C("", _("alle"))]
    form.year.choices = any_choice + [C(y, str(y)) for y in q.dues_years()]
    types = db.session.execute(
        select(MembershipType).order_by(MembershipType.sort_order, MembershipType.name)
    ).scalars()
    form.membership_type_id.choices = any_choice + [C(t.id, t.name) for t in types]
    form.validate()
    for field in (form.year, form.membership_type_id, form.q):
        if field.errors:
            field.data = None
    flt = q.OpenClaimsFilter(
        year=form.year.data,
        membership_type_id=form.membership_type_id.data,
        overdue_only=bool(form.overdue.data),
        query=(form.q.data or "").strip(),
    )
    # imported here: banking reads dues and members, which import their routes at start
    from supportclub.banking.collections import active_debit_for_claims

    count, open_total = q.open_claims_total(flt)
    pages = max((count + OPEN_CLAIMS_PER_PAGE - 1) // OPEN_CLAIMS_PER_PAGE, 1)
    page = min(max(request.args.get("seite", 1, type=int), 1), pages)
    rows = q.rows(
        q.open_claims_select(flt)
        .limit(OPEN_CLAIMS_PER_PAGE)
        .offset((page - 1) * OPEN_CLAIMS_PER_PAGE)
    )
    args = {k: v for k, v in request.args.items() if k != "seite" and v}
    return render_template(
        "dues/open_claims.html",
        form=form,
        rows=rows,
        count=count,
        open_total=open_total,
        page=page,
        pages=pages,
        args=args,
        status_labels=STATUS_LABELS,
        debits=active_debit_for_claims([row.claim.id for row in rows]),
    )


# Payment --------------------------------------------------------------------------------------


def _account_choices() -> list[C]:
    """Accounts a treasurer books a dues payment on by hand (online payments come by Stripe)."""
    accounts = db.session.execute(
        select(Account)
        .where(Account.is_active.is_(True), Account.code != "stripe")
        .order_by(Account.id)
    ).scalars()
    return [C(a.id, a.name) for a in accounts]


def _payer_of_claims(claim_ids: list[int]) -> tuple[Person | None, str | None]:
    """The one person who pays all these claims (the alternate payer or the member)."""
    rows = q.claims_by_id(claim_ids)
    if len(rows) != len(set(claim_ids)):
        return None, _("Eine der gewählten Forderungen gibt es nicht.")
    payers = {row.membership.paying_person.id: row.membership.paying_person for row in rows}
    if len(payers) > 1:
        names = ", ".join(sorted(p.display_name for p in payers.values()))
        return None, _(
            "Die gewählten Forderungen werden von verschiedenen Personen bezahlt (%(names)s). "
            "Bitte die Zahlung jedes Zahlers einzeln erfassen.",
            names=names,
        )
    return next(iter(payers.values())), None


def _payer_from_search(form: PayerForm) -> Person | None:
    """The person picked in the payer search, else an error at the field."""
    text = (form.person.data or "").strip()
    if not text:
        return None
    person_id = person_id_from_choice(text)
    if person_id is not None and (person := db.session.get(Person, person_id)) is not None:
        return person
    matches = find_persons(text, limit=2)
    if len(matches) == 1:
        return matches[0]
    form.person.errors = [
        _("Mehrere Personen passen. Bitte aus der Liste wählen.")
        if matches
        else _("Keine Person gefunden. Bitte aus der Liste wählen.")
    ]
    return None


def _payer_on_get(search: PayerForm) -> tuple[Person | None, list[int], str | None]:
    """Payer and preselected claims from ?person_id=, ?claim_id=... or the payer search."""
    chosen = chosen_claim_ids(request.args.getlist("claim_id"))
    person_id = request.args.get("person_id", type=int)
    if person_id is not None:
        payer = db.session.get(Person, person_id) if 0 < person_id <= MAX_DB_INT else None
        if payer is None:
            return None, [], _("Diese Person gibt es nicht.")
        own = {row.claim.id for row in q.claims_of_person(payer.id)}
        if set(chosen) - own:
            return (
                None,
                [],
                _("Nicht alle gewählten Forderungen gehören zu %(name)s.", name=payer.display_name),
            )
        return payer, chosen, None
    if chosen:
        payer, problem = _payer_of_claims(chosen)
        return payer, chosen if payer else [], problem
    return _payer_from_search(search), [], None


@bp.route("/zahlung/neu", methods=["GET", "POST"])
@role_required(Role.TREASURER)
def payment_new():
    """Record a payment against a payer's claims; an overpayment is asked about, never silent."""
    form = PaymentForm()
    form.account_id.choices = _account_choices()
    search = PayerForm(request.args)
    problem = None
    if request.method == "POST":
        raw_id = form.person_id.data or ""
        payer = db.session.get(Person, int(raw_id)) if re.fullmatch(r"[0-9]{1,9}", raw_id) else None
        if payer is None:
            abort(400)
        chosen = chosen_claim_ids(request.form.getlist("claim_id"))
    else:
        payer, chosen, problem = _payer_on_get(search)
        form.booking_date.data = today()
        accounts = {c.value for c in form.account_id.choices}
        bank = db.session.execute(select(Account.id).filter_by(code="bank")).scalar()
        form.account_id.data = bank if bank in accounts else None
    if payer is None:
        return render_template(
            "dues/payment_form.html", form=None, search=search, payer=None, problem=problem
        )
    form.person_id.data = str(payer.id)
    rows = payment_rows(
        q.claims_of_person(payer.id, only_open=True),
        chosen,
        request.form if request.method == "POST" else None,
    )
    if request.method == "GET":
        shown = {r.claim_id for r in rows}
        settled = q.claims_by_id([claim_id for claim_id in chosen if claim_id not in shown])
        notices = [
            _(
                "Der Beitrag %(year)s von %(name)s ist nicht mehr offen (%(status)s).",
                year=row.claim.year,
                name=row.membership.person.display_name,
                status=STATUS_LABELS[row.status],
            )
            for row in settled
        ]
        return _payment_page(form, payer, rows, notices=notices)
    return _payment_post(form, payer, rows, chosen)


def _payment_page(form, payer, rows, claims_errors=(), question=None, status=200, notices=()):
    """Render the payment form."""
    return (
        render_template(
            "dues/payment_form.html",
            form=form,
            payer=payer,
            rows=rows,
            claims_errors=list(claims_errors),
            question=question,
            notices=list(notices),
            amount_input_name=amount_input_name,
            status_labels=STATUS_LABELS,
        ),
        status,
    )


def _payment_post(form: PaymentForm, payer: Person, rows, chosen: list[int]):
    """Check the form, book the payment, or show what is wrong (status 422)."""
    shown = {r.claim_id for r in rows}
    valid = form.validate_on_submit()
    amounts, errors = read_allocations(chosen, request.form, rows)
    claims_errors = [message for claim_id, message in errors.items() if claim_id not in shown]
    if not valid or errors:
        return _payment_page(form, payer, rows, claims_errors, status=422)
    if chosen:
        allocations = [Allocation(claim_id, amounts[claim_id]) for claim_id in chosen]
    else:  # nothing ticked: settle the oldest open claims first, and show that choice
        allocations = suggest_allocations(payer.id, form.amount.data)
        suggested = {a.claim_id: a.amount_cents for a in allocations}
        for row in rows:
            if row.claim_id in suggested:
                row.checked = True
                row.amount_text = format_cents(suggested[row.claim_id], symbol=False)
    rest = form.amount.data - sum(a.amount_cents for a in allocations)
    # "book the rest as a donation" confirms exactly the remainder the treasurer was shown
    confirmed = bool(form.donate_rest.data) and form.donation_cents.data == str(rest)
    try:
        booking = record_payment(
            person_id=payer.id,
            booking_date=form.booking_date.data,
            account_id=form.account_id.data,
            amount_cents=form.amount.data,
            allocations=allocations,
            actor=current_user,
            overpayment_as_donation=confirmed,
            text=form.text.data or "",
        )
    except OverpaymentError as exc:
        db.session.rollback()
        form.donation_cents.data = str(exc.remainder_cents)
        return _payment_page(form, payer, rows, question=exc.message, status=422)
    except DomainError as exc:
        db.session.rollback()
        if exc.field == "claims":
            claims_errors.append(exc.message)
        else:
            apply_domain_error(form, exc)
        return _payment_page(form, payer, rows, claims_errors, status=422)
    members = {
        row.membership.person_id for row in q.claims_by_id([a.claim_id for a in allocations])
    }
    db.session.commit()
    flash(
        _(
            "Zahlung über %(amount)s gebucht (Buchung %(id)s).",
            amount=format_cents(booking.amount_cents),
            id=booking.id,
        ),
        "success",
    )
    member_id = members.pop() if len(members) == 1 else payer.id
    return redirect(_member_page(member_id, booking.id))


# Write-off ------------------------------------------------------------------------------------


@bp.route("/forderungen/<int:claim_id>/erlassen", methods=["GET", "POST"])
@role_required(Role.TREASURER)
def claim_waive(claim_id: int):
    """Write off what is open on a claim, with a reason."""
    found = q.claims_by_id([claim_id])
    if not found:
        abort(404)
    row = found[0]
    form = WaiveForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                waiver = waive_claim(row.claim, reason=form.reason.data, actor=current_user)
            except DomainError as exc:
                db.session.rollback()
                if exc.field == "reason":
                    apply_domain_error(form, exc)
                else:
                    flash(exc.message, "error")
                    return redirect(_member_page(row.membership.person_id))
            else:
                db.session.commit()
                flash(
                    _(
                        "Der Beitrag %(year)s von %(name)s wurde über %(amount)s erlassen.",
                        year=row.claim.year,
                        name=row.membership.person.full_name,
                        amount=format_cents(waiver.amount_cents),
                    ),
                    "success",
                )
                return redirect(_member_page(row.membership.person_id))
        status = 422
    return (
        render_template("dues/claim_waive.html", form=form, row=row, status_labels=STATUS_LABELS),
        status,
    )


# Settings -------------------------------------------------------------------------------------


@bp.route("/einstellungen", methods=["GET", "POST"])
@role_required(Role.TREASURER, Role.ADMIN)
def settings():
    """Pro-rata dues for members joining during the year, and the payment term."""
    current = get_settings()
    form = DuesSettingsForm()
    if request.method == "GET":
        form.dues_pro_rata.data = "1" if current.dues_pro_rata else "0"
        form.dues_payment_days.data = current.dues_payment_days
    if form.validate_on_submit():
        values = {
            "dues_pro_rata": form.dues_pro_rata.data == "1",
            "dues_payment_days": form.dues_payment_days.data,
        }
        try:
            update_dues_settings(values, actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            db.session.commit()
            flash(_("Die Beitragseinstellungen wurden gespeichert."), "success")
            return redirect(url_for("dues.settings"))
    status = 422 if request.method == "POST" else 200
    return render_template("dues/settings.html", form=form), status
