"""Year-end closing (Jahresabschluss / Festschreibung): checklist, close, carried balances."""

from flask import Blueprint

bp = Blueprint("closing", __name__, url_prefix="/jahresabschluss")

from supportclub.closing import routes  # noqa: E402,F401
