"""Start page per role, health check and language choice."""

from flask import current_app, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user

from supportclub import check_database
from supportclub.admin.services import get_settings
from supportclub.main import bp
from supportclub.permissions import can_read_books, login_required_any_role, public


@bp.route("/")
@login_required_any_role
def index():
    """The start page; each role sees its own shortcuts."""
    context = {"settings": get_settings()}
    if can_read_books(current_user):
        from supportclub.ledger.queries import account_balances, fund_balances

        context["accounts"] = account_balances()
        # closed projects' funds (inactive, empty) would only crowd the start page
        context["funds"] = [(f, t) for f, t in fund_balances() if f.is_active or t]
    return render_template("main/index.html", **context)


@bp.route("/healthz")
@public
def healthz():
    """Liveness and database check for load balancers and monitoring."""
    if check_database():
        return jsonify(status="ok", database="ok")
    return jsonify(status="error", database="error"), 503


@bp.route("/sprache/<lang>", methods=["POST"])
@public
def set_language(lang: str):
    """Remember the chosen language (de or en) in the session."""
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    target = request.form.get("next") or ""
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("main.index")
    return redirect(target)
