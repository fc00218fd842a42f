"""Reports: the board's dashboard, the annual treasurer's report, exports, the transparency page."""

from flask import Blueprint

# No url_prefix: the dashboard lives under /berichte, the public page at /transparenz.
bp = Blueprint("reports", __name__)

from supportclub.reports import models, routes  # noqa: E402,F401
