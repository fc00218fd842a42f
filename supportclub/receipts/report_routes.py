"""The reconciliation report of a year's receipts against the books, as a page and as CSV."""

from flask import Response, render_template, request

from supportclub.admin.services import get_settings
from supportclub.clock import today
from supportclub.permissions import BOOK_READERS, role_required
from supportclub.receipts import bp
from supportclub.receipts.forms import ReportYearForm
from supportclub.receipts.report import reconcile, report_csv
from supportclub.tables import CSV_MIMETYPE


@bp.route("/abgleich")
@role_required(*BOOK_READERS)
def reconciliation():
    """Receipts against booked donations and dues of a year (?jahr=2025), per donor and in total;
    ?format=csv downloads the per-donor table."""
    form = ReportYearForm(request.args)
    if not form.validate() or form.jahr.data is None:
        form.jahr.data = today().year - 1 if today().month < 7 else today().year
    settings = get_settings()
    report = reconcile(form.jahr.data, dues_deductible=settings.dues_deductible)
    if request.args.get("format") == "csv":
        return Response(
            report_csv(report),
            mimetype=CSV_MIMETYPE,
            headers={
                "Content-Disposition": (
                    f'attachment; filename="zuwendungsbestaetigungen-abgleich-{report.year}.csv"'
                )
            },
        )
    return render_template(
        "receipts/report.html",
        form=form,
        report=report,
        dues_deductible=settings.dues_deductible,
    )
