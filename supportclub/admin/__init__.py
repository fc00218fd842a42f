"""Association settings, user accounts and the audit trail."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/verwaltung")

from supportclub.admin import receipt_settings_routes, routes  # noqa: E402,F401
