"""Reports: the board's dashboard, the annual treasurer's report, exports, the transparency page."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/berichte")

from supportclub.reports import models  # noqa: E402,F401
