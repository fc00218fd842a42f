"""A small JSON control API under /_fake/ so another process can drive a standalone fake."""

import json

from werkzeug.wrappers import Request, Response

from .errors import FakeStripeError

ACTIONS = {
    "complete",
    "settle_sepa",
    "expire",
    "refund",
    "settle_refund",
    "dispute",
    "submit_dispute_evidence",
    "close_dispute",
    "payout",
    "settle_payout",
    "seed_paid_payments",
    "fail_next",
    "reset",
    "wait_for_deliveries",
}


def handle(fake, request: Request) -> Response:
    """``POST /_fake/<action>`` with JSON keyword arguments; ``GET /_fake/events|requests|…``."""
    name = request.path[len("/_fake/") :].strip("/")
    if request.method == "GET":
        with fake.lock:
            if name == "events":
                return _json(list(fake.events))
            if name == "deliveries":
                return _json(fake.deliveries)
            if name == "requests":
                return _json(
                    [
                        {
                            "method": r.method,
                            "path": r.path,
                            "params": r.params,
                            "headers": r.headers,
                            "status": r.status,
                        }
                        for r in fake.requests
                    ]
                )
        if name.startswith("objects/"):
            return _json(fake.objects(name[len("objects/") :]))
        if name.startswith("get/"):
            return _call(lambda: fake.get(name[len("get/") :], request.args.getlist("expand")))
    if request.method == "POST" and name in ACTIONS:
        kwargs = request.get_json(silent=True) or {}
        if name == "seed_paid_payments":
            return _call(lambda: fake.seed_paid_payments(kwargs["specs"]))
        return _call(lambda: getattr(fake, name)(**kwargs))
    return _json({"error": f"unknown control call {request.method} {name}"}, 404)


def _call(action) -> Response:
    """Run an action and answer its result, or Stripe's error JSON."""
    try:
        return _json(action())
    except FakeStripeError as error:
        return _json(error.to_json(), error.status)
    except TypeError as error:
        return _json({"error": str(error)}, 400)


def _json(body, status: int = 200) -> Response:
    """Return a JSON response."""
    return Response(json.dumps(body), status, content_type="application/json")
