"""Bank statements in (camt.053, Sparkasse CSV-CAMT, MT940) and SEPA direct debits out."""

from flask import Blueprint

bp = Blueprint("banking", __name__)

from supportclub.banking import (  # noqa: E402,F401  (routes register on bp)
    collection_routes,
    import_routes,
    models,
    review_routes,
    settings_routes,
)
