"""The donations list with its totals, a donor's page, and the export of the list."""

from flask import Response, abort, render_template, request
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice as C

from supportclub.clock import today
from supportclub.donations import bp
from supportclub.donations import queries as q
from supportclub.donations.choices import campaign_choices, fund_filter_choices
from supportclub.donations.exports import export_donations
from supportclub.donations.forms import KIND_LABELS, ORIGIN_LABELS, DonationFilterForm
from supportclub.ledger.person_picker import person_id_from_choice
from supportclub.ledger.queries import booking_years
from supportclub.permissions import BOOK_READERS, role_required


def _filter_form() -> tuple[DonationFilterForm, q.DonationFilter]:
    """The list's filter form from the query string, and the filter it means."""
    form = DonationFilterForm(request.args)
    everything = _("alle")
    form.year.choices = [C("", everything)] + [C(y, str(y)) for y in booking_years()]
    form.fund_id.choices = fund_filter_choices(everything)
    form.kind.choices = [C("", everything)] + [C(k.value, v) for k, v in KIND_LABELS.items()]
    form.campaign_id.choices = campaign_choices(everything)
    form.validate()
    for field in (form.year, form.fund_id, form.kind, form.campaign_id):
        if field.errors:  # a hand-edited URL: ignore the value rather than fail
            field.data = None
    flt = q.DonationFilter(
        year=form.year.data,
        person_id=person_id_from_choice(form.person.data),
        fund_id=form.fund_id.data,
        kind=form.kind.data,
        campaign_id=form.campaign_id.data,
    )
    return form, flt


def _filter_args() -> dict:
    """The filter as query arguments (for paging and export links)."""
    return {k: v for k, v in request.args.items() if k != "seite" and v}


@bp.route("")
@role_required(*BOOK_READERS)
def index():
    """Donations, newest first, filtered by year, donor, earmark, kind and campaign."""
    form, flt = _filter_form()
    page = max(request.args.get("seite", 1, type=int), 1)
    totals = q.totals(flt)
    pages = max((totals.count + q.PER_PAGE - 1) // q.PER_PAGE, 1)
    return render_template(
        "donations/index.html",
        form=form,
        flt=flt,
        rows=q.donation_rows(flt, page=min(page, pages)),
        totals=totals,
        years=q.per_year(flt),
        funds=q.per_fund(flt),
        page=min(page, pages),
        pages=pages,
        args=_filter_args(),
        kinds=KIND_LABELS,
        origins=ORIGIN_LABELS,
    )


@bp.route("/spender/<int:person_id>")
@role_required(*BOOK_READERS)
def donor(person_id: int):
    """All giving of one person: per year, per earmark, every donation."""
    page = q.donor_page(person_id) or abort(404)
    return render_template("donations/donor.html", d=page, kinds=KIND_LABELS, origins=ORIGIN_LABELS)


@bp.route("/export.<any(csv, xlsx):fmt>")
@role_required(*BOOK_READERS)
def export(fmt: str):
    """The filtered list (all pages) as CSV or Excel."""
    _form, flt = _filter_form()
    filename, mimetype, body = export_donations(flt, fmt, stamp=today())
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
