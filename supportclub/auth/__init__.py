"""Login, logout, own password."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from supportclub.auth import routes, totp_routes  # noqa: E402,F401
