"""Association settings, user accounts and the audit trail."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/verwaltung")

from supportclub.admin import (  # noqa: E402,F401
    payment_settings_routes,
    receipt_settings_routes,
    routes,
)
