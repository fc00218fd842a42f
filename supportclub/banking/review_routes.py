"""The review queue of bank lines: list and filter, confirm suggestions in bulk, recompute them,
and one line with its data, its suggestion and the correction form. Admin and treasurer read;
only the treasurer books."""

from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice as C

from supportclub.auth.models import Role
from supportclub.banking import bp, labels
from supportclub.banking import review_queries as q
from supportclub.banking.assign import Target, TargetKind, assign_line
from supportclub.banking.confirm import confirm_lines
from supportclub.banking.models import LineState, MatchKind, StatementLine
from supportclub.banking.review_forms import AssignForm, ConfirmForm, ReviewFilterForm
from supportclub.banking.suggestion import Suggestion
from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.forms import EmptyForm, apply_domain_error
from supportclub.i18n import _
from supportclub.ledger.models import Person
from supportclub.ledger.person_picker import person_label, resolve_person
from supportclub.members.validation import format_iban
from supportclub.money import MoneyError, format_cents, format_input, parse_amount
from supportclub.permissions import role_required

VIEWERS = (Role.ADMIN, Role.TREASURER)
TREASURER = (Role.TREASURER,)
MAX_SKIP_REASONS = 20


def safe_next(target: str | None) -> str | None:
    """Only go back to a path on this site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target[1:2] in ("/", "\\"):
        return None
    return target


def _filter(source) -> tuple[ReviewFilterForm, q.ReviewFilter]:
    """The filter form (from query args or posted fields) and what it selects."""
    form = ReviewFilterForm(source)
    form.import_.choices = [C("", _("alle"))]
    form.art.choices = [C("", _("alle"))] + [
        C(k.value, str(label)) for k, label in labels.KIND_LABELS.items()
    ]
    form.validate()
    try:
        kind = MatchKind(form.art.data) if form.art.data else None
    except ValueError:
        kind = None
    try:
        import_id = int(source.get("import") or 0) or None
    except ValueError:
        import_id = None
    status = LineState.DONE if form.status.data == "done" else LineState.OPEN
    search = (form.q.data or "")[:200] if not form.q.errors else ""
    return form, q.ReviewFilter(import_id, kind, status, search)


def _args(flt: q.ReviewFilter) -> dict:
    """The filter as query arguments."""
    args = {
        "import": flt.import_id,
        "art": flt.kind.value if flt.kind else None,
        "status": "done" if flt.status == LineState.DONE else None,
        "q": flt.search or None,
    }
    return {k: v for k, v in args.items() if v}


@bp.route("/bank/pruefen")
@role_required(*VIEWERS)
def review():
    """The review queue: lines with their suggestions, counts per kind, 100 per page."""
    form, flt = _filter(request.args)
    counts = q.kind_counts(flt)
    total = counts.get(flt.kind, 0) if flt.kind else sum(counts.values())
    page, pages = q.pages_of(total, max(request.args.get("seite", 1, type=int), 1))
    lines = q.page_lines(flt, page)
    bookable = sum(n for k, n in counts.items() if k != MatchKind.NONE and (flt.kind in (None, k)))
    return render_template(
        "banking/review.html",
        form=form,
        flt=flt,
        counts=counts,
        total=total,
        lines=lines,
        suggestions={line.id: Suggestion.of(line) for line in lines},
        claim_years=q.claim_years(lines),
        page=page,
        pages=pages,
        args=_args(flt),
        bookable_count=bookable if flt.status == LineState.OPEN else 0,
        confirm_form=ConfirmForm(next=request.full_path.rstrip("?")),
        rematch_form=EmptyForm(),
        format_iban=format_iban,
        **labels.template_helpers(),
    )


def _flash_result(result) -> None:
    """ "n Umsätze gebucht, m verknüpft, k übersprungen", and the reasons."""
    flash(
        _(
            "%(booked)s Umsätze gebucht, %(linked)s verknüpft, %(skipped)s übersprungen.",
            booked=result.booked,
            linked=result.linked,
            skipped=len(result.skipped),
        ),
        "success" if not result.skipped else "warning",
    )
    for line, reason in result.skipped[:MAX_SKIP_REASONS]:
        flash(
            _(
                "%(date)s, %(amount)s, %(name)s: %(reason)s",
                date=line.booking_date.strftime("%d.%m.%Y"),
                amount=format_cents(line.amount_cents),
                name=line.counterparty_name or "–",
                reason=reason,
            ),
            "warning",
        )
    if len(result.skipped) > MAX_SKIP_REASONS:
        flash(
            _("… und %(count)s weitere.", count=len(result.skipped) - MAX_SKIP_REASONS), "warning"
        )


@bp.route("/bank/pruefen/bestaetigen", methods=["POST"])
@role_required(*TREASURER)
def review_confirm():
    """Confirm the selected lines' suggestions, or all bookable ones of the filter."""
    form = ConfirmForm()
    back = safe_next(form.next.data) or url_for("banking.review")
    if not form.validate_on_submit():
        flash(_("Das Formular war abgelaufen. Bitte erneut senden."), "danger")
        return redirect(back)
    if request.form.get("scope") == "all":
        _form, flt = _filter(request.form)
        lines = q.bookable_lines(flt)
    else:
        ids = [int(v) for v in request.form.getlist("line_id") if v.isdigit() and len(v) < 10]
        lines = q.lines_by_id(ids)
    if not lines:
        flash(_("Keine Umsätze ausgewählt."), "warning")
        return redirect(back)
    try:
        result = confirm_lines(lines, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(back)
    db.session.commit()
    _flash_result(result)
    return redirect(back)


@bp.route("/bank/pruefen/neu-zuordnen", methods=["POST"])
@role_required(*TREASURER)
def review_rematch():
    """Recompute the suggestions of all open lines."""
    from supportclub.banking.matching import match_lines

    form = EmptyForm()
    if form.validate_on_submit():
        lines = q.open_lines()
        match_lines(lines)
        db.session.commit()
        flash(_("Vorschläge für %(count)s offene Umsätze neu berechnet.", count=len(lines)))
    return redirect(safe_next(request.form.get("next")) or url_for("banking.review"))


# One line ---------------------------------------------------------------------------------------


def _get_line(bank_line_id: int) -> StatementLine:
    """The line, or 404."""
    return db.session.get(StatementLine, bank_line_id) or abort(404)


def _choices(form: AssignForm, choices: dict) -> None:
    """The selects of the correction form."""
    empty = C("", "–")
    form.fund_id.choices = [C(str(f.id), f.name) for f in choices["funds"]]
    form.project_id.choices = [empty] + [C(str(p.id), p.title) for p in choices["projects"]]
    form.campaign_id.choices = [empty] + [C(str(c.id), c.name) for c in choices["campaigns"]]
    form.category_id.choices = [empty] + [C(str(c.id), c.name) for c in choices["categories"]]


def _picked_person_id(line: StatementLine, form: AssignForm) -> int | None:
    """The person whose open claims the form lists: the picked one, else the suggestion's."""
    from supportclub.ledger.person_picker import person_id_from_choice

    return person_id_from_choice(form.person.data) or line.match_person_id


def _render_detail(line: StatementLine, form: AssignForm, status: int = 200, amounts=None):
    """The line page (with the correction form as posted, on an error)."""
    from supportclub.dues.queries import claims_of_person

    s = Suggestion.of(line)
    person_id = _picked_person_id(line, form)
    claims = claims_of_person(person_id, only_open=True) if person_id else []
    suggested = dict(s.claims)
    if amounts is None:
        amounts = {
            row.claim.id: format_input(suggested[row.claim.id])
            for row in claims
            if row.claim.id in suggested
        }
    checked = set(amounts) if request.method == "POST" else set(suggested)
    return (
        render_template(
            "banking/line_detail.html",
            line=line,
            suggestion=s,
            claim_years=q.claim_years([line]),
            form=form,
            claims=claims,
            amounts=amounts,
            checked=checked,
            confirm_form=ConfirmForm(next=request.args.get("next") or form.next.data or ""),
            format_iban=format_iban,
            format_input=format_input,
            **labels.template_helpers(),
        ),
        status,
    )


@bp.route("/bank/umsaetze/<int:bank_line_id>")
@role_required(*VIEWERS)
def line_detail(bank_line_id: int):
    """A line: everything the bank said, the suggestion, the correction form."""
    line = _get_line(bank_line_id)
    form = AssignForm(next=request.args.get("next", ""))
    _choices(form, q.form_choices())
    s = Suggestion.of(line)
    if line.match_person_id and not form.person.data:
        person = db.session.get(Person, line.match_person_id)
        form.person.data = person_label(person) if person else ""
    if s.claims and s.donation_cents:
        form.target.data = "claims_donation"
    elif s.donation_cents and not s.claims:
        form.target.data = "donation"
    elif line.amount_cents < 0:
        form.target.data = "other"
    return _render_detail(line, form)


def _allocations(form: AssignForm) -> tuple[list[tuple[int, int]], dict[int, str]] | None:
    """The checked claims with their typed amounts; None (errors on the form) when unreadable."""
    allocations, raw = [], {}
    for value in request.form.getlist("claim_id"):
        if not value.isdigit() or len(value) > 9:
            continue
        claim_id = int(value)
        text = request.form.get(f"claim_amount_{claim_id}", "")
        raw[claim_id] = text
        try:
            allocations.append((claim_id, parse_amount(text)))
        except MoneyError as exc:
            form.claims.errors = [str(exc)]
            return None
    return allocations, raw


@bp.route("/bank/umsaetze/<int:bank_line_id>/zuordnen", methods=["POST"])
@role_required(*TREASURER)
def line_assign(bank_line_id: int):
    """Book the line as the treasurer says; back to the queue, or the page with the error."""
    line = _get_line(bank_line_id)
    form = AssignForm()
    _choices(form, q.form_choices())
    raw: dict[int, str] = {}
    if form.validate_on_submit():
        parsed = _allocations(form)
        if parsed is not None:
            allocations, raw = parsed
            try:
                ok, person_id = resolve_person(form, actor=current_user)
                if ok:
                    kind = form.target.data
                    target = Target(
                        kind=TargetKind.CLAIMS if kind.startswith("claims") else TargetKind(kind),
                        person_id=person_id,
                        allocations=allocations,
                        donation_rest=kind == "claims_donation",
                        fund_id=form.fund_id.data,
                        campaign_id=form.campaign_id.data,
                        category_id=form.category_id.data,
                        project_id=form.project_id.data,
                        booking_id=form.booking_id.data,
                        text=form.text.data or "",
                    )
                    booking = assign_line(line, target, actor=current_user)
                    db.session.commit()
                    flash(
                        _(
                            "Umsatz vom %(date)s über %(amount)s gebucht (Buchung %(booking)s).",
                            date=line.booking_date.strftime("%d.%m.%Y"),
                            amount=format_cents(line.amount_cents),
                            booking=booking.id,
                        ),
                        "success",
                    )
                    return redirect(safe_next(form.next.data) or url_for("banking.review"))
            except DomainError as exc:
                apply_domain_error(form, exc)
            except ValueError:
                form.target.errors = [_("Bitte eine Zuordnung wählen.")]
    db.session.rollback()
    line = _get_line(bank_line_id)
    if not any(f.errors for f in form) and not form.form_errors:
        form.form_errors.append(_("Bitte die Angaben prüfen."))
    return _render_detail(line, form, 422, amounts=raw)
