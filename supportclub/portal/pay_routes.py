"""Mein Konto: pay open dues online (Stripe Checkout) and see honestly where the payment stands.

The buttons exist only when Stripe is configured; the page after Checkout says "bezahlt" only
once the webhook has confirmed the money.
"""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.payments import gateway
from supportclub.payments.checkout import pending_claim_ids, start_dues_payment
from supportclub.payments.public_routes import checkout_locale, payment_by_token
from supportclub.payments.return_state import return_state
from supportclub.permissions import login_required_any_role
from supportclub.portal import bp

CANCELLED = "abgebrochen"


@bp.context_processor
def online_payment_helpers() -> dict:
    """What the account page asks: are online payments on, which claims are being confirmed."""
    return {
        "online_payments_enabled": gateway.configured,
        "pending_payment_claims": pending_claim_ids,
    }


@bp.before_request
def cancelled_notice():
    """Back from a cancelled Checkout: say that nothing was charged, then show the clean page."""
    if request.endpoint == "portal.account" and request.args.get("zahlung") == CANCELLED:
        flash(_("Zahlung abgebrochen – es wurde nichts abgebucht."), "info")
        return redirect(url_for("portal.account"))
    return None


def _urls(token: str) -> tuple[str, str]:
    """Success URL (the return page of this payment) and cancel URL (the account page)."""
    return (
        url_for("portal.pay_return", token=token, _external=True),
        url_for("portal.account", zahlung=CANCELLED, _external=True),
    )


def _claim_ids() -> list[int] | None:
    """The claim the button names, or None for "all open claims"; ValueError when malformed."""
    value = (request.form.get("claim_id") or "").strip()
    if not value:
        return None
    return [int(value)]


@bp.post("/beitraege/online-bezahlen")
@login_required_any_role
def pay_dues():
    """Open Stripe Checkout for one open claim or all of them; nothing is booked here."""
    back = redirect(url_for("portal.account"))
    person = current_user.person
    if person is None:
        return back
    if not gateway.configured():
        flash(_("Online-Zahlungen sind nicht eingerichtet."), "warning")
        return back
    try:
        claim_ids = _claim_ids()
    except ValueError:
        flash(_("Dieser Beitrag ist nicht (mehr) offen. Bitte laden Sie die Seite neu."), "danger")
        return back
    try:
        payment = start_dues_payment(
            person=person,
            claim_ids=claim_ids,
            user=current_user._get_current_object(),
            urls=_urls,
            locale=checkout_locale(),
        )
    except gateway.GatewayError as exc:  # Stripe down or refusing: nothing was written
        db.session.rollback()
        flash(exc.message, "danger")
        return back
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "warning")
        return back
    db.session.commit()
    return redirect(payment.checkout_url, 303)


def _owns(payment) -> bool:
    """True when the logged-in user started the payment or is its payer."""
    if payment.user_id is not None and payment.user_id == current_user.id:
        return True
    return current_user.person_id is not None and payment.person_id == current_user.person_id


@bp.get("/zahlung/<token>")
@login_required_any_role
def pay_return(token: str):
    """Where Checkout sends the member back: the payment's state as the webhook last set it."""
    payment = payment_by_token(token)
    if not _owns(payment):
        # a login without a member record has no "Mein Konto" payments at all (as elsewhere in
        # the portal: 403); another member's payment is not even said to exist
        abort(403 if current_user.person_id is None else 404)
    return render_template("portal/pay_return.html", payment=payment, state=return_state(payment))
