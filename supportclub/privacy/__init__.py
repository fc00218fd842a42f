"""Privacy rights (DSGVO): data export, erasure and lock, automatic anonymisation."""

from flask import Blueprint

bp = Blueprint("privacy", __name__, url_prefix="/datenschutz")

from supportclub.privacy import routes  # noqa: E402,F401
