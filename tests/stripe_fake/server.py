"""The fake's HTTP side: Stripe's API under /v1, the hosted page, a JSON control API."""

import contextlib
import json
import socket
import threading
import time

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from . import checkout_page, control
from .errors import FakeStripeError
from .objects import new_id
from .params import decode
from .state import API_VERSION, RecordedRequest

RESOURCES = {
    "payment_intents": "payment_intent",
    "charges": "charge",
    "refunds": "refund",
    "disputes": "dispute",
    "payouts": "payout",
    "balance_transactions": "balance_transaction",
    "events": "event",
}


def _rules() -> list[Rule]:
    """Return the URL rules of the API."""
    rules = [
        Rule("/v1/checkout/sessions", methods=["POST"], endpoint="create_session"),
        Rule("/v1/checkout/sessions", methods=["GET"], endpoint="list/checkout.session"),
        Rule("/v1/checkout/sessions/<oid>", methods=["GET"], endpoint="get/checkout.session"),
        Rule("/v1/checkout/sessions/<oid>/expire", methods=["POST"], endpoint="expire_session"),
        Rule("/v1/checkout/sessions/<oid>/line_items", methods=["GET"], endpoint="line_items"),
        Rule("/v1/refunds", methods=["POST"], endpoint="create_refund"),
    ]
    for segment, kind in RESOURCES.items():
        rules.append(Rule(f"/v1/{segment}", methods=["GET"], endpoint=f"list/{kind}"))
        rules.append(Rule(f"/v1/{segment}/<oid>", methods=["GET"], endpoint=f"get/{kind}"))
    return rules


class FakeStripeApp:
    """WSGI application over a ``FakeStripe``."""

    def __init__(self, fake):
        """Serve ``fake``."""
        self.fake = fake
        self.url_map = Map(_rules())

    def __call__(self, environ, start_response):
        """Dispatch to the API, the hosted checkout page or the control API."""
        request = Request(environ)
        path = request.path
        if path.startswith("/v1/"):
            response = self.api(request, environ)
        elif path.startswith("/checkout/"):
            response = checkout_page.handle(self.fake, request)
        elif path.startswith("/_fake/"):
            response = control.handle(self.fake, request)
        else:
            response = Response("Stripe fake: nothing here.\n", 404, mimetype="text/plain")
        return response(environ, start_response)

    # --- the API --------------------------------------------------------------------------------

    def api(self, request: Request, environ) -> Response:
        """Record, fault-inject, authenticate, then answer one API request."""
        fake = self.fake
        method = request.method
        pairs = request.form.items(multi=True) if method == "POST" else ()
        params = decode(list(request.args.items(multi=True)) + list(pairs))
        record = RecordedRequest(
            method=method,
            path=request.path,
            params=params,
            headers=dict(request.headers.items()),
            request_id=new_id("req_", 14),
        )
        with fake.lock:
            fake.requests.append(record)
        if fake.delay:
            time.sleep(fake.delay)
        fault = fake._take_fault()
        if fault == "connection":
            record.status = "connection"
            _drop_connection(environ)
        if fault is not None:
            return self._error(record, _injected(int(fault)))
        try:
            self._authenticate(request)
            endpoint, args = self.url_map.bind_to_environ(environ).match()
        except FakeStripeError as error:
            return self._error(record, error)
        except HTTPException:
            return self._error(
                record,
                FakeStripeError(
                    f"Unrecognized request URL ({method}: {request.path}). Please see "
                    "https://stripe.com/docs or we can help at https://support.stripe.com/.",
                    status=404,
                ),
            )
        if method == "POST":
            return self._post(record, endpoint, args, request)
        return self._answer(record, endpoint, args, request)

    def _authenticate(self, request: Request) -> None:
        """Check the Bearer key as Stripe would (401 otherwise)."""
        header = request.headers.get("Authorization", "")
        key = header[7:] if header.startswith("Bearer ") else ""
        if not key:
            raise FakeStripeError(
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth "
                "(e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
                status=401,
            )
        expected = self.fake.api_key
        ok = key == expected if expected else key.startswith(("sk_test_", "rk_test_"))
        if not ok:
            raise FakeStripeError(
                f"Invalid API Key provided: {key[:8]}{'*' * max(len(key) - 12, 0)}{key[-4:]}",
                status=401,
            )

    def _post(self, record, endpoint, args, request) -> Response:
        """Answer a POST, honouring ``Idempotency-Key`` (same key → same answer, nothing new)."""
        fake = self.fake
        key = request.headers.get("Idempotency-Key")
        if not key:
            return self._answer(record, endpoint, args, request)
        with fake.lock:
            cached = fake._idempotency.get(key)
            if cached is not None:
                method, path, params, status, body = cached
                if (method, path, params) != (record.method, record.path, record.params):
                    return self._error(
                        record,
                        FakeStripeError(
                            "Keys for idempotent requests can only be used with the same "
                            "parameters they were first used with. Try using a key other than "
                            f"'{key}' if you meant to execute a different request.",
                            type="idempotency_error",
                        ),
                    )
                record.status, record.replayed = status, True
                response = self._json(record, status, body)
                response.headers["Idempotent-Replayed"] = "true"
                return response
            response, events = self._run(record, endpoint, args, request)
            if response.status_code < 400:
                fake._idempotency[key] = (
                    record.method,
                    record.path,
                    record.params,
                    response.status_code,
                    response.get_data(),
                )
        fake._dispatch(events, wait=False)
        return response

    def _answer(self, record, endpoint, args, request) -> Response:
        """Answer a request without idempotency handling."""
        response, events = self._run(record, endpoint, args, request)
        self.fake._dispatch(events, wait=False)
        return response

    def _run(self, record, endpoint, args, request):
        """Call the operation for an endpoint; return (response, events to deliver)."""
        fake, params = self.fake, record.params
        info = {"id": record.request_id, "idempotency_key": request.headers.get("Idempotency-Key")}
        try:
            if endpoint == "create_session":
                body, events = fake.api_create_session(params, info)
            elif endpoint == "expire_session":
                body, events = fake.api_expire_session(args["oid"], params, info)
            elif endpoint == "create_refund":
                body, events = fake.api_create_refund(params, info)
            elif endpoint == "line_items":
                body, events = fake.api_line_items(args["oid"], params)
            elif endpoint.startswith("get/"):
                body, events = fake.api_retrieve(endpoint[4:], args["oid"], params)
            else:
                body, events = fake.api_list(endpoint[5:], record.path, params)
        except FakeStripeError as error:
            return self._error(record, error), []
        record.status = 200
        return self._json(record, 200, body), events

    def _error(self, record, error: FakeStripeError) -> Response:
        """Answer with Stripe's error JSON."""
        record.status = error.status
        record.extra["error"] = error.to_json()["error"]
        return self._json(record, error.status, json.dumps(error.to_json()).encode())

    def _json(self, record, status: int, body: bytes) -> Response:
        """Return a JSON response with Stripe's headers."""
        response = Response(body, status, content_type="application/json")
        response.headers["Request-Id"] = record.request_id
        response.headers["Stripe-Version"] = API_VERSION
        return response


def _injected(status: int) -> FakeStripeError:
    """Return the error for an injected failure with this HTTP status."""
    if status == 429:
        return FakeStripeError(
            "Too many requests hit the API too quickly (injected by the Stripe fake).",
            status=429,
            code="rate_limit",
        )
    return FakeStripeError(
        "An unknown error occurred (injected by the Stripe fake).", status=status, type="api_error"
    )


def _drop_connection(environ) -> None:
    """Close the client's connection without an answer (the server then drops the request)."""
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    raise ConnectionAbortedError("dropped by the Stripe fake (fail_next status='connection')")


class _Handler(WSGIRequestHandler):
    """Request handler without one log line per request."""

    def log_request(self, *args, **kwargs) -> None:
        """Stay quiet; the fake records API requests itself."""


class FakeStripeServer:
    """A threaded werkzeug server for one ``FakeStripe``, run in a daemon thread."""

    def __init__(self, fake, host: str = "127.0.0.1", port: int = 0, quiet: bool = True):
        """Bind now (port 0 = a free port) so ``port`` is known before ``start``."""
        handler = _Handler if quiet else WSGIRequestHandler
        self.server = make_server(
            host, port, FakeStripeApp(fake), threaded=True, request_handler=handler
        )
        self.server.daemon_threads = True
        self.port = self.server.socket.getsockname()[1]
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Serve in a daemon thread."""
        self._thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="stripe-fake",
            daemon=True,
        )
        self._thread.start()

    def serve_forever(self) -> None:
        """Serve in the calling thread (the command line)."""
        self.server.serve_forever()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.server.server_close()
        if self._thread is not None:
            self._thread.join(5)
