"""Campaigns: the hiking day, the greeting cards; revenue, costs and result over the years."""

from flask import Blueprint

bp = Blueprint("campaigns", __name__, url_prefix="/aktionen")

from supportclub.campaigns import models, routes  # noqa: E402,F401
