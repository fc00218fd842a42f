"""Mein Konto: a member's own membership, dues, payments and contact data."""

from flask import Blueprint

bp = Blueprint("portal", __name__, url_prefix="/mein-konto")

from supportclub.portal import pay_routes, privacy_routes, receipt_routes, routes  # noqa: E402,F401
