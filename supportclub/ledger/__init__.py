"""The ledger: accounts, funds, bookings (immutable, corrected by reversal) and balances."""

from flask import Blueprint

bp = Blueprint("ledger", __name__)

from supportclub.ledger import guards, routes  # noqa: E402,F401

guards.install()
