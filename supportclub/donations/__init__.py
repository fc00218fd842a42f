"""Donations: money, in kind and waived reimbursements; lists per year, donor and project."""

from flask import Blueprint

bp = Blueprint("donations", __name__, url_prefix="/spenden")

from supportclub.donations import entry_routes, models, routes  # noqa: E402,F401
