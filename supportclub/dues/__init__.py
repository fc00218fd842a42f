"""Dues: yearly claims, payments against them, write-offs and reminders."""

from flask import Blueprint

bp = Blueprint("dues", __name__, url_prefix="/beitraege")

from supportclub.dues import models, reminder_routes, routes  # noqa: E402,F401
