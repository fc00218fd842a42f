"""Login, logout, password change; invitations and password reset by e-mail link."""

import logging
from urllib.parse import urlsplit

from flask import (
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from supportclub.admin.services import get_settings
from supportclub.auth import bp, totp
from supportclub.auth.forms import (
    ForgotPasswordForm,
    LinkPasswordForm,
    LoginForm,
    PasswordChangeForm,
)
from supportclub.auth.services import authenticate, change_password, end_all_sessions
from supportclub.auth.tokens import (
    INVITE,
    RESET,
    TokenError,
    check_token,
    invitation_mail,
    invite_person,
    request_password_reset,
    reset_mail,
    set_password_by_link,
)
from supportclub.errors import DomainError
from supportclub.extensions import db, limiter
from supportclub.forms import EmptyForm, apply_domain_error
from supportclub.ledger.models import Person
from supportclub.mail import MailError, send_one
from supportclub.permissions import Role, login_required_any_role, public, role_required

log = logging.getLogger("supportclub.auth")

# Failed logins per address are counted in one bucket shared by the password step and the
# code step of the second factor, so a wrong code counts like a wrong password.
ACCOUNT_SCOPE = "login-account"
# The second step of a login: who passed the password step, kept in the signed session.
PENDING_KEY = "totp_pending"
PENDING_SECONDS = 5 * 60


def _login_limit() -> str:
    """The configured login rate limit."""
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    """The configured limit of failed logins per e-mail address."""
    return current_app.config["ACCOUNT_LOCKOUT_LIMIT"]


def _reset_limit() -> str:
    """The configured limit of reset links asked for per e-mail address."""
    return current_app.config["RESET_PER_ADDRESS_LIMIT"]


def _address_key() -> str:
    """The e-mail address as typed (normalised): attempts count per address whether an account
    has it or not, so a lockout says nothing about which addresses exist."""
    return "address:" + (request.form.get("email") or "").strip().lower()[:254]


def _failed(response) -> bool:
    """A login that did not succeed (success redirects)."""
    return response.status_code != 302


def _minutes(limit) -> int:
    """The window of a breached limit in whole minutes (at least 1)."""
    return max(limit.limit.get_expiry() // 60, 1)


def _account_locked(limit):
    """The login page with the lockout message, status 429 (the same for every address)."""
    html = render_template(
        "auth/login.html",
        form=LoginForm(),
        error=_(
            "Zu viele fehlgeschlagene Anmeldeversuche mit dieser E-Mail-Adresse. Die Anmeldung "
            "ist für bis zu %(minutes)s Minuten gesperrt; danach geht es wieder.",
            minutes=_minutes(limit),
        ),
    )
    return make_response(html, 429)


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
@limiter.shared_limit(
    _account_limit,
    scope=ACCOUNT_SCOPE,
    key_func=_address_key,
    methods=["POST"],
    deduct_when=_failed,
    on_breach=_account_locked,
)
def login():
    """Log in with e-mail and password (and then a code, when a second factor is set up)."""
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
            next_url = _safe_next(request.args.get("next"))
            if totp.is_enabled(user):
                return begin_second_step(
                    user, remember=form.remember.data, next_url=next_url, key=_address_key()
                )
            session.pop(PENDING_KEY, None)
            login_user(user, remember=form.remember.data)
            return redirect(next_url or url_for("main.index"))
    return render_template("auth/login.html", form=form, error=error)


def begin_second_step(user, *, remember: bool, next_url: str | None, key: str):
    """The password was right, but the user has a second factor: not logged in yet; remember
    who (with the session epoch), for how long, and where to go, then ask for the code."""
    session[PENDING_KEY] = {
        "user_id": user.id,
        "epoch": user.session_epoch or 0,
        "remember": bool(remember),
        "next": next_url,
        "key": key,  # the lockout bucket of the address typed at the password step
        "started": int(totp.utcnow().timestamp()),
    }
    return redirect(url_for("auth.login_code"))


def pending_second_step() -> dict | None:
    """The unexpired second step of this browser's login, if any."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    started = pending.get("started")
    now = int(totp.utcnow().timestamp())
    if not isinstance(started, int) or not 0 <= now - started <= PENDING_SECONDS:
        return None
    return pending


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
            login_user(current_user._get_current_object())  # this session goes on; others end
            flash(
                _("Ihr Passwort wurde geändert. Andere Anmeldungen sind damit beendet."), "success"
            )
            return redirect(url_for("main.index"))
    return render_template("auth/password.html", form=form, logout_form=EmptyForm())


@bp.route("/abmelden/ueberall", methods=["POST"])
@login_required_any_role
def logout_everywhere():
    """End every session of the current user, on this and every other device."""
    if EmptyForm().validate_on_submit():
        end_all_sessions(current_user, actor=current_user)
        db.session.commit()
        logout_user()
        flash(_("Sie sind auf allen Geräten abgemeldet."), "info")
    return redirect(url_for("auth.login"))


# Invitations and password reset by e-mail link ------------------------------------------------


def _link_page(template: str, **context):
    """A page reached through a secret link: never cached, never passed on as referrer."""
    response = make_response(render_template(template, **context))
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def _link_refused(exc: TokenError, purpose: str):
    """The German explanation of an unusable link, with the way to a new one."""
    response = _link_page("auth/link_invalid.html", message=exc.message, purpose=purpose)
    response.status_code = 404 if exc.reason == "invalid" else 410
    return response


def _association_name() -> str:
    """The association's name for mails."""
    return get_settings().name or "supportclub"


def _back_to_person(person_id: int):
    """The member's page once it exists, else the start page."""
    if "members.detail" in current_app.view_functions:
        return redirect(url_for("members.detail", person_id=person_id))
    return redirect(url_for("main.index"))


@bp.route("/zugaenge/einladen/<int:person_id>", methods=["POST"])
@role_required(Role.TREASURER, Role.ADMIN)
def invite_member(person_id: int):
    """Create the member's login and e-mail them a link to set their password."""
    person = db.get_or_404(Person, person_id)
    if not EmptyForm().validate_on_submit():
        flash(_("Das Formular war abgelaufen. Bitte erneut senden."), "error")
        return _back_to_person(person_id)
    try:
        user, raw, expires_at = invite_person(person, actor=current_user)
        link = url_for("auth.accept_invite", token=raw, _external=True)
        send_one(
            invitation_mail(user, association=_association_name(), link=link, expires_at=expires_at)
        )
    except MailError as exc:
        db.session.rollback()
        not_sent = _("Die Einladung wurde nicht verschickt; es wurde nichts gespeichert.")
        flash(f"{exc.message} {not_sent}", "error")
        return _back_to_person(person_id)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _back_to_person(person_id)
    db.session.commit()
    flash(
        _(
            "Die Einladung ist an %(email)s verschickt. Der Link ist 7 Tage gültig.",
            email=user.email,
        ),
        "success",
    )
    return _back_to_person(person_id)


def _set_password_page(token: str, purpose: str, template: str, done):
    """Show the form of a link (or why it cannot be used); set the password on POST."""
    try:
        user = check_token(token, purpose)
    except TokenError as exc:
        return _link_refused(exc, purpose)
    form = LinkPasswordForm()
    if form.validate_on_submit():
        try:
            user = set_password_by_link(token, purpose, form.password.data)
        except TokenError as exc:  # used in the meantime (a second tab)
            db.session.rollback()
            return _link_refused(exc, purpose)
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            db.session.commit()
            logout_user()
            if totp.is_enabled(user):  # the link replaces the password, not the second factor
                flash(
                    _(
                        "Ihr neues Passwort ist gespeichert. Bitte bestätigen Sie die Anmeldung "
                        "mit Ihrem zweiten Faktor."
                    ),
                    "success",
                )
                return begin_second_step(
                    user, remember=False, next_url=None, key="address:" + user.email.lower()
                )
            login_user(user)
            return done(user)
    response = _link_page(template, form=form, user=user)
    if form.errors:
        response.status_code = 422
    return response


@bp.route("/einladung/<token>", methods=["GET", "POST"])
@public
def accept_invite(token: str):
    """The invitation link: choose a password, then go to "Mein Konto"."""

    def done(user):
        flash(_("Willkommen! Ihr Passwort ist gespeichert und Sie sind angemeldet."), "success")
        return redirect(url_for("portal.account"))

    return _set_password_page(token, INVITE, "auth/accept_invite.html", done)


@bp.route("/passwort-zuruecksetzen/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    """The reset link: choose a new password, then go to the start page."""

    def done(user):
        flash(_("Ihr neues Passwort ist gespeichert und Sie sind angemeldet."), "success")
        return redirect(url_for("main.index"))

    return _set_password_page(token, RESET, "auth/reset_password.html", done)


def _too_many_requests(limit):
    """The forgot-password page again with a clear German message, status 429."""
    html = render_template(
        "auth/forgot_password.html",
        form=ForgotPasswordForm(),
        error=_(
            "Zu viele Anfragen. Bitte warten Sie bis zu %(minutes)s Minuten und versuchen Sie "
            "es dann erneut.",
            minutes=_minutes(limit),
        ),
    )
    return make_response(html, 429)


@bp.route("/passwort-vergessen", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"], on_breach=_too_many_requests)
@limiter.limit(_reset_limit, key_func=_address_key, methods=["POST"], on_breach=_too_many_requests)
def forgot_password():
    """Ask for a reset link; the answer is the same whether the address is known or not."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        found = request_password_reset(form.email.data)
        if found is None:
            db.session.rollback()
        else:
            user, raw, expires_at = found
            link = url_for("auth.reset_password", token=raw, _external=True)
            try:
                send_one(
                    reset_mail(
                        user, association=_association_name(), link=link, expires_at=expires_at
                    )
                )
            except MailError as exc:
                # the same answer as for an unknown address; the admin finds it in the log
                db.session.rollback()
                log.warning("Reset-Mail an Zugang %s nicht versendet: %s", user.id, exc.message)
            else:
                db.session.commit()
        flash(
            _(
                "Wenn die Adresse bekannt ist, haben wir eine E-Mail mit einem Link zum "
                "Zurücksetzen des Passworts geschickt. Der Link ist 2 Stunden gültig."
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    status = 422 if form.errors else 200
    return render_template("auth/forgot_password.html", form=form, error=None), status
