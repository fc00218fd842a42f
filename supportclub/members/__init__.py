"""Members: the register, memberships with their types and fee rates, imports."""

from flask import Blueprint

bp = Blueprint("members", __name__, url_prefix="/mitglieder")

from supportclub.members import models  # noqa: E402,F401
