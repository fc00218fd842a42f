"""HTTP views of the year-end closing: the years, a year's checklist, and closing it."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from supportclub.closing import bp
from supportclub.closing.checklist import State, checklist
from supportclub.closing.forms import CloseForm
from supportclub.closing.queries import stored_checklist, year_rows
from supportclub.closing.services import (
    MAX_YEAR,
    account_balances,
    carried_balances,
    close_year,
    fund_balances,
)
from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.forms import apply_domain_error
from supportclub.i18n import _
from supportclub.ledger.models import Account, ClosedYear, Fund
from supportclub.ledger.services import EARLIEST_DATE
from supportclub.permissions import BOOK_READERS, Role, role_required


@bp.route("")
@role_required(*BOOK_READERS)
def index():
    """Every year: open or closed (when, by whom), with its balances per account and fund."""
    return render_template("closing/index.html", rows=year_rows())


def _year_or_404(year: int) -> int:
    """`year` when it is a possible year, else 404."""
    if year < EARLIEST_DATE.year or year > MAX_YEAR:
        abort(404)
    return year


def _render_year(year: int, form: CloseForm, status: int = 200):
    """The year page: the checklist (or the stored one), the carry-over and the closing form."""
    closing = db.session.get(ClosedYear, year)
    form.submit.label.text = _("Jahr %(year)s festschreiben", year=year)
    context = {
        "year": year,
        "closing": closing,
        "form": form,
        "carry": carried_balances(year),
        "State": State,
        "accounts": dict(db.session.execute(select(Account.id, Account.name)).all()),
        "funds": dict(db.session.execute(select(Fund.id, Fund.name)).all()),
    }
    if closing is not None:
        context["stored"] = stored_checklist(closing)
    else:
        context["checklist"] = checklist(year)
        context["account_balances"] = account_balances(year)
        context["fund_balances"] = fund_balances(year)
    return render_template("closing/year.html", **context), status


@bp.route("/<int:year>")
@role_required(*BOOK_READERS)
def year(year: int):
    """A year's checklist with states and links, and (treasurer) the form that closes it."""
    return _render_year(_year_or_404(year), CloseForm())


@bp.route("/<int:year>", methods=["POST"])
@role_required(Role.TREASURER)
def close(year: int):
    """Close (festschreiben) the year; refused with the reasons when the checklist says so."""
    _year_or_404(year)
    form = CloseForm()
    if not form.validate_on_submit():
        return _render_year(year, form, 422)
    try:
        close_year(
            year, current_user, note=form.note.data or "", confirm_warnings=bool(form.confirm.data)
        )
    except DomainError as exc:
        db.session.rollback()
        apply_domain_error(form, exc)
        return _render_year(year, form, 422)
    db.session.commit()
    flash(
        _(
            "Das Jahr %(year)s ist festgeschrieben. Buchungen mit einem Datum in %(year)s sind "
            "nicht mehr möglich.",
            year=year,
        ),
        "success",
    )
    return redirect(url_for("closing.year", year=year))
