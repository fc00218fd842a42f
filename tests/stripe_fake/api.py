"""The API operations behind the HTTP routes: validate parameters like Stripe, then act."""

import json

from . import objects
from .errors import invalid, missing
from .expand import parse, render
from .params import as_int, clean_metadata

MIN_AMOUNT = 50  # Stripe's minimum charge for EUR, in cents
PAYMENT_METHOD_TYPES = {
    "card",
    "sepa_debit",
    "paypal",
    "giropay",
    "sofort",
    "klarna",
    "link",
    "eps",
    "ideal",
    "bancontact",
    "p24",
    "customer_balance",
    "amazon_pay",
    "revolut_pay",
}
SESSION_PARAMS = {
    "adaptive_pricing",
    "after_expiration",
    "allow_promotion_codes",
    "automatic_tax",
    "billing_address_collection",
    "branding_settings",
    "cancel_url",
    "client_reference_id",
    "consent_collection",
    "currency",
    "custom_fields",
    "custom_text",
    "customer",
    "customer_creation",
    "customer_email",
    "customer_update",
    "discounts",
    "excluded_payment_method_types",
    "expand",
    "expires_at",
    "invoice_creation",
    "line_items",
    "locale",
    "metadata",
    "mode",
    "name_collection",
    "optional_items",
    "origin_context",
    "payment_intent_data",
    "payment_method_collection",
    "payment_method_configuration",
    "payment_method_data",
    "payment_method_options",
    "payment_method_types",
    "permissions",
    "phone_number_collection",
    "redirect_on_completion",
    "return_url",
    "saved_payment_method_options",
    "setup_intent_data",
    "shipping_address_collection",
    "shipping_options",
    "submit_type",
    "subscription_data",
    "success_url",
    "tax_id_collection",
    "ui_mode",
    "wallet_options",
}
REFUND_PARAMS = {
    "amount",
    "charge",
    "currency",
    "customer",
    "expand",
    "instructions_email",
    "metadata",
    "origin",
    "payment_intent",
    "reason",
    "refund_application_fee",
    "reverse_transfer",
}
REFUND_REASONS = {"duplicate", "fraudulent", "requested_by_customer"}
# Equality filters accepted by the list endpoints, per object type.
LIST_FILTERS = {
    "checkout.session": {"payment_intent", "status", "customer", "payment_link"},
    "payment_intent": {"customer"},
    "charge": {"payment_intent", "customer"},
    "refund": {"charge", "payment_intent"},
    "dispute": {"charge", "payment_intent"},
    "payout": {"status", "destination"},
    "balance_transaction": {"source", "type", "payout", "currency"},
    "event": {"type"},
}


def _unknown(params: dict, known: set) -> None:
    """Refuse a top-level parameter Stripe does not know, as Stripe does."""
    for name in params:
        if name not in known:
            raise invalid(f"Received unknown parameter: {name}", param=name)


def _line_items(raw) -> tuple[list, str, int]:
    """Validate ``line_items`` with ``price_data``; return (items, currency, total)."""
    if not raw:
        raise invalid(
            "You must provide at least one recurring or one-time price or line item "
            "in `payment` mode.",
            param="line_items",
        )
    if not isinstance(raw, list):
        raise invalid("Invalid array", param="line_items")
    items, currency, total = [], None, 0
    for index, item in enumerate(raw):
        path = f"line_items[{index}]"
        if not isinstance(item, dict):
            raise invalid("Invalid object", param=path)
        if "price" in item:
            raise invalid(
                f"No such price: '{item['price']}'", param=f"{path}[price]", code="resource_missing"
            )
        data = item.get("price_data")
        if not isinstance(data, dict):
            raise invalid("You must specify either `price` or `price_data`.", param=path)
        quantity = as_int(item, "quantity", minimum=1, path=f"{path}[quantity]")
        if quantity is None:
            raise invalid(f"Missing required param: {path}[quantity].", param=f"{path}[quantity]")
        unit = as_int(data, "unit_amount", minimum=0, path=f"{path}[price_data][unit_amount]")
        if unit is None:
            raise invalid(
                f"Missing required param: {path}[price_data][unit_amount].",
                param=f"{path}[price_data][unit_amount]",
            )
        item_currency = (data.get("currency") or "").lower()
        if not item_currency:
            raise invalid(
                f"Missing required param: {path}[price_data][currency].",
                param=f"{path}[price_data][currency]",
            )
        if currency and item_currency != currency:
            raise invalid("All line items must have the same currency.", param=path)
        currency = item_currency
        product = data.get("product_data") or {}
        if not product.get("name"):
            raise invalid(
                f"Missing required param: {path}[price_data][product_data][name].",
                param=f"{path}[price_data][product_data][name]",
            )
        items.append(
            objects.line_item(
                currency=currency, unit_amount=unit, quantity=quantity, name=product["name"]
            )
        )
        total += unit * quantity
    return items, currency, total


def build_session(fake, params: dict) -> dict:
    """Validate Checkout Session create parameters and store the open session (under the lock)."""
    _unknown(params, SESSION_PARAMS)
    mode = params.get("mode") or "payment"
    if mode != "payment":
        raise invalid(f"The Stripe fake only supports mode=payment, not {mode!r}.", param="mode")
    items, currency, total = _line_items(params.get("line_items"))
    if total < MIN_AMOUNT:
        raise invalid(
            "The Checkout Session's total amount due must add up to at least €0.50 eur",
            param="line_items",
        )
    now = fake._now()
    expires_at = as_int(params, "expires_at", default=now + 86_400)
    if not now + 1800 <= expires_at <= now + 86_400:
        raise invalid(
            "The `expires_at` timestamp must be between 30 minutes and 24 hours "
            "from Checkout Session creation.",
            param="expires_at",
        )
    methods = params.get("payment_method_types") or ["card"]
    for index, method in enumerate(methods):
        if method not in PAYMENT_METHOD_TYPES:
            raise invalid(
                f"Invalid payment_method_types[{index}]: must be one of "
                + ", ".join(sorted(PAYMENT_METHOD_TYPES)),
                param=f"payment_method_types[{index}]",
            )
    reference = params.get("client_reference_id")
    if reference and len(reference) > 200:
        raise invalid(
            "client_reference_id can be at most 200 characters.", param="client_reference_id"
        )
    pi_data = dict(params.get("payment_intent_data") or {})
    pi_data["metadata"] = clean_metadata(pi_data.get("metadata"), "payment_intent_data[metadata]")
    prepared = dict(
        params,
        _expires_at=expires_at,
        _payment_method_types=list(methods),
        _payment_intent_data=pi_data,
    )
    session = objects.session(
        fake._new_id("checkout.session"),
        created=now,
        base_url=fake.base_url or "http://127.0.0.1",
        params=prepared,
        line_items=items,
        amounts=(total, total),
        currency=currency,
        metadata=clean_metadata(params.get("metadata")),
    )
    return fake._put(session)


def _dump(body) -> bytes:
    """Serialise an answer (under the lock: it may share values with stored objects)."""
    return json.dumps(body).encode()


class ApiMixin:
    """HTTP-facing operations of ``FakeStripe``; each returns (JSON bytes, events to deliver)."""

    def _answer_for(self, obj: dict, params: dict) -> bytes:
        """Render one object with the request's ``expand`` and serialise it."""
        return _dump(render(self, obj, parse(params.get("expand")), copy=False))

    def api_create_session(self, params: dict, request: dict):
        """POST /v1/checkout/sessions."""
        with self.lock:
            session = build_session(self, params)
            return self._answer_for(session, params), []

    def api_expire_session(self, session_id: str, params: dict, request: dict):
        """POST /v1/checkout/sessions/:id/expire."""
        with self.lock:
            _unknown(params, {"expand"})
            session, events = self._expire(session_id, request)
            return self._answer_for(session, params), events

    def api_create_refund(self, params: dict, request: dict):
        """POST /v1/refunds for a PaymentIntent or a Charge."""
        _unknown(params, REFUND_PARAMS)
        ident = params.get("payment_intent") or params.get("charge")
        if not ident:
            raise invalid(
                "One of the following params should be provided for this request: "
                "payment_intent or charge."
            )
        reason = params.get("reason") or None
        if reason is not None and reason not in REFUND_REASONS:
            raise invalid(
                "Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer",
                param="reason",
            )
        amount = as_int(params, "amount", minimum=1)
        param = "payment_intent" if params.get("payment_intent") else "charge"
        with self.lock:
            if ident not in self._objects or self._objects[ident]["object"] != param:
                raise missing(param, ident, param=param)
            refund, events = self._refund(
                ident,
                amount,
                self.api_refund_status,
                reason,
                clean_metadata(params.get("metadata")),
                request,
            )
            return self._answer_for(refund, params), events

    def api_retrieve(self, kind: str, object_id: str, params: dict):
        """GET /v1/<resource>/:id with ``expand``."""
        _unknown(params, {"expand"})
        with self.lock:
            if kind == "event":
                event = self.events.get(object_id)
                if event is None:
                    raise missing("event", object_id)
                return _dump(event), []
            return self._answer_for(self._raw(object_id, kind), params), []

    def api_line_items(self, session_id: str, params: dict):
        """GET /v1/checkout/sessions/:id/line_items."""
        with self.lock:
            session = self._raw(session_id, "checkout.session")
            url = f"/v1/checkout/sessions/{session_id}/line_items"
            body = {"object": "list", "data": session["_line_items"], "has_more": False, "url": url}
            return _dump(body), []

    def api_list(self, kind: str, path: str, params: dict):
        """GET /v1/<resource>: newest first, ``limit``, ``starting_after`` and simple filters."""
        filters = LIST_FILTERS.get(kind, set())
        _unknown(
            params,
            filters | {"limit", "starting_after", "ending_before", "expand", "created", "types"},
        )
        limit = as_int(params, "limit", default=10, minimum=1)
        if limit > 100:
            raise invalid("This value must be less than or equal to 100.", param="limit")
        wanted = {name: params[name] for name in filters if params.get(name)}
        expand = [p[len("data.") :] for p in params.get("expand") or [] if p.startswith("data.")]
        with self.lock:
            if kind == "event":
                data, more = self._list_events(wanted.get("type"), params, limit)
            else:
                data, more = self._list_objects(kind, wanted, params, limit, parse(expand))
            return _dump({"object": "list", "data": data, "has_more": more, "url": path}), []

    def _list_objects(self, kind, wanted, params, limit, tree):
        """Return (rendered page, has_more) for a stored object type, newest first."""
        ids = self._by_type[kind]
        start = len(ids)
        after = params.get("starting_after")
        if after:
            self._raw(after, kind)
            start = ids.index(after)
        page = []
        for position in range(start - 1, -1, -1):
            obj = self._objects[ids[position]]
            if all(obj.get(name) == value for name, value in wanted.items()):
                if len(page) == limit:
                    return page, True
                page.append(render(self, obj, tree, copy=False))
        return page, False

    def _list_events(self, event_type, params, limit):
        """Return (page, has_more) of events, newest first, filtered by ``type``/``types``."""
        types = set(params.get("types") or ([event_type] if event_type else []))
        after = params.get("starting_after")
        before = self.events.position(after) if after else None
        if after and before is None:
            raise missing("event", after, param="starting_after")
        page = []
        for type_, text in self.events.newest_first(before):
            if not types or type_ in types:
                if len(page) == limit:
                    return page, True
                page.append(json.loads(text))
        return page, False
