"""POST /stripe/webhook: the only view without CSRF protection (Stripe signs instead)."""

import logging

from flask import request

from supportclub.errors import DomainError
from supportclub.extensions import csrf, db, limiter
from supportclub.payments import bp, events, gateway
from supportclub.permissions import public

log = logging.getLogger(__name__)


@bp.post("/stripe/webhook")
@public
@csrf.exempt
@limiter.exempt
def webhook():
    """Verify, store once, re-read from Stripe, book; 400 for anything not signed by Stripe."""
    try:
        event = gateway.verify(
            request.get_data(cache=False), request.headers.get("Stripe-Signature")
        )
    except gateway.WebhookRejected as exc:
        log.warning("webhook refused: %s", exc)
        return {"error": "invalid signature or payload"}, 400
    try:
        outcome = events.receive(event)
        db.session.commit()
    except (gateway.GatewayError, DomainError, Exception) as exc:  # noqa: BLE001
        db.session.rollback()
        log.exception("webhook %s (%s) failed", event.id, event.type)
        try:
            events.record_failure(event, f"{type(exc).__name__}: {exc}")
            db.session.commit()
        except Exception:  # noqa: BLE001  (the database itself may be gone)
            db.session.rollback()
        status = 503 if isinstance(exc, gateway.GatewayError) else 500
        return {"error": "not processed, please retry"}, status
    return {"received": True, "outcome": outcome}, 200
