"""Online payments with Stripe: dues from "Mein Konto", public donations, the webhook."""

from flask import Blueprint

bp = Blueprint("payments", __name__)

from supportclub.payments import (  # noqa: E402,F401  (routes register on bp)
    admin_routes,
    public_routes,
    routes,
)
