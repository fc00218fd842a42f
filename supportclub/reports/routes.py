"""Report pages: dashboard, Kassenbericht PDF, exports, report settings, public transparency page.

Thin: parse the request -> call one query or service -> (commit) -> render or redirect.
"""

from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from supportclub.admin.services import get_settings
from supportclub.clock import today
from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.forms import apply_domain_error
from supportclub.permissions import BOOK_READERS, Role, public, role_required
from supportclub.reports import bp, charts, exports, services
from supportclub.reports import queries as q
from supportclub.reports.annual_report import annual_report_pdf
from supportclub.reports.forms import (
    ExportForm,
    ThresholdAddForm,
    ThresholdChangeForm,
    TransparencyForm,
)
from supportclub.reports.labels import LEVEL_CLASSES, SPHERE_LABELS, STATUS_LABELS
from supportclub.reports.transparency import transparency_page

ALL_YEARS = "alle"
FIRST_YEAR, LAST_YEAR = 1990, 2200
EARMARKED_SHOWN = 50


def _chosen_year() -> tuple[int | None, str | None]:
    """The year of ?jahr= (None for "alle"), or the current year and a message for bad input."""
    raw = (request.args.get("jahr") or "").strip()
    if not raw:
        return today().year, None
    if raw == ALL_YEARS:
        return None, None
    if raw.isdigit() and FIRST_YEAR <= int(raw) <= LAST_YEAR:
        return int(raw), None
    message = _(
        "„%(value)s“ ist kein gültiges Jahr; gezeigt wird das laufende Jahr.", value=raw[:20]
    )
    return today().year, message


@bp.route("/berichte")
@role_required(*BOOK_READERS)
def dashboard():
    """The board's dashboard for a year (?jahr=2025) or since founding (?jahr=alle)."""
    year, message = _chosen_year()
    board = q.dashboard(year, current_year=today().year)
    earmarked = sorted(board.earmarked, key=lambda row: (-row.fund_cents, row.title))
    show_all = request.args.get("projekte") == ALL_YEARS
    series = board.income_series
    grant_years = [g.year for g in board.grant_years]
    return render_template(
        "reports/dashboard.html",
        board=board,
        message=message,
        earmarked=earmarked if show_all else earmarked[:EARMARKED_SHOWN],
        earmarked_hidden=earmarked[EARMARKED_SHOWN:] if not show_all else [],
        income_chart=charts.svg_data_uri(charts.income_chart(series)),
        grants_chart=charts.svg_data_uri(
            charts.grants_chart(
                grant_years,
                [g.approved_cents for g in board.grant_years],
                [g.paid_cents for g in board.grant_years],
            )
        ),
        total_chart=charts.svg_data_uri(charts.grants_total_chart(board.grants_cumulative)),
        sphere_labels=SPHERE_LABELS,
        status_labels=STATUS_LABELS,
        level_classes=LEVEL_CLASSES,
        all_years=ALL_YEARS,
    )


@bp.route("/berichte/kassenbericht/<int:year>.pdf")
@role_required(*BOOK_READERS)
def annual_report(year: int):
    """The Kassenbericht of a year as PDF, for the members' meeting."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        abort(404)
    body = annual_report_pdf(year, today=today())
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="kassenbericht-{year}.pdf"'},
    )


def _export_form() -> ExportForm:
    """The export form from the query string, with this year as the default period."""
    form = ExportForm(request.args)
    if not request.args:
        current = today()
        form.von.data, form.bis.data = date(current.year, 1, 1), current
        form.kind.data, form.fmt.data = "bookings", "xlsx"
    return form


@bp.route("/berichte/export")
@role_required(*BOOK_READERS)
def export_form():
    """Choose period, content and format; a valid choice leads to the download."""
    form = _export_form()
    if request.args.get("submit") is not None and form.validate():
        return redirect(
            url_for(
                "reports.export",
                kind=form.kind.data,
                fmt=form.fmt.data,
                von=form.von.data.isoformat(),
                bis=form.bis.data.isoformat(),
            )
        )
    status = 422 if request.args.get("submit") is not None else 200
    return render_template("reports/export_form.html", form=form), status


@bp.route("/berichte/export/<any(bookings, donations, grants):kind>.<any(csv, xlsx):fmt>")
@role_required(*BOOK_READERS)
def export(kind: str, fmt: str):
    """Bookings, donations or grants of the period ?von=&bis= as CSV or Excel."""
    args = request.args.copy()
    args["kind"], args["fmt"] = kind, fmt
    form = ExportForm(args)
    if not form.validate():
        return render_template("reports/export_form.html", form=form), 400
    filename, mimetype, body = exports.export(kind, fmt, form.von.data, form.bis.data)
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _settings_forms():
    """The three forms of the settings page, read from the request (or empty on GET)."""
    return (
        TransparencyForm(prefix="tp"),
        ThresholdAddForm(prefix="add"),
        ThresholdChangeForm(prefix="change"),
    )


def _save_settings(action: str, forms) -> str | None:
    """Run the service the posted form asks for; returns the success message, or None."""
    transparency, add, change = forms
    form = {"transparency": transparency, "add": add, "change": change}.get(action)
    if form is None or not form.validate():
        return None
    try:
        if action == "transparency":
            services.set_transparency(transparency.public.data == "1", actor=current_user)
            message = _("Die Einstellung der Transparenzseite wurde gespeichert.")
        elif action == "add":
            services.add_threshold(
                kind=add.kind.data,
                valid_from_year=add.valid_from_year.data,
                amount_cents=add.amount.data,
                actor=current_user,
            )
            message = _("Die Grenze wurde hinzugefügt.")
        else:
            services.change_threshold(
                change.threshold_id.data, amount_cents=change.amount.data, actor=current_user
            )
            message = _("Der Betrag wurde geändert.")
    except DomainError as exc:
        db.session.rollback()
        apply_domain_error(form, exc)
        return None
    db.session.commit()
    return message


@bp.route("/berichte/einstellungen", methods=["GET", "POST"])
@role_required(Role.ADMIN, Role.TREASURER)
def settings():
    """Transparency page on or off, and the tax thresholds per year."""
    forms = _settings_forms()
    action = request.form.get("action", "") if request.method == "POST" else ""
    if request.method == "POST":
        message = _save_settings(action, forms)
        if message:
            flash(message, "success")
            return redirect(url_for("reports.settings"))
    else:
        forms[0].public.data = "1" if get_settings().transparency_public else "0"
    status = 422 if request.method == "POST" else 200
    return (
        render_template(
            "reports/settings.html",
            transparency=forms[0],
            add=forms[1],
            change=forms[2],
            action=action,
            rows=services.thresholds(),
            kind_labels=services.KIND_LABELS,
        ),
        status,
    )


@bp.route("/transparenz")
@public
def transparency():
    """The public page: grants total, funded projects, campaign results (if switched on)."""
    if not get_settings().transparency_public:
        abort(404)
    return render_template("reports/transparency.html", page=transparency_page())
