"""Stripe behind a small interface: open a Checkout session, read a payment's state, refund,
read a payout, verify a webhook. Nothing else in the app imports `stripe`.

Reading is always a fresh request to Stripe: the webhook's payload is only a hint which object
changed. Card data never reaches the app (Checkout collects it on Stripe's page).
"""

import json
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import quote

import stripe
from flask import current_app

from supportclub.errors import DomainError
from supportclub.i18n import _

log = logging.getLogger(__name__)

# what a payment's state needs, in one request
SESSION_EXPAND = [
    "payment_intent.latest_charge.balance_transaction",
    "payment_intent.latest_charge.dispute",
]
INTENT_EXPAND = ["latest_charge.balance_transaction", "latest_charge.dispute"]


class GatewayError(DomainError):
    """Stripe could not be reached or refused the request; nothing was booked."""


class NotConfigured(GatewayError):
    """No Stripe keys: online payments are switched off."""


class WebhookRejected(Exception):
    """A webhook request that is not a correctly signed, recent Stripe event."""


def configured() -> bool:
    """True when online payments can be taken (a secret key is set)."""
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def client() -> stripe.StripeClient:
    """The app's Stripe client (one per app; it keeps its HTTP connections)."""
    app = current_app._get_current_object()
    cached = app.extensions.get("supportclub_stripe")
    if cached is not None:
        return cached
    key = app.config.get("STRIPE_SECRET_KEY")
    if not key:
        raise NotConfigured(_("Online-Zahlungen sind nicht eingerichtet."))
    base = app.config.get("STRIPE_API_BASE")
    new = stripe.StripeClient(
        key,
        base_addresses={"api": base.rstrip("/")} if base else None,
        max_network_retries=app.config.get("STRIPE_MAX_RETRIES", 2),
        http_client=_http_client(),
    )
    app.extensions["supportclub_stripe"] = new
    return new


# environment variables through which requests would route Stripe's traffic
_PROXY_SETTINGS = frozenset({"http_proxy", "https_proxy", "all_proxy", "no_proxy"})


def _http_client() -> stripe.HTTPClient | None:
    """The library's requests client with a 20-second timeout.

    Without proxy variables in the environment, its session does not consult the environment
    on each request (requests would scan every variable twice per call, a tenth of a webhook's
    CPU time; the library passes its own CA bundle with every request anyway). With proxy
    variables, the library's default behaviour is kept."""
    import os

    import requests

    if any(name.lower() in _PROXY_SETTINGS for name in os.environ):
        return stripe.RequestsClient(timeout=20)
    session = requests.Session()
    session.trust_env = False
    return stripe.RequestsClient(timeout=20, session=session)


def _unavailable(exc: Exception) -> GatewayError:
    """A Stripe failure as the message a member or treasurer sees (details go to the log)."""
    log.warning("Stripe request failed: %s: %s", type(exc).__name__, exc)
    if isinstance(exc, stripe.InvalidRequestError):
        return GatewayError(
            _(
                "Stripe hat die Anfrage abgelehnt (%(error)s). Es wurde nichts gebucht.",
                error=getattr(exc, "user_message", None) or str(exc)[:200],
            )
        )
    return GatewayError(
        _(
            "Der Zahlungsdienst Stripe ist gerade nicht erreichbar. Bitte versuchen Sie es in "
            "einigen Minuten erneut; es wurde nichts abgebucht und nichts gebucht."
        )
    )


def _get(obj, key: str, default=None):
    """A field of a Stripe object or dict (None and missing alike give `default`)."""
    if obj is None or isinstance(obj, str):
        return default
    try:
        value = obj[key]
    except (KeyError, TypeError):
        return default
    return default if value is None else value


def _id(value) -> str | None:
    """The id of an expanded object or the id string itself."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return _get(value, "id")


def _timestamp(value) -> datetime | None:
    """A Stripe unix time as an aware UTC datetime."""
    return datetime.fromtimestamp(int(value), UTC) if value else None


# Checkout -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineItem:
    """One line on the Checkout page."""

    name: str
    amount_cents: int


@dataclass(frozen=True)
class CheckoutSession:
    """What the app keeps of a new Checkout session."""

    id: str
    url: str
    expires_at: datetime | None


def create_checkout(
    *,
    payment_id: int,
    token: str,
    items: list[LineItem],
    success_url: str,
    cancel_url: str,
    email: str | None,
    description: str,
    donation: bool,
    locale: str = "de",
) -> CheckoutSession:
    """Open a Checkout session for `items` (idempotent per payment token)."""
    metadata = {"online_payment": str(payment_id), "supportclub_token": token}
    params: dict = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": "eur",
                    "unit_amount": item.amount_cents,
                    "product_data": {"name": item.name[:250]},
                },
            }
            for item in items
        ],
        "success_url": success_url,
        "cancel_url": cancel_url,
        "client_reference_id": str(payment_id),
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata, "description": description[:1000]},
        "submit_type": "donate" if donation else "pay",
        "locale": locale if locale in {"de", "en"} else "auto",
    }
    if email:
        params["customer_email"] = email
    methods = current_app.config.get("STRIPE_PAYMENT_METHODS")
    if methods:
        params["payment_method_types"] = [m.strip() for m in methods.split(",") if m.strip()]
    try:
        session = client().v1.checkout.sessions.create(
            params=params, options={"idempotency_key": f"supportclub-checkout-{token}"}
        )
    except stripe.StripeError as exc:
        raise _unavailable(exc) from exc
    url = _get(session, "url")
    if not url:
        raise GatewayError(_("Stripe hat keine Zahlungsseite geliefert. Es wurde nichts gebucht."))
    return CheckoutSession(session.id, url, _timestamp(_get(session, "expires_at")))


# A payment's state ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StripeState:
    """What Stripe says about one payment right now (all amounts in cents)."""

    session_id: str | None = None
    session_status: str = ""  # open, complete, expired ("" when read from the intent)
    payment_intent_id: str | None = None
    intent_status: str = ""  # processing, succeeded, requires_payment_method, canceled, ...
    payment_id: int | None = None  # our OnlinePayment id, from the metadata
    payment_token: str = ""  # and its token (another installation's ids are not ours)
    currency: str = "eur"
    amount_received: int = 0
    charge_id: str | None = None
    method: str = ""
    fee_cents: int | None = None  # None until Stripe has a balance transaction
    paid_at: datetime | None = None
    refunded_cents: int = 0
    dispute_status: str = ""
    dispute_cents: int = 0
    dispute_fee_cents: int = 0  # the net fees of the dispute's balance transactions
    failure_message: str = ""
    payer_email: str = ""
    payer_name: str = ""

    @property
    def settled(self) -> bool:
        """True when the money is confirmed and Stripe knows its fee: it can be booked."""
        return self.intent_status == "succeeded" and self.fee_cents is not None

    @property
    def failed(self) -> bool:
        """True when the payment attempt failed (a returned SEPA debit, a declined card)."""
        return self.intent_status in {"requires_payment_method", "canceled"} and bool(
            self.failure_message or self.session_status == "complete"
        )

    @property
    def lost_cents(self) -> int:
        """What a lost dispute took back."""
        return self.dispute_cents if self.dispute_status == "lost" else 0

    @property
    def closed_dispute_fee_cents(self) -> int:
        """Dispute fees once the dispute is decided (an open one may still change)."""
        return self.dispute_fee_cents if self.dispute_status in {"won", "lost"} else 0


def _metadata_payment(*objects) -> tuple[int | None, str]:
    """Our payment id and token from the first object whose metadata carries them."""
    for obj in objects:
        metadata = _get(obj, "metadata")
        value = _get(metadata, "online_payment")
        if value and str(value).isdigit():
            return int(value), str(_get(metadata, "supportclub_token", ""))
    return None, ""


def _state(session, intent) -> StripeState:
    """Read a (session, intent) pair into a StripeState."""
    charge = _get(intent, "latest_charge")
    if isinstance(charge, str):
        charge = None
    balance = _get(charge, "balance_transaction")
    fee = None if balance is None or isinstance(balance, str) else int(_get(balance, "fee", 0))
    dispute = _get(charge, "dispute")
    if isinstance(dispute, str):
        dispute = None
    dispute_fee = sum(int(_get(bt, "fee", 0)) for bt in _get(dispute, "balance_transactions", []))
    error = _get(intent, "last_payment_error")
    failure = _get(error, "message", "") or _get(charge, "failure_message", "")
    details = _get(charge, "payment_method_details")
    customer = _get(session, "customer_details")
    billing = _get(charge, "billing_details")
    payment_id, token = _metadata_payment(intent, session)
    return StripeState(
        session_id=_id(session),
        session_status=_get(session, "status", ""),
        payment_intent_id=_id(intent),
        intent_status=_get(intent, "status", ""),
        payment_id=payment_id,
        payment_token=token,
        currency=(_get(intent, "currency") or _get(session, "currency") or "eur").lower(),
        amount_received=int(_get(intent, "amount_received", 0)),
        charge_id=_id(charge),
        method=_get(details, "type", ""),
        fee_cents=fee,
        paid_at=_timestamp(_get(charge, "created")),
        refunded_cents=int(_get(charge, "amount_refunded", 0)),
        dispute_status=_get(dispute, "status", ""),
        dispute_cents=int(_get(dispute, "amount", 0)),
        dispute_fee_cents=dispute_fee,
        failure_message=str(failure)[:500],
        payer_email=_get(customer, "email", "") or _get(billing, "email", ""),
        payer_name=_get(customer, "name", "") or _get(billing, "name", ""),
    )


def _retrieve(path: str, expand: list[str] | None = None) -> dict:
    """GET an object from Stripe as plain JSON (the library's request, without building its
    object tree: several times faster for the large expanded objects read on every event)."""
    params = {"expand": expand} if expand else {}
    try:
        response = client().raw_request("get", path, **params)
    except stripe.StripeError as exc:
        raise _unavailable(exc) from exc
    return json.loads(response.body)


def state_of_session(session_id: str) -> StripeState:
    """Fetch a Checkout session with its intent, charge, fee and dispute."""
    session = _retrieve(f"/v1/checkout/sessions/{quote(session_id)}", SESSION_EXPAND)
    intent = _get(session, "payment_intent")
    return _state(session, None if isinstance(intent, str) else intent)


def state_of_intent(intent_id: str) -> StripeState:
    """Fetch a PaymentIntent with its charge, fee and dispute."""
    return _state(None, _retrieve(f"/v1/payment_intents/{quote(intent_id)}", INTENT_EXPAND))


def intent_of_charge(charge_id: str) -> str | None:
    """The PaymentIntent of a charge (for events that name only the charge)."""
    return _id(_get(_retrieve(f"/v1/charges/{quote(charge_id)}"), "payment_intent"))


def refund(intent_id: str, amount_cents: int | None, *, idempotency_key: str) -> str:
    """Ask Stripe to refund (part of) a payment; the webhook books it. Returns the refund id."""
    params: dict = {"payment_intent": intent_id, "reason": "requested_by_customer"}
    if amount_cents is not None:
        params["amount"] = amount_cents
    try:
        created = client().v1.refunds.create(
            params=params, options={"idempotency_key": idempotency_key}
        )
    except stripe.StripeError as exc:
        raise _unavailable(exc) from exc
    return created.id


# Payouts --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PayoutState:
    """A payout from the Stripe balance to the bank, as Stripe says now."""

    id: str
    amount_cents: int
    currency: str
    status: str  # pending, in_transit, paid, failed, canceled
    arrival_date: date | None
    failure_message: str


def payout(payout_id: str) -> PayoutState:
    """Fetch a payout."""
    obj = _retrieve(f"/v1/payouts/{quote(payout_id)}")
    arrival = _timestamp(_get(obj, "arrival_date"))
    return PayoutState(
        id=obj["id"],
        amount_cents=int(_get(obj, "amount", 0)),
        currency=(_get(obj, "currency") or "eur").lower(),
        status=_get(obj, "status", ""),
        arrival_date=arrival.date() if arrival else None,
        failure_message=_get(obj, "failure_message", "") or _get(obj, "failure_code", ""),
    )


# Webhooks -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """A verified Stripe event: its id, type, creation time and the ids it names."""

    id: str
    type: str
    created: datetime | None
    object_type: str
    object_id: str
    # ids the payload names; hints of which payment changed, never its state
    session_id: str | None
    payment_intent_id: str | None
    charge_id: str | None


def verify(payload: bytes, signature: str | None) -> Event:
    """Check the signature and age of a webhook request and read the event it carries."""
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret:
        raise WebhookRejected("webhook secret not configured")
    if not signature:
        raise WebhookRejected("missing Stripe-Signature header")
    try:
        text = payload.decode("utf-8")
        # the library's check (HMAC of "timestamp.payload", age within the tolerance); the
        # payload is then read as plain JSON: it is only a hint which object to re-fetch
        stripe.WebhookSignature.verify_header(
            text,
            signature,
            secret,
            tolerance=current_app.config.get("STRIPE_WEBHOOK_TOLERANCE", 300),
        )
        event = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WebhookRejected(f"invalid payload: {exc}") from exc
    except stripe.SignatureVerificationError as exc:
        raise WebhookRejected(f"bad signature: {exc}") from exc
    if not isinstance(event, dict):
        raise WebhookRejected("payload is not an event object")
    obj = _get(_get(event, "data"), "object")
    object_type = _get(obj, "object", "")
    object_id = _id(obj) or ""
    session_id = object_id if object_type == "checkout.session" else None
    intent_id = {
        "payment_intent": object_id,
        "checkout.session": _id(_get(obj, "payment_intent")),
    }.get(object_type) or _id(_get(obj, "payment_intent"))
    charge_id = object_id if object_type == "charge" else _id(_get(obj, "charge"))
    event_id = _get(event, "id")
    if not event_id or not _get(event, "type"):
        raise WebhookRejected("event without id or type")
    return Event(
        id=str(event_id)[:255],
        type=str(_get(event, "type"))[:100],
        created=_timestamp(_get(event, "created")),
        object_type=object_type,
        object_id=object_id[:255],
        session_id=session_id,
        payment_intent_id=intent_id,
        charge_id=charge_id,
    )
