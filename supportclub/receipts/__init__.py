"""Donation receipts (Zuwendungsbestätigungen): issue, store, deliver, revoke, reconcile."""

from flask import Blueprint

bp = Blueprint("receipts", __name__, url_prefix="/zuwendungsbestaetigungen")

from supportclub.receipts import models, routes, issue_routes, report_routes, batch_routes  # noqa: E402,F401,I001
