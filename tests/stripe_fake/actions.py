"""What customers and banks do to a Checkout Session: pay, settle SEPA, expire; bulk seeding.

Each public action changes state under the lock, appends Events in the order Stripe emits them,
delivers them to the webhook (synchronously, when configured) and returns copies of the
affected objects plus ``"events"``.
"""

import gc

from . import objects
from .errors import invalid
from .objects import public

DEFAULT_NAME = "Erika Mustermann"
DEFAULT_EMAIL = "erika@example.com"
SEPA_FAILURE = "The customer's account has insufficient funds to cover this payment."


class ActionsMixin:
    """Checkout actions of ``FakeStripe``; refunds, disputes, payouts: after_payment.py."""

    # --- checkout -------------------------------------------------------------------------------

    def complete(self, session_id, method="card", fee=None, amount=None, name=None, email=None):
        """The customer pays an open session by card (succeeded) or SEPA debit (processing)."""
        with self.lock:
            session, pi, charge, bt, events = self._complete(
                session_id, method, fee, amount, name, email
            )
            result = {
                "session": public(session),
                "payment_intent": public(pi),
                "charge": public(charge),
                "balance_transaction": public(bt) if bt else None,
                "events": events,
            }
        self._dispatch(events, wait=True)
        return result

    def _complete(self, session_id, method, fee, amount, name, email):
        """Create PaymentIntent, Charge (and BalanceTransaction for cards) under the lock.

        Returns the stored (session, pi, charge, bt or None, events).
        """
        session = self._raw(session_id, "checkout.session")
        if session["status"] != "open":
            raise invalid(f"Checkout Session {session_id} is {session['status']}, not open.")
        if method not in ("card", "sepa_debit"):
            raise invalid(f"The fake pays by 'card' or 'sepa_debit', not {method!r}.")
        if method not in session["payment_method_types"]:
            raise invalid(f"Checkout Session {session_id} does not accept {method}.")
        now = self._now()
        amount = session["amount_total"] if amount is None else int(amount)
        card = method == "card"
        pi = objects.payment_intent(
            self._new_id("payment_intent"),
            created=now,
            amount=amount,
            currency=session["currency"],
            method=method,
            pi_data=session["_payment_intent_data"],
            status="succeeded" if card else "processing",
        )
        email = email or session["customer_email"] or DEFAULT_EMAIL
        name = name or DEFAULT_NAME
        charge = objects.charge(
            self._new_id("charge"),
            created=now,
            pi=pi,
            method=method,
            status="succeeded" if card else "pending",
            billing={"email": email, "name": name},
        )
        charge["_fee"] = objects.default_fee(method, amount) if fee is None else int(fee)
        pi["latest_charge"] = charge["id"]
        self._put(pi)
        self._put(charge)
        bt = self._charge_bt(charge, now) if card else None
        session.update(
            status="complete",
            payment_status="paid" if card else "unpaid",
            payment_intent=pi["id"],
            url=None,
            customer_details={
                "address": None,
                "email": email,
                "name": name,
                "phone": None,
                "tax_exempt": "none",
                "tax_ids": [],
            },
        )
        if card:
            events = [
                self._emit("charge.succeeded", charge),
                self._emit("payment_intent.succeeded", pi),
                self._emit("checkout.session.completed", session),
            ]
        else:
            events = [
                self._emit("payment_intent.processing", pi),
                self._emit("charge.pending", charge),
                self._emit("checkout.session.completed", session),
            ]
        return session, pi, charge, bt, events

    def _charge_bt(self, charge: dict, created: int) -> dict:
        """Book a succeeded charge into the balance (amount, fee, net)."""
        bt = self._new_bt(
            charge["amount"],
            charge["_fee"],
            charge["currency"],
            "charge",
            charge["id"],
            "charge",
            None,
            created,
        )
        charge["balance_transaction"] = bt["id"]
        return bt

    def _new_bt(self, amount, fee, currency, type_, source, category, desc, created=None):
        """Store a new BalanceTransaction."""
        return self._put(
            objects.balance_transaction(
                self._new_id("balance_transaction"),
                created=created or self._now(),
                amount=amount,
                fee=fee,
                currency=currency,
                type=type_,
                source=source,
                category=category,
                desc=desc,
            )
        )

    def settle_sepa(
        self,
        session_id,
        succeed=True,
        failure_code="insufficient_funds",
        failure_message=SEPA_FAILURE,
    ):
        """The bank settles a processing SEPA debit (session or PI id): paid or failed."""
        with self.lock:
            session, pi = self._session_and_pi(session_id)
            charge = self._objects[pi["latest_charge"]]
            if pi["status"] != "processing" or charge["status"] != "pending":
                raise invalid(f"PaymentIntent {pi['id']} is {pi['status']}, not processing.")
            bt = None
            if succeed:
                charge.update(status="succeeded", paid=True, amount_captured=charge["amount"])
                charge["outcome"] = objects._outcome("succeeded")
                bt = self._charge_bt(charge, self._now())
                pi.update(status="succeeded", amount_received=pi["amount"])
                session["payment_status"] = "paid"
                names = ("charge.succeeded", "payment_intent.succeeded")
                last = "checkout.session.async_payment_succeeded"
            else:
                charge.update(status="failed", failure_code=failure_code)
                charge.update(failure_message=failure_message, outcome=objects._outcome("failed"))
                pi.update(status="requires_payment_method", payment_method=None)
                pi["last_payment_error"] = {
                    "charge": charge["id"],
                    "code": failure_code,
                    "decline_code": None,
                    "doc_url": f"https://stripe.com/docs/error-codes/{failure_code}",
                    "message": failure_message,
                    "type": "card_error",
                }
                names = ("charge.failed", "payment_intent.payment_failed")
                last = "checkout.session.async_payment_failed"
            events = [self._emit(names[0], charge), self._emit(names[1], pi)]
            if session is not None:
                events.append(self._emit(last, session))
            result = {
                "session": public(session) if session else None,
                "payment_intent": public(pi),
                "charge": public(charge),
                "balance_transaction": public(bt) if bt else None,
                "events": events,
            }
        self._dispatch(events, wait=True)
        return result

    def _session_and_pi(self, ident: str):
        """Find (session or None, PaymentIntent) from a session or PaymentIntent id."""
        if ident.startswith("pi_"):
            pi = self._raw(ident, "payment_intent")
            session = next(
                (
                    self._objects[sid]
                    for sid in self._by_type["checkout.session"]
                    if self._objects[sid]["payment_intent"] == ident
                ),
                None,
            )
            return session, pi
        session = self._raw(ident, "checkout.session")
        if session["payment_intent"] is None:
            raise invalid(f"Checkout Session {ident} has not been paid.")
        return session, self._objects[session["payment_intent"]]

    def expire(self, session_id):
        """Stripe expires an open session (``checkout.session.expired``)."""
        with self.lock:
            session, events = self._expire(session_id, None)
        self._dispatch(events, wait=True)
        return {"session": public(session), "events": events}

    def _expire(self, session_id, request):
        """Expire a session under the lock; only open ones can be expired."""
        session = self._raw(session_id, "checkout.session")
        if session["status"] != "open":
            raise invalid(
                'Only Checkout Sessions with a status in ["open"] can be expired.',
                param="session",
            )
        session.update(status="expired", url=None)
        return session, [self._emit("checkout.session.expired", session, request=request)]

    # --- bulk seeding ---------------------------------------------------------------------------

    def seed_paid_payments(self, specs) -> list[dict]:
        """Create many paid Checkout payments at once, without HTTP and without delivering.

        Each spec is a dict: ``amount`` (cents, required), optional ``fee``, ``method``
        ("card"|"sepa_debit" – settled), ``metadata`` (session and PaymentIntent),
        ``client_reference_id``, ``name``, ``email``, ``description``, ``currency``,
        ``created`` (unix time), ``refund`` (cents refunded right away). Returns the events
        (the same ones the live flow would emit), which also land in ``fake.events``.
        """
        from .api import build_session

        all_events: list[dict] = []
        gc_was_enabled = gc.isenabled()
        gc.disable()  # a bulk load only allocates; collecting during it just costs time
        with self.lock:
            self._collect = all_events
            try:
                for spec in specs:
                    self._fixed_now = spec.get("created")
                    self._seed_one(spec, build_session)
            finally:
                self._fixed_now = None
                self._collect = None
                if gc_was_enabled:
                    gc.enable()
        return all_events

    def _seed_one(self, spec: dict, build_session) -> None:
        """Create one paid (and maybe refunded) Checkout payment under the lock."""
        method = spec.get("method", "card")
        metadata = {k: str(v) for k, v in (spec.get("metadata") or {}).items()}
        params = {
            "mode": "payment",
            "client_reference_id": spec.get("client_reference_id"),
            "customer_email": spec.get("email"),
            "metadata": metadata,
            "payment_method_types": [method],
            "payment_intent_data": {"metadata": metadata},
            "line_items": [
                {
                    "quantity": "1",
                    "price_data": {
                        "currency": spec.get("currency", "eur"),
                        "unit_amount": str(spec["amount"]),
                        "product_data": {"name": spec.get("description", "Spende")},
                    },
                }
            ],
        }
        session = build_session(self, params)
        self._complete(
            session["id"], method, spec.get("fee"), None, spec.get("name"), spec.get("email")
        )
        if method == "sepa_debit":
            self._settle_sepa_quietly(session)
        if spec.get("refund"):
            self._refund(
                session["payment_intent"],
                spec["refund"],
                "succeeded",
                "requested_by_customer",
                None,
                None,
            )

    def _settle_sepa_quietly(self, session) -> None:
        """Settle a seeded SEPA payment at once (same events as ``settle_sepa``)."""
        pi = self._objects[session["payment_intent"]]
        charge = self._objects[pi["latest_charge"]]
        charge.update(status="succeeded", paid=True, amount_captured=charge["amount"])
        charge["outcome"] = objects._outcome("succeeded")
        self._charge_bt(charge, self._now())
        pi.update(status="succeeded", amount_received=pi["amount"])
        session["payment_status"] = "paid"
        self._emit("charge.succeeded", charge)
        self._emit("payment_intent.succeeded", pi)
        self._emit("checkout.session.async_payment_succeeded", session)
