"""The public donation page (no login), its thank-you page and the status JSON both return pages
poll. The donor's browser goes to Stripe Checkout; nothing is booked here (the webhook books).

/spende, not /spenden: /spenden is the treasurer's list of donations (donations.index).
"""

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import select

from supportclub.admin.services import bank_iban, get_settings
from supportclub.donations.choices import earmark_choices
from supportclub.errors import DomainError
from supportclub.extensions import db, limiter
from supportclub.forms import apply_domain_error
from supportclub.i18n import _
from supportclub.members.validation import format_iban
from supportclub.money import format_input
from supportclub.payments import bp, gateway
from supportclub.payments.checkout import start_donation
from supportclub.payments.forms import DonationForm, suggested_amounts
from supportclub.payments.models import OnlinePayment, PaymentStatus, Purpose
from supportclub.payments.return_state import return_state
from supportclub.permissions import public

TOKEN_MAX = 64  # tokens are 43 characters; anything much longer is not one of ours
# a receipt follows for money that is (being) received
RECEIPT_STATES = frozenset(
    {
        PaymentStatus.CREATED,
        PaymentStatus.PENDING,
        PaymentStatus.SUCCEEDED,
        PaymentStatus.PARTIALLY_REFUNDED,
    }
)


def payment_by_token(token: str, purpose: Purpose | None = None) -> OnlinePayment:
    """The payment with this token (of this purpose), else 404."""
    if not token or len(token) > TOKEN_MAX:
        abort(404)
    payment = db.session.scalar(select(OnlinePayment).where(OnlinePayment.token == token))
    if payment is None or (purpose is not None and payment.purpose != purpose):
        abort(404)
    return payment


def checkout_locale() -> str:
    """The language of the Checkout page: the page's language."""
    return str(get_locale() or "de")


def _donor_person():
    """The logged-in user's person (who then donates under their own name), or None."""
    if current_user.is_authenticated:
        return current_user.person
    return None


def _donation_urls(form: DonationForm):
    """Success and cancel URLs of a donation; cancelling comes back to the filled-in amount."""
    cents, fund_id = form.amount_cents(), form.fund_id.data

    def urls(token: str) -> tuple[str, str]:
        """(thank-you page, the donation page again) for the payment's token."""
        cancel = url_for(
            "payments.donate",
            betrag=format_input(cents) if cents else None,
            projekt=fund_id or None,
            zahlung="abgebrochen",
            _external=True,
        )
        return url_for("payments.thanks", token=token, _external=True), cancel

    return urls


def _unavailable():
    """Online donations are not set up: the bank account for a transfer instead."""
    return render_template(
        "payments/unavailable.html",
        settings=get_settings(),
        iban=format_iban(bank_iban()),
    )


@bp.route("/spende", methods=["GET", "POST"])
@public
@limiter.limit("20 per minute", methods=["POST"])
def donate():
    """Choose an amount and an earmark, say who gives, then pay on Stripe Checkout."""
    if not gateway.configured():
        return _unavailable()
    settings = get_settings()
    person = _donor_person()
    form = DonationForm()
    form.setup(suggested_amounts(settings.donation_amounts), earmark_choices())
    error = None
    if request.method == "GET":
        form.prefill(request.args)
        if request.args.get("zahlung") == "abgebrochen":
            flash(_("Zahlung abgebrochen – es wurde nichts abgebucht."), "info")
    elif form.validate_on_submit():
        user = current_user._get_current_object() if current_user.is_authenticated else None
        try:
            payment = start_donation(
                form.donation_input(as_person=person is not None),
                user=user,
                urls=_donation_urls(form),
                locale=checkout_locale(),
            )
        except gateway.GatewayError as exc:
            db.session.rollback()
            error = exc.message
        except DomainError as exc:
            db.session.rollback()
            apply_domain_error(form, exc)
        else:
            db.session.commit()
            return redirect(payment.checkout_url, 303)
    return render_template(
        "payments/donate.html", form=form, settings=settings, person=person, error=error
    )


def _earmark_title(payment: OnlinePayment) -> str | None:
    """The project a donation is earmarked for (None: free, the general fund)."""
    if payment.fund is None or not payment.fund.is_earmarked:
        return None
    from supportclub.projects.queries import project_for_fund

    project = project_for_fund(payment.fund_id)
    return project.title if project is not None else payment.fund.name


@bp.get("/spende/danke/<token>")
@public
def thanks(token: str):
    """Thank the donor and say honestly where the payment stands."""
    payment = payment_by_token(token, Purpose.DONATION)
    state = return_state(payment)
    has_address = bool((payment.donor or {}).get("street")) or bool(
        payment.person is not None and payment.person.street
    )
    earmark = _earmark_title(payment)
    retry_url = url_for(
        "payments.donate",
        betrag=format_input(payment.amount_cents),
        projekt=payment.fund_id if earmark else None,
    )
    return render_template(
        "payments/thanks.html",
        payment=payment,
        state=state,
        earmark=earmark,
        retry_url=retry_url,
        receipt_follows=payment.wants_receipt and has_address and payment.status in RECEIPT_STATES,
    )


@bp.get("/zahlung/<token>/status")
@public
def status_json(token: str):
    """The payment's status for the polling return pages: {"status", "label", "final"}."""
    if not token or len(token) > TOKEN_MAX:
        return jsonify(error="not found"), 404
    payment = db.session.scalar(select(OnlinePayment).where(OnlinePayment.token == token))
    if payment is None:
        return jsonify(error="not found"), 404
    response = jsonify(return_state(payment).as_json())
    response.headers["Cache-Control"] = "no-store"
    return response
