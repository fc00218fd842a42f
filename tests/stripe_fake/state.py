"""The fake's in-memory Stripe account: objects, events, recorded requests, fault injection."""

import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field

import stripe

from . import objects
from .actions import ActionsMixin
from .after_payment import AfterPaymentMixin
from .api import ApiMixin
from .errors import FakeStripeError, missing
from .eventlog import EventLog
from .expand import parse, render
from .webhooks import Deliverer, deliver

API_VERSION = stripe.api_version

# id prefix -> (object type, name used in "No such …" messages)
PREFIXES = {
    "cs_test_": ("checkout.session", "checkout.session"),
    "pi_": ("payment_intent", "payment_intent"),
    "ch_": ("charge", "charge"),
    "txn_": ("balance_transaction", "balance transaction"),
    "re_": ("refund", "refund"),
    "dp_": ("dispute", "dispute"),
    "po_": ("payout", "payout"),
    "evt_": ("event", "event"),
}
PREFIX_OF = {kind: prefix for prefix, (kind, _name) in PREFIXES.items()}
NAME_OF = {kind: name for _prefix, (kind, name) in PREFIXES.items()}


@dataclass
class RecordedRequest:
    """One API request as the fake received it."""

    method: str
    path: str
    params: dict
    headers: dict
    status: int | None = None
    request_id: str = ""
    replayed: bool = False
    extra: dict = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        """Return a request header, case-insensitively."""
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return None


class FakeStripe(ActionsMixin, AfterPaymentMixin, ApiMixin):
    """A thread-safe, in-memory Stripe account answering the real ``stripe`` library over HTTP.

    Python actions (``complete``, ``refund``, …) change state like the customer or the bank
    would and append Events; the server (``start()``) serves the API, the hosted checkout page
    and a small JSON control API under ``/_fake/``.
    """

    def __init__(
        self,
        api_key: str | None = None,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        """Create an empty account; ``api_key=None`` accepts any ``sk_test_``/``rk_test_`` key."""
        self.lock = threading.RLock()
        self.api_key = api_key
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.host = host
        self.port = port
        self.auto_deliver = True
        self.delay = 0.0
        self.api_refund_status = "succeeded"
        self.clock = time.time
        self._fixed_now: int | None = None
        self.base_url: str | None = None
        self.requests: list[RecordedRequest] = []
        self.events = EventLog()
        self._collect: list | None = None
        self.deliveries: list[dict] = []
        self._objects: dict[str, dict] = {}
        self._by_type: dict[str, list[str]] = defaultdict(list)
        self._idempotency: dict[str, tuple] = {}
        self._faults: deque = deque()
        self._server = None
        self._deliverer = Deliverer(self)

    # --- server -------------------------------------------------------------------------------

    def start(self) -> "FakeStripe":
        """Serve the fake on ``host``:``port`` (0 = a free port) in a daemon thread."""
        from .server import FakeStripeServer

        if self._server is None:
            self._server = FakeStripeServer(self, self.host, self.port)
            self._server.start()
            self.port = self._server.port
            self.base_url = f"http://{self.host}:{self.port}"
        return self

    def stop(self) -> None:
        """Stop the server and the webhook thread (queued deliveries are finished first)."""
        self._deliverer.stop()
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> "FakeStripe":
        """Start the server for a ``with`` block."""
        return self.start()

    def __exit__(self, *exc_info) -> None:
        """Stop the server at the end of a ``with`` block."""
        self.stop()

    def client(self, **options) -> stripe.StripeClient:
        """Return a ``stripe.StripeClient`` pointed at this fake (no retries)."""
        options.setdefault("max_network_retries", 0)
        return stripe.StripeClient(
            self.api_key or "sk_test_fake",
            base_addresses={"api": self.base_url},
            **options,
        )

    # --- reading state -------------------------------------------------------------------------

    def get(self, object_id: str, expand=None) -> dict:
        """Return a copy of any object by id, optionally expanded (``["latest_charge"]``)."""
        with self.lock:
            if str(object_id).startswith("evt_"):
                event = self.events.get(object_id)
                if event is None:
                    raise missing("event", object_id)
                return event
            return render(self, self._raw(object_id), parse(expand))

    def objects(self, kind: str) -> list[dict]:
        """Return copies of all objects of a type (``"refund"``, ``"event"``…), oldest first."""
        with self.lock:
            if kind == "event":
                return list(self.events)
            return [objects.public(self._objects[oid]) for oid in self._by_type[kind]]

    @property
    def event_types(self) -> list[str]:
        """Return the types of all events so far, in order."""
        with self.lock:
            return self.events.types

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        """Return the recorded API requests with this method whose path starts with ``path``."""
        with self.lock:
            return [
                r for r in self.requests if r.method == method.upper() and r.path.startswith(path)
            ]

    # --- faults, delivery, reset ---------------------------------------------------------------

    def fail_next(self, count: int = 1, status: int | str = 500) -> None:
        """Answer the next ``count`` API requests with ``status`` (or drop them: "connection")."""
        with self.lock:
            self._faults.extend([status] * count)

    def _take_fault(self):
        """Return the next injected fault, or None."""
        with self.lock:
            return self._faults.popleft() if self._faults else None

    def deliver(self, event: dict, timestamp: int | None = None):
        """Deliver one event to ``webhook_url`` now (signed) and return the response."""
        return deliver(self.webhook_url, event, self.webhook_secret, timestamp)

    def wait_for_deliveries(self, timeout: float = 30) -> bool:
        """Wait until all queued webhook deliveries are done (API calls deliver in background)."""
        return self._deliverer.wait(timeout)

    def reset(self) -> None:
        """Forget all objects, events, requests, deliveries and faults (config stays)."""
        self.wait_for_deliveries()
        with self.lock:
            self.requests.clear()
            self.events.clear()
            self.deliveries.clear()
            self._objects.clear()
            self._by_type.clear()
            self._idempotency.clear()
            self._faults.clear()

    # --- internals used by actions, api, expand ------------------------------------------------

    def _now(self) -> int:
        """Return the fake's current unix time (a seeded payment's ``created`` while seeding)."""
        return self._fixed_now or int(self.clock())

    def _new_id(self, kind: str) -> str:
        """Return a fresh id for an object type."""
        prefix = PREFIX_OF[kind]
        return objects.new_id(prefix, 58 if prefix == "cs_test_" else 24)

    def _put(self, obj: dict) -> dict:
        """Store a new object."""
        self._objects[obj["id"]] = obj
        self._by_type[obj["object"]].append(obj["id"])
        return obj

    def _raw(self, object_id, kind: str | None = None) -> dict:
        """Return the stored object (not a copy) or raise Stripe's 404."""
        obj = self._objects.get(object_id) if isinstance(object_id, str) else None
        if obj is None or (kind is not None and obj["object"] != kind):
            if kind is None:
                prefix = next((p for p in PREFIXES if str(object_id).startswith(p)), None)
                kind = PREFIXES[prefix][0] if prefix else "object"
            raise missing(NAME_OF.get(kind, kind), str(object_id))
        return obj

    def _emit(self, type_: str, obj: dict, previous=None, request=None) -> dict:
        """Append an event with a snapshot of ``obj`` as it is now (call under the lock)."""
        event_id = self._new_id("event")
        text = json.dumps(
            objects.event(
                event_id,
                created=self._now(),
                type=type_,
                obj=objects.visible(obj),
                api_version=API_VERSION,
                request=request,
                previous=previous,
            )
        )
        self.events.append_json(event_id, type_, text)
        event = json.loads(text)
        if self._collect is not None:
            self._collect.append(event)
        return event

    def _dispatch(self, events: list, wait: bool) -> None:
        """Deliver new events to the webhook when configured (call without holding the lock)."""
        if self.webhook_url and self.auto_deliver and events:
            if not self.webhook_secret:
                raise FakeStripeError("webhook_url is set but webhook_secret is missing")
            self._deliverer.submit(events, self.webhook_url, self.webhook_secret, wait)

    def _list_field(self, raw: dict, name: str) -> list[dict]:
        """Return the items of a list that is only shown when expanded."""
        if name == "refunds":
            return [self._objects[rid] for rid in reversed(raw["_refund_ids"])]
        return raw["_line_items"]

    def _list_url(self, raw: dict, name: str) -> str:
        """Return the ``url`` of such a list."""
        if name == "refunds":
            return f"/v1/charges/{raw['id']}/refunds"
        return f"/v1/checkout/sessions/{raw['id']}/line_items"
