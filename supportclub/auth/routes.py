"""Login, logout and password change."""

from urllib.parse import urlsplit

from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from supportclub.auth import bp
from supportclub.auth.forms import LoginForm, PasswordChangeForm
from supportclub.auth.services import authenticate, change_password
from supportclub.errors import DomainError
from supportclub.extensions import db, limiter
from supportclub.forms import EmptyForm, apply_domain_error
from supportclub.permissions import login_required_any_role, public


def _login_limit() -> str:
    """The configured login rate limit."""
    return current_app.config["LOGIN_RATE_LIMIT"]


def _safe_next(target: str | None) -> str | None:
    """Only follow `next` to a path on this site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _too_many_attempts(limit):
    """The login page again, with a clear German message, status 429."""
    html = render_template(
        "auth/login.html",
        form=LoginForm(),
        error=_(
            "Zu viele Anmeldeversuche. Bitte warten Sie eine Minute und versuchen Sie "
            "es dann erneut."
        ),
    )
    return make_response(html, 429)


@bp.route("/anmelden", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"], on_breach=_too_many_attempts)
def login():
    """Log in with e-mail and password."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            db.session.rollback()
            error = _("E-Mail oder Passwort ist falsch.")
        else:
            db.session.commit()
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")) or url_for("main.index"))
    return render_template("auth/login.html", form=form, error=error)


@bp.route("/abmelden", methods=["POST"])
@login_required_any_role
def logout():
    """Log out (POST with CSRF token)."""
    if EmptyForm().validate_on_submit():
        logout_user()
        flash(_("Sie sind abgemeldet."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/passwort", methods=["GET", "POST"])
@login_required_any_role
def password():
    """Change one's own password."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            change_password(
                current_user, current=form.current.data, new=form.new.data, actor=current_user
            )
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            db.session.commit()
            flash(_("Ihr Passwort wurde geändert."), "success")
            return redirect(url_for("main.index"))
    return render_template("auth/password.html", form=form)
