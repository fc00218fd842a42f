"""Projects and grants: applications, board resolutions, allocations, payouts, documents."""

from flask import Blueprint

bp = Blueprint("projects", __name__, url_prefix="/projekte")

from supportclub.projects import models  # noqa: E402,F401
