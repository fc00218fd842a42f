"""The second factor in the browser: the code step of a login, and enrolling, switching off and
renewing recovery codes on "Passwort" -> "Zweiter Faktor" (admin and treasurer accounts)."""

from flask import flash, make_response, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from supportclub.auth import bp, totp
from supportclub.auth.forms import (
    RecoveryCodesForm,
    TotpDisableForm,
    TotpEnableForm,
    TotpLoginForm,
)
from supportclub.auth.models import User
from supportclub.auth.routes import (
    ACCOUNT_SCOPE,
    PENDING_KEY,
    _account_limit,
    _association_name,
    _failed,
    _login_limit,
    _minutes,
    pending_second_step,
)
from supportclub.errors import DomainError
from supportclub.extensions import db, limiter
from supportclub.forms import EmptyForm, apply_domain_error
from supportclub.permissions import public, role_required

# the new secret between "Einrichten" and its confirmation, encrypted like the stored one
SETUP_KEY = "totp_setup"


# The code step of a login -----------------------------------------------------------------


def _pending_key() -> str:
    """The lockout bucket of the pending login: the address typed at the password step."""
    pending = pending_second_step()
    return pending["key"] if pending else "totp:none"


def _code_page(error: str, status: int):
    """The code page with a message (lockout, too many attempts)."""
    html = render_template("auth/totp_login.html", form=TotpLoginForm(), error=error)
    return make_response(html, status)


def _code_locked(limit):
    """Too many failed attempts for this address (passwords and codes together)."""
    return _code_page(
        _(
            "Zu viele fehlgeschlagene Anmeldeversuche mit dieser E-Mail-Adresse. Die Anmeldung "
            "ist für bis zu %(minutes)s Minuten gesperrt; danach geht es wieder.",
            minutes=_minutes(limit),
        ),
        429,
    )


def _too_many_codes(limit):
    """Too many attempts from this address (the per-IP login limit)."""
    return _code_page(
        _(
            "Zu viele Anmeldeversuche. Bitte warten Sie eine Minute und versuchen Sie "
            "es dann erneut."
        ),
        429,
    )


def _pending_user(pending: dict) -> User | None:
    """The user of a pending login, unless the account changed in the meantime."""
    user = db.session.get(User, pending.get("user_id") or 0)
    if (
        user is None
        or not user.is_active
        or (user.session_epoch or 0) != pending.get("epoch")
        or not totp.is_enabled(user)
    ):
        return None
    return user


def _start_again():
    """Back to the password step, with the reason."""
    session.pop(PENDING_KEY, None)
    flash(_("Die Anmeldung ist abgelaufen. Bitte melden Sie sich erneut an."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/anmelden/code", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"], on_breach=_too_many_codes)
@limiter.shared_limit(
    _account_limit,
    scope=ACCOUNT_SCOPE,
    key_func=_pending_key,
    methods=["POST"],
    deduct_when=_failed,
    on_breach=_code_locked,
)
def login_code():
    """The second step of a login: the code of the app (or a recovery code)."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    if PENDING_KEY not in session:
        return redirect(url_for("auth.login"))
    pending = pending_second_step()
    user = _pending_user(pending) if pending else None
    if user is None:
        return _start_again()
    form = TotpLoginForm()
    error = None
    if form.validate_on_submit():
        try:
            method = totp.check_second_factor(user, form.code.data)
        except DomainError as exc:
            db.session.rollback()
            error = exc.message
        else:
            user.last_login_at = totp.utcnow()
            db.session.commit()
            session.pop(PENDING_KEY, None)
            login_user(user, remember=pending["remember"])
            if method == "recovery":
                flash(
                    _(
                        "Sie haben sich mit einem Wiederherstellungscode angemeldet; noch "
                        "%(count)s sind übrig. Neue Codes erzeugen Sie unter „Zweiter Faktor“.",
                        count=totp.unused_recovery_codes(user),
                    ),
                    "warning",
                )
            return redirect(pending.get("next") or url_for("main.index"))
    return render_template("auth/totp_login.html", form=form, error=error)


# Enrolment and the state page ---------------------------------------------------------------


def _no_store(response):
    """A page with a secret or recovery codes: never cached, never passed on as referrer."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _state_page(disable_form=None, codes_form=None, status: int = 200):
    """The state of the second factor with the forms that fit it."""
    user = current_user._get_current_object()
    enabled = totp.is_enabled(user)
    html = render_template(
        "auth/totp_state.html",
        enabled=enabled,
        user=user,
        remaining=totp.unused_recovery_codes(user) if enabled else 0,
        start_form=EmptyForm(),
        disable_form=disable_form or TotpDisableForm(prefix="off"),
        codes_form=codes_form or RecoveryCodesForm(prefix="codes"),
    )
    return make_response(html, status)


def _codes_page(codes: list[str], *, first: bool):
    """The recovery codes, shown this once."""
    html = render_template("auth/totp_recovery_codes.html", codes=codes, first=first)
    return _no_store(make_response(html))


@bp.route("/passwort/zweiter-faktor")
@role_required(*totp.TOTP_ROLES)
def totp_state():
    """Whether the second factor is on, and the way to switch it on or off."""
    return _state_page()


@bp.route("/passwort/zweiter-faktor/einrichten", methods=["POST"])
@role_required(*totp.TOTP_ROLES)
def totp_start():
    """Make a new secret (kept encrypted in the session until it is confirmed)."""
    if not EmptyForm().validate_on_submit():
        flash(_("Das Formular war abgelaufen. Bitte erneut senden."), "error")
        return redirect(url_for("auth.totp_state"))
    if totp.is_enabled(current_user):
        flash(_("Der zweite Faktor ist schon eingerichtet."), "info")
        return redirect(url_for("auth.totp_state"))
    session[SETUP_KEY] = totp.seal(totp.new_secret())
    return redirect(url_for("auth.totp_confirm"))


@bp.route("/passwort/zweiter-faktor/bestaetigen", methods=["GET", "POST"])
@role_required(*totp.TOTP_ROLES)
def totp_confirm():
    """Show the QR code and the secret; switch the factor on with a code and the password."""
    sealed = session.get(SETUP_KEY)
    if not sealed or totp.is_enabled(current_user):
        session.pop(SETUP_KEY, None)
        return redirect(url_for("auth.totp_state"))
    form = TotpEnableForm()
    if form.validate_on_submit():
        try:
            me = current_user._get_current_object()
            codes = totp.enable(
                me, sealed_secret=sealed, code=form.code.data, password=form.password.data, actor=me
            )
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            db.session.commit()
            session.pop(SETUP_KEY, None)
            return _codes_page(codes, first=True)
    try:
        secret = totp.unseal(sealed)
    except DomainError:  # the server's key changed since "Einrichten": start again
        session.pop(SETUP_KEY, None)
        return redirect(url_for("auth.totp_state"))
    uri = totp.provisioning_uri(secret, current_user.email, issuer=_association_name())
    html = render_template(
        "auth/totp_confirm.html",
        form=form,
        qr=totp.qr_data_uri(uri),
        secret=totp.grouped(secret),
    )
    return _no_store(make_response(html, 422 if form.errors else 200))


@bp.route("/passwort/zweiter-faktor/ausschalten", methods=["POST"])
@role_required(*totp.TOTP_ROLES)
def totp_disable():
    """Switch one's own second factor off (password and a code)."""
    form = TotpDisableForm(prefix="off")
    if not totp.is_enabled(current_user):
        flash(_("Der zweite Faktor ist nicht eingerichtet."), "info")
        return redirect(url_for("auth.totp_state"))
    if form.validate_on_submit():
        try:
            me = current_user._get_current_object()
            totp.disable(me, password=form.password.data, code=form.code.data, actor=me)
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            db.session.commit()
            flash(_("Der zweite Faktor ist ausgeschaltet."), "success")
            return redirect(url_for("auth.totp_state"))
    return _state_page(disable_form=form, status=422)


@bp.route("/passwort/zweiter-faktor/wiederherstellungscodes", methods=["POST"])
@role_required(*totp.TOTP_ROLES)
def totp_recovery_codes():
    """Ten new recovery codes (the password confirms it); the old ones stop working."""
    form = RecoveryCodesForm(prefix="codes")
    if not totp.is_enabled(current_user):
        flash(_("Der zweite Faktor ist nicht eingerichtet."), "info")
        return redirect(url_for("auth.totp_state"))
    if form.validate_on_submit():
        try:
            me = current_user._get_current_object()
            codes = totp.regenerate_recovery_codes(me, password=form.password.data, actor=me)
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            db.session.commit()
            return _codes_page(codes, first=False)
    return _state_page(codes_form=form, status=422)
