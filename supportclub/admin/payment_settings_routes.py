"""The online-payments section of the settings: whether Stripe is set up (and what to set if
not), the webhook to register, the donation page's amounts and text, and the link for the
association's website."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import escape

from supportclub.admin import bp
from supportclub.admin.payment_settings import (
    MAX_EUROS,
    MIN_EUROS,
    stripe_status,
    update_donation_settings,
)
from supportclub.admin.services import get_settings
from supportclub.auth.models import Role
from supportclub.donations.choices import earmark_choices
from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.forms import apply_domain_error
from supportclub.i18n import _
from supportclub.payments.admin_forms import DonationSettingsForm, SnippetForm
from supportclub.payments.events import PAYMENT_EVENTS, PAYOUT_EVENTS
from supportclub.permissions import role_required

# what to tick in the Stripe dashboard, as groups
EVENT_GROUPS = (
    "checkout.session.*",
    "payment_intent.*",
    "charge.*",
    "charge.dispute.*",
    "refund.*",
    "payout.*",
)
BUTTON_STYLE = (
    "display:inline-block;padding:12px 24px;background:#0d6efd;color:#fff;"
    "border-radius:6px;text-decoration:none;font-weight:600;font-family:sans-serif"
)


def _donate_url(**params) -> str | None:
    """The public donation page's absolute URL (None while that page is not installed)."""
    if "payments.donate" not in current_app.view_functions:
        return None
    return url_for("payments.donate", _external=True, **params)


def _snippet() -> tuple[SnippetForm, str | None, str]:
    """The link options from the query string, the link and the HTML button for a website."""
    form = SnippetForm(request.args)
    form.projekt.choices = earmark_choices()
    params = {}
    if form.projekt.data and form.projekt.data in {c.value for c in form.projekt.choices}:
        params["projekt"] = form.projekt.data
    raw = (form.betrag.data or "").strip().removesuffix("€").strip()
    if raw:
        if raw.isdigit() and MIN_EUROS <= int(raw) <= MAX_EUROS:
            params["betrag"] = int(raw)
        else:
            form.betrag.errors = [
                _("Bitte einen ganzen Betrag von %(min)s bis 25.000 Euro.", min=MIN_EUROS)
            ]
    link = _donate_url(**params)
    html = ""
    if link:
        html = (
            f'<a href="{escape(link)}" target="_blank" rel="noopener" '
            f'style="{BUTTON_STYLE}">{escape(_("Jetzt spenden"))}</a>'
        )
    return form, link, html


def _save(form: DonationSettingsForm) -> bool:
    """Save the donation page settings; True when saved."""
    if not form.validate():
        return False
    try:
        update_donation_settings(
            {
                "donation_amounts": form.donation_amounts.data,
                "donation_page_text": form.donation_page_text.data,
            },
            actor=current_user,
        )
    except DomainError as exc:
        db.session.rollback()
        apply_domain_error(form, exc)
        return False
    db.session.commit()
    flash(_("Die Einstellungen der Spendenseite wurden gespeichert."), "success")
    return True


@bp.route("/einstellungen/online-zahlungen", methods=["GET", "POST"])
@role_required(Role.ADMIN, Role.TREASURER)
def payment_settings():
    """Stripe's set-up (without secrets), the webhook, the donation page and its link."""
    settings = get_settings()
    form = DonationSettingsForm()
    if request.method == "GET":
        form.donation_amounts.data = settings.donation_amounts
        form.donation_page_text.data = settings.donation_page_text
    elif _save(form):
        return redirect(url_for("admin.payment_settings"))
    snippet_form, link, html = _snippet()
    return (
        render_template(
            "admin/payment_settings.html",
            form=form,
            stripe=stripe_status(current_app.config),
            webhook_url=url_for("payments.webhook", _external=True),
            event_groups=EVENT_GROUPS,
            event_names=sorted(PAYMENT_EVENTS | PAYOUT_EVENTS),
            donate_url=_donate_url(),
            snippet_form=snippet_form,
            link=link,
            snippet=html,
        ),
        422 if request.method == "POST" else 200,
    )
