"""Members: the register, memberships with their types and fee rates, imports."""

from flask import Blueprint

bp = Blueprint("members", __name__, url_prefix="/mitglieder")

from supportclub.members import import_routes, models, routes, type_routes  # noqa: E402,F401
