"""Projects and grants: applications, board resolutions, allocations, payouts, documents."""

from flask import Blueprint

bp = Blueprint("projects", __name__, url_prefix="/projekte")

from supportclub.projects import action_routes, document_routes, models, routes  # noqa: E402,F401,I001
