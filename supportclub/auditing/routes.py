"""The auditors' pages: the year export (ZIP) and the audit trail's chain check.

Thin: read the year -> call the service -> commit (the export's audit entry) -> send.
"""

from flask import Response, abort, render_template, request
from flask_login import current_user

from supportclub.audit import verify_chain
from supportclub.auditing import bp
from supportclub.auditing.export import (
    ExportYearInvalid,
    check_year,
    discard,
    export_filename,
    export_year,
    export_years,
)
from supportclub.clock import today
from supportclub.extensions import db
from supportclub.permissions import AUDIT_READERS, BOOK_READERS, role_required, user_has_role


def _chosen_year(years: list[int]) -> int:
    """The year of ?jahr= when it can be exported, else last year (or this year)."""
    raw = (request.args.get("jahr") or "").strip()
    if raw.isdigit() and int(raw) in years:
        return int(raw)
    previous = today().year - 1
    return previous if previous in years else years[0]


class _FileStream:
    """The body of a download: an open (already unlinked) file sent in blocks, closed by the
    server when the response ends, or when the response is dropped unread."""

    BLOCK = 1 << 16

    def __init__(self, handle):
        self.handle = handle

    def __iter__(self):
        while block := self.handle.read(self.BLOCK):
            yield block

    def close(self) -> None:
        """Close the file (the WSGI server calls this)."""
        self.handle.close()

    def __del__(self):
        self.handle.close()


@bp.route("")
@role_required(*BOOK_READERS)
def index():
    """Choose a year and download its export; the chain check for those who read the trail."""
    years = export_years()
    return render_template(
        "auditing/index.html",
        years=years,
        year=_chosen_year(years),
        with_audit_trail=user_has_role(current_user, *AUDIT_READERS),
    )


@bp.route("/export/<int:year>.zip")
@role_required(*BOOK_READERS)
def export(year: int):
    """The year's export ZIP (without the audit trail for readers who may not see it)."""
    try:
        check_year(year)
    except ExportYearInvalid:
        abort(404)
    path = export_year(
        year, current_user, with_audit_trail=user_has_role(current_user, *AUDIT_READERS)
    )
    db.session.commit()
    size = path.stat().st_size
    body = _FileStream(path.open("rb"))
    discard(path)  # the open handle keeps the file readable until the response is sent
    return Response(
        body,
        mimetype="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{export_filename(year)}"',
            "Content-Length": str(size),
            "Cache-Control": "private, no-store",
        },
        direct_passthrough=True,
    )


@bp.route("/protokoll-kette")
@role_required(*AUDIT_READERS)
def chain():
    """Check the audit trail's hash chain now and show the result."""
    report = verify_chain()
    return render_template("auditing/chain.html", report=report)
