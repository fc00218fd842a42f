"""Recording donations: one page per kind (money, in kind, waiver) and the donation box."""

from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from supportclub.clock import today
from supportclub.donations import bp
from supportclub.donations.choices import (
    account_choices,
    account_id,
    campaign_choices,
    earmark_choices,
    expense_choices,
)
from supportclub.donations.forms import (
    KIND_LABELS,
    BatchForm,
    InKindForm,
    MoneyDonationForm,
    WaiverForm,
)
from supportclub.donations.models import DonationKind, InKindOrigin
from supportclub.donations.services import (
    IN_KIND_USE,
    earmark_fund_id,
    record_cash_batch,
    record_donation,
    record_in_kind,
    record_waiver,
)
from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.forms import apply_domain_error
from supportclub.ledger.models import Person
from supportclub.ledger.person_picker import resolve_person
from supportclub.ledger.services import check_booking_date
from supportclub.money import format_cents
from supportclub.permissions import BOOK_WRITERS, role_required

# ?art= of /spenden/neu -> form class and kind
FORMS = {"geld": MoneyDonationForm, "sach": InKindForm, "aufwand": WaiverForm}
KINDS = {"geld": DonationKind.MONEY, "sach": DonationKind.IN_KIND, "aufwand": DonationKind.WAIVER}


def _prepare(form, art: str) -> None:
    """Fill the select boxes of the form of kind `art` (and its defaults on GET)."""
    form.fund_id.choices = earmark_choices()
    form.campaign_id.choices = campaign_choices(_("– keine –"))
    if art == "geld":
        form.account_id.choices = account_choices()
    elif art == "sach":
        form.use_category_id.choices = expense_choices(first=IN_KIND_USE)
    else:
        form.expense_category_id.choices = expense_choices(empty=_("– bitte wählen –"))
    if request.method == "GET":
        form.booking_date.data = today()
        if art == "geld":
            form.account_id.data = account_id("bank")


def _save(form, art: str, person_id: int | None):
    """Call the service of kind `art` with the form's values; returns the booking."""
    common = dict(
        booking_date=form.booking_date.data,
        person_id=person_id,
        fund_id=form.fund_id.data,
        campaign_id=form.campaign_id.data,
        actor=current_user,
    )
    if art == "geld":
        return record_donation(
            **common,
            account_id=form.account_id.data,
            amount_cents=form.amount.data,
            text=form.text.data or "",
        )
    if art == "sach":
        return record_in_kind(
            **common,
            value_cents=form.value.data,
            description=form.description.data,
            origin=InKindOrigin(form.origin.data),
            value_basis=form.value_basis.data,
            documents_present=form.documents_present.data,
            use_category_id=form.use_category_id.data,
        )
    return record_waiver(
        **common,
        amount_cents=form.amount.data,
        description=form.description.data,
        claim_date=form.claim_date.data,
        claim_basis=form.claim_basis.data,
        expense_category_id=form.expense_category_id.data,
    )


def _saved_message(art: str, booking, person_id: int | None) -> str:
    """The flash after saving: kind, amount and donor."""
    cents = sum(line.amount_cents for line in booking.lines if line.amount_cents > 0)
    person = db.session.get(Person, person_id) if person_id else None
    return _(
        "%(kind)s über %(amount)s von %(donor)s gespeichert (Buchung %(id)s).",
        kind=KIND_LABELS[KINDS[art]],
        amount=format_cents(cents),
        donor=person.full_name if person else _("anonym"),
        id=booking.id,
    )


@bp.route("/neu", methods=["GET", "POST"])
@role_required(*BOOK_WRITERS)
def new():
    """Record a donation; ?art=geld|sach|aufwand chooses the kind (one page each)."""
    art = request.args.get("art", "geld")
    if art not in FORMS:
        abort(404)
    form = FORMS[art]()
    _prepare(form, art)
    if form.validate_on_submit():
        try:
            ok, person_id = resolve_person(form, actor=current_user)
            booking = _save(form, art, person_id) if ok else None
        except DomainError as exc:
            booking = None
            apply_domain_error(form, exc)
        if booking is not None:
            db.session.commit()
            flash(_saved_message(art, booking, person_id), "success")
            return redirect(url_for("ledger.booking_detail", booking_id=booking.id))
        db.session.rollback()
    status = 422 if request.method == "POST" else 200
    titles = {key: KIND_LABELS[kind] for key, kind in KINDS.items()}
    return render_template("donations/new.html", form=form, art=art, titles=titles), status


@dataclass(frozen=True)
class BatchPreview:
    """What "Prüfen" shows: the amounts found and their sum."""

    items: list[tuple[int, str]]

    @property
    def total_cents(self) -> int:
        """The sum of all amounts."""
        return sum(cents for cents, _text in self.items)


def _batch_items(form: BatchForm) -> list[tuple[int, str]] | None:
    """The filled rows as (cents, note); None (with messages on the rows) when one is unclear."""
    items, ok = [], True
    for entry in form.rows.entries:
        row = entry.form
        note = (row.text.data or "").strip()
        if row.amount.data is None:
            if note:
                row.amount.errors = [_("Bitte einen Betrag angeben oder die Zeile leeren.")]
                ok = False
            continue
        items.append((row.amount.data, note))
    if ok and not items:
        form.form_errors.append(_("Bitte mindestens einen Betrag eintragen."))
        return None
    return items if ok else None


def _batch_check(form: BatchForm) -> None:
    """Refuse before the preview what booking would refuse: the date and the earmark."""
    check_booking_date(form.booking_date.data)
    earmark_fund_id(form.fund_id.data)


@bp.route("/sammelbuchung", methods=["GET", "POST"])
@role_required(*BOOK_WRITERS)
def batch():
    """The donation box: up to 30 amounts as one cash booking; "Prüfen" shows the sum first."""
    form = BatchForm()
    form.campaign_id.choices = campaign_choices(_("– keine –"))
    form.fund_id.choices = earmark_choices()
    if request.method == "GET":
        form.booking_date.data = today()
    preview = None
    if form.validate_on_submit():
        items = _batch_items(form)
        try:
            if items is not None:
                _batch_check(form)
                preview = BatchPreview(items)
                if form.book.data and form.checked_cents.data == str(preview.total_cents):
                    return _book_batch(form, preview)
                if form.book.data:
                    form.form_errors.append(
                        _(
                            "Die Beträge wurden nach dem Prüfen geändert. "
                            "Bitte die neue Summe prüfen."
                        )
                    )
                form.checked_cents.data = str(preview.total_cents)
        except DomainError as exc:
            db.session.rollback()
            preview = None
            apply_domain_error(form, exc)
    status = 422 if request.method == "POST" and preview is None else 200
    return render_template("donations/batch.html", form=form, preview=preview), status


def _book_batch(form: BatchForm, preview: BatchPreview):
    """Book the checked amounts, commit, and go to the booking."""
    booking = record_cash_batch(
        booking_date=form.booking_date.data,
        items=preview.items,
        campaign_id=form.campaign_id.data,
        fund_id=form.fund_id.data,
        text=form.text.data or "",
        actor=current_user,
    )
    db.session.commit()
    flash(
        _(
            "Sammelbuchung über %(amount)s (%(n)s Spenden) gespeichert (Buchung %(id)s).",
            amount=format_cents(preview.total_cents),
            n=len(preview.items),
            id=booking.id,
        ),
        "success",
    )
    return redirect(url_for("ledger.booking_detail", booking_id=booking.id))
