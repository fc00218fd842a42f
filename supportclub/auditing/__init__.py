"""The auditors' side: the year export (auditors, tax office) and the audit trail's chain check."""

from flask import Blueprint

bp = Blueprint("auditing", __name__, url_prefix="/pruefung")

from supportclub.auditing import routes  # noqa: E402,F401
