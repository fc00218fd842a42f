"""Campaign pages: the list by year, a campaign's result and series, create, edit, book.
Thin: parse -> call the campaign services -> commit -> flash -> redirect."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice as C

from supportclub.campaigns import bp, charts
from supportclub.campaigns import queries as q
from supportclub.campaigns.forms import (
    CampaignBookingForm,
    CampaignFilterForm,
    CampaignForm,
    CampaignLineForm,
)
from supportclub.campaigns.models import Campaign
from supportclub.campaigns.services import (
    COST_CATEGORIES,
    MAX_LINES,
    CampaignLine,
    CampaignLineError,
    campaign_categories,
    create_campaign,
    record_campaign_booking,
    update_campaign,
)
from supportclub.clock import today
from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.forms import apply_domain_error
from supportclub.ledger.labels import SPHERE_LABELS
from supportclub.ledger.models import Account
from supportclub.ledger.person_picker import resolve_person
from supportclub.permissions import BOOK_READERS, BOOK_WRITERS, role_required

BOOKING_ACCOUNTS = ("bank", "cash")


def _campaign(campaign_id: int) -> Campaign:
    """The campaign or 404."""
    return db.session.get(Campaign, campaign_id) or abort(404)


def _series_names() -> list[str]:
    """Known series, for the suggestions of the series field."""
    return q.campaign_filters()[1]


# List and detail -------------------------------------------------------------------------------


@bp.route("")
@role_required(*BOOK_READERS)
def index():
    """Campaigns by year with revenue, costs and net; filter by year and series."""
    years, series = q.campaign_filters()
    form = CampaignFilterForm(request.args)
    form.year.choices = [C("", _("alle"))] + [C(y, str(y)) for y in years]
    form.series.choices = [C("", _("alle"))] + [C(s, s) for s in series]
    form.validate()
    for field in (form.year, form.series):
        if field.errors:
            field.data = None
    rows = q.campaigns_overview(year=form.year.data, series=form.series.data or None)
    by_year: dict[int, list[q.CampaignTotals]] = {}
    for row in rows:
        by_year.setdefault(row.campaign.year, []).append(row)
    return render_template("campaigns/index.html", form=form, by_year=by_year, rows=rows)


@bp.route("/<int:campaign_id>")
@role_required(*BOOK_READERS)
def detail(campaign_id: int):
    """A campaign's result by category and sphere, its bookings, and its series over the years."""
    campaign = _campaign(campaign_id)
    series = [row for row in q.series_comparison(campaign.series) if row.year <= campaign.year]
    chart = charts.svg_data_uri(charts.series_chart_svg(series)) if series else None
    return render_template(
        "campaigns/detail.html",
        campaign=campaign,
        result=q.campaign_result(campaign.id),
        bookings=q.campaign_bookings(campaign.id),
        series=series,
        chart=chart,
        sphere_labels=SPHERE_LABELS,
    )


# Create and edit -------------------------------------------------------------------------------


@bp.route("/neu", methods=["GET", "POST"])
@role_required(*BOOK_WRITERS)
def new():
    """Create a campaign."""
    form = CampaignForm()
    if request.method == "GET":
        form.year.data = today().year
    if form.validate_on_submit():
        try:
            campaign = create_campaign(
                name=form.name.data,
                series=form.series.data,
                year=form.year.data,
                event_date=form.event_date.data,
                description=form.description.data,
                actor=current_user,
            )
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            db.session.commit()
            flash(_("Aktion „%(name)s“ angelegt.", name=campaign.name), "success")
            return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "campaigns/form.html", form=form, campaign=None, series_names=_series_names()
    ), status


@bp.route("/<int:campaign_id>/bearbeiten", methods=["GET", "POST"])
@role_required(*BOOK_WRITERS)
def edit(campaign_id: int):
    """Change a campaign's name, series, year, date or description."""
    campaign = _campaign(campaign_id)
    form = CampaignForm(obj=campaign)
    if form.validate_on_submit():
        try:
            update_campaign(
                campaign,
                actor=current_user,
                name=form.name.data,
                series=form.series.data,
                year=form.year.data,
                event_date=form.event_date.data,
                description=form.description.data,
            )
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            db.session.commit()
            flash(_("Aktion „%(name)s“ gespeichert.", name=campaign.name), "success")
            return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "campaigns/form.html", form=form, campaign=campaign, series_names=_series_names()
    ), status


# Booking ---------------------------------------------------------------------------------------


def _set_choices(form: CampaignBookingForm) -> None:
    """Accounts (bank, cash) and the campaign categories, grouped into revenue and costs."""
    accounts = db.session.execute(
        select(Account)
        .where(Account.code.in_(BOOKING_ACCOUNTS), Account.is_active.is_(True))
        .order_by(Account.id)
    ).scalars()
    form.account_id.choices = [C(a.id, a.name) for a in accounts]
    categories = campaign_categories()
    revenue = [C(c.id, c.name) for c in categories if c.code not in COST_CATEGORIES]
    costs = [C(c.id, c.name) for c in categories if c.code in COST_CATEGORIES]
    choices = {
        "": [C("", _("– bitte wählen –"))],
        _("Einnahmen"): revenue,
        _("Kosten"): costs,
    }
    for entry in form.lines.entries:
        entry.form.category_id.choices = choices


def _campaign_lines(form: CampaignBookingForm) -> tuple[list[CampaignLine], list[int], bool]:
    """The filled rows as CampaignLines, the row index of each, and whether all have a category.

    Empty rows are skipped; a filled row without a category gets its message here.
    """
    lines, rows, ok = [], [], True
    for index, entry in enumerate(form.lines.entries):
        sub: CampaignLineForm = entry.form
        if sub.is_empty():
            continue
        if sub.category_id.data is None:
            sub.category_id.errors = [*sub.category_id.errors, _("Bitte eine Kategorie wählen.")]
            ok = False
        lines.append(
            CampaignLine(
                category=sub.category_id.data,
                amount_cents=sub.amount.data,
                text=sub.text.data or "",
                quantity=sub.quantity.data,
                unit_price_cents=sub.unit_price.data,
            )
        )
        rows.append(index)
    return lines, rows, ok


def _show_error(form: CampaignBookingForm, exc: DomainError, rows: list[int]) -> None:
    """Put a service error next to the row field it names, else where apply_domain_error does."""
    if isinstance(exc, CampaignLineError) and exc.index < len(rows):
        sub = form.lines.entries[rows[exc.index]].form
        field = getattr(sub, exc.field, sub.amount)
        field.errors = [*field.errors, exc.message]
        return
    apply_domain_error(form, exc)


def _book(form: CampaignBookingForm, campaign: Campaign):
    """Resolve the person and record the booking; None (errors on the form) when refused."""
    lines, rows, ok = _campaign_lines(form)
    if not ok:
        return None
    ok, person_id = resolve_person(form, actor=current_user)
    if not ok:
        return None
    try:
        return record_campaign_booking(
            campaign,
            booking_date=form.booking_date.data,
            account_id=form.account_id.data,
            person_id=person_id,
            text=form.text.data or "",
            lines=lines,
            actor=current_user,
        )
    except DomainError as exc:
        _show_error(form, exc, rows)
        return None


@bp.route("/<int:campaign_id>/buchung", methods=["GET", "POST"])
@role_required(*BOOK_WRITERS)
def booking_new(campaign_id: int):
    """Book a campaign's revenue and costs: up to ten rows, units × unit price where sold."""
    campaign = _campaign(campaign_id)
    form = CampaignBookingForm()
    if request.method == "GET":
        day = campaign.event_date
        form.booking_date.data = day if day is not None and day <= today() else today()
    _set_choices(form)
    if request.method == "POST" and form.add_line.data:
        if len(form.lines.entries) < MAX_LINES:
            form.lines.append_entry()
            _set_choices(form)
        return render_template("campaigns/booking_form.html", form=form, campaign=campaign)
    if form.validate_on_submit():
        booking = _book(form, campaign)
        if booking is not None:
            db.session.commit()
            flash(_("Buchung %(id)s für die Aktion gespeichert.", id=booking.id), "success")
            return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
        db.session.rollback()  # a person created by the picker goes with the refused booking
    status = 422 if request.method == "POST" else 200
    return render_template("campaigns/booking_form.html", form=form, campaign=campaign), status
