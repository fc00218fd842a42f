"""Start page, health check, language switch."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from supportclub.main import routes  # noqa: E402,F401
