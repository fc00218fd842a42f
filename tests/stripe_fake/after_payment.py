"""What happens after a payment: refunds, disputes and payouts (see actions.py for the pattern)."""

from . import objects
from .errors import invalid
from .objects import DISPUTE_FEE, public


class AfterPaymentMixin:
    """Python actions of ``FakeStripe`` for refunds, disputes and payouts."""

    # --- refunds --------------------------------------------------------------------------------

    def refund(
        self, payment_intent_id, amount=None, status="succeeded", reason=None, metadata=None
    ):
        """Refund (part of) a paid PaymentIntent or Charge; status pending|succeeded|failed."""
        with self.lock:
            refund, events = self._refund(payment_intent_id, amount, status, reason, metadata, None)
            result = self._refund_result(refund, events)
        self._dispatch(events, wait=True)
        return result

    def _refund_result(self, refund: dict, events: list) -> dict:
        """Return refund, charge and balance transaction copies plus the events."""
        bt = refund["balance_transaction"]
        return {
            "refund": public(refund),
            "charge": public(self._objects[refund["charge"]]),
            "balance_transaction": public(self._objects[bt]) if bt else None,
            "events": events,
        }

    def _charge_of(self, ident: str) -> dict:
        """Return the latest charge of a PaymentIntent (or paid session), or the charge itself."""
        if ident.startswith("cs_"):
            ident = self._raw(ident, "checkout.session")["payment_intent"] or ident
            if ident.startswith("cs_"):
                raise invalid(f"Checkout Session {ident} has not been paid.")
        if ident.startswith("pi_"):
            pi = self._raw(ident, "payment_intent")
            if pi["latest_charge"] is None:
                raise invalid(f"PaymentIntent {ident} has no charge.", code="charge_not_refundable")
            return self._objects[pi["latest_charge"]]
        return self._raw(ident, "charge")

    def _refund(self, ident, amount, status, reason, metadata, request):
        """Create a refund under the lock; returns (refund, events)."""
        if status not in ("succeeded", "pending", "failed", "canceled"):
            raise invalid(f"Unknown refund status {status!r}.")
        charge = self._charge_of(ident)
        if charge["status"] != "succeeded":
            raise invalid(
                f"This charge ({charge['id']}) has not succeeded and cannot be refunded.",
                code="charge_not_refundable",
            )
        if charge["disputed"]:
            raise invalid(
                f"Charge {charge['id']} has been charged back; cannot issue a refund.",
                code="charge_disputed",
            )
        remaining = charge["amount"] - charge["amount_refunded"]
        if remaining == 0:
            raise invalid(
                f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded"
            )
        amount = remaining if amount is None else int(amount)
        if amount <= 0:
            raise invalid("Invalid positive integer", param="amount")
        if amount > remaining:
            raise invalid(
                f"Refund amount ({_money(amount)}) is greater than unrefunded amount on charge "
                f"({_money(remaining)})",
                param="amount",
                code="amount_too_large",
            )
        now = self._now()
        refund = objects.refund(
            self._new_id("refund"),
            created=now,
            charge_obj=charge,
            amount=amount,
            status="succeeded" if status == "succeeded" else "pending",
            reason=reason,
            metadata=metadata or {},
        )
        self._put(refund)
        bt = self._new_bt(
            -amount,
            0,
            charge["currency"],
            "refund",
            refund["id"],
            "refund",
            "REFUND FOR CHARGE",
            now,
        )
        refund["balance_transaction"] = bt["id"]
        previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        charge["_refund_ids"].append(refund["id"])
        events = [
            self._emit("charge.refunded", charge, previous, request),
            self._emit("refund.created", refund, request=request),
        ]
        if status == "succeeded":
            events.append(self._emit("charge.refund.updated", refund, request=request))
        elif status in ("failed", "canceled"):
            events += self._settle_refund(refund, status, "declined")
        return refund, events

    def settle_refund(self, refund_id, status="succeeded", failure_reason="lost_or_stolen_card"):
        """A pending refund succeeds, fails (money returns to the balance) or is canceled."""
        with self.lock:
            refund = self._raw(refund_id, "refund")
            if refund["status"] != "pending":
                raise invalid(f"Refund {refund_id} is {refund['status']}, not pending.")
            events = self._settle_refund(refund, status, failure_reason)
            result = self._refund_result(refund, events)
        self._dispatch(events, wait=True)
        return result

    def _settle_refund(self, refund, status, failure_reason):
        """Move a pending refund to its final status under the lock; returns the events."""
        if status not in ("succeeded", "failed", "canceled"):
            raise invalid(
                f"A pending refund becomes succeeded, failed or canceled, not {status!r}."
            )
        refund["status"] = status
        if status == "succeeded":
            return [self._emit("charge.refund.updated", refund)]
        charge = self._objects[refund["charge"]]
        charge["amount_refunded"] -= refund["amount"]
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        bt = self._new_bt(
            refund["amount"],
            0,
            refund["currency"],
            "refund_failure",
            refund["id"],
            "refund_failure",
            "REFUND FAILURE",
        )
        refund["failure_balance_transaction"] = bt["id"]
        if status == "failed":
            refund["failure_reason"] = failure_reason
            return [
                self._emit("charge.refund.updated", refund),
                self._emit("refund.failed", refund),
            ]
        return [self._emit("charge.refund.updated", refund)]

    # --- disputes -------------------------------------------------------------------------------

    def dispute(self, payment_intent_id, reason="fraudulent", amount=None):
        """The cardholder disputes a paid charge: funds plus a 15,00 fee are withdrawn."""
        with self.lock:
            charge = self._charge_of(payment_intent_id)
            if charge["status"] != "succeeded" or charge["disputed"]:
                raise invalid(f"Charge {charge['id']} cannot be disputed (again).")
            amount = charge["amount"] if amount is None else int(amount)
            did = self._new_id("dispute")
            withdrawal = self._new_bt(
                -amount,
                DISPUTE_FEE,
                charge["currency"],
                "adjustment",
                did,
                "dispute",
                f"Chargeback withdrawal for {charge['id']}",
            )
            dispute = objects.dispute(
                did,
                created=self._now(),
                charge_obj=charge,
                amount=amount,
                reason=reason,
                withdrawal=public(withdrawal),
            )
            self._put(dispute)
            charge.update(disputed=True, dispute=did)
            events = [
                self._emit("charge.dispute.created", dispute),
                self._emit("charge.dispute.funds_withdrawn", dispute),
            ]
            result = {"dispute": public(dispute), "charge": public(charge), "events": events}
        self._dispatch(events, wait=True)
        return result

    def submit_dispute_evidence(self, dispute_id):
        """The merchant answers a dispute: status under_review (``charge.dispute.updated``)."""
        with self.lock:
            dispute = self._raw(dispute_id, "dispute")
            previous = {"status": dispute["status"]}
            dispute["status"] = "under_review"
            dispute["evidence_details"].update(has_evidence=True, submission_count=1)
            events = [self._emit("charge.dispute.updated", dispute, previous)]
            result = {"dispute": public(dispute), "events": events}
        self._dispatch(events, wait=True)
        return result

    def close_dispute(self, dispute_id, won: bool):
        """The bank decides a dispute; when won the amount (not the fee) is reinstated."""
        with self.lock:
            dispute = self._raw(dispute_id, "dispute")
            if dispute["status"] in ("won", "lost"):
                raise invalid(f"Dispute {dispute_id} is already closed.")
            dispute["status"] = "won" if won else "lost"
            if won:
                bt = self._new_bt(
                    dispute["amount"],
                    0,
                    dispute["currency"],
                    "adjustment",
                    dispute_id,
                    "dispute_reversal",
                    f"Chargeback reversal for {dispute['charge']}",
                )
                dispute["balance_transactions"].append(public(bt))
            events = [self._emit("charge.dispute.closed", dispute)]
            if won:
                events.append(self._emit("charge.dispute.funds_reinstated", dispute))
            result = {"dispute": public(dispute), "events": events}
        self._dispatch(events, wait=True)
        return result

    # --- payouts --------------------------------------------------------------------------------

    def payout(
        self,
        amount,
        status="paid",
        arrival_date=None,
        currency="eur",
        failure_code="account_closed",
        failure_message="The bank account has been closed.",
    ):
        """Stripe pays out to the bank: payout.created, then payout.paid|failed|canceled."""
        with self.lock:
            now = self._now()
            pid = self._new_id("payout")
            bt = self._new_bt(-int(amount), 0, currency, "payout", pid, "payout", "STRIPE PAYOUT")
            payout = objects.payout(
                pid,
                created=now,
                amount=int(amount),
                currency=currency,
                arrival_date=arrival_date or now + 2 * objects.DAY,
                bt_id=bt["id"],
            )
            self._put(payout)
            events = [self._emit("payout.created", payout)]
            if status != "pending":
                events += self._settle_payout(payout, status, failure_code, failure_message)
            result = {"payout": public(payout), "balance_transaction": public(bt), "events": events}
        self._dispatch(events, wait=True)
        return result

    def settle_payout(
        self,
        payout_id,
        status="paid",
        failure_code="account_closed",
        failure_message="The bank account has been closed.",
    ):
        """A pending payout arrives (paid), bounces (failed) or is canceled."""
        with self.lock:
            payout = self._raw(payout_id, "payout")
            if payout["status"] != "pending":
                raise invalid(f"Payout {payout_id} is {payout['status']}, not pending.")
            events = self._settle_payout(payout, status, failure_code, failure_message)
            result = {"payout": public(payout), "events": events}
        self._dispatch(events, wait=True)
        return result

    def _settle_payout(self, payout, status, failure_code, failure_message):
        """Move a pending payout to its final status under the lock; returns the events."""
        if status not in ("paid", "failed", "canceled"):
            raise invalid(f"A payout becomes paid, failed or canceled, not {status!r}.")
        payout["status"] = status
        if status == "paid":
            payout["trace_id"] = {"status": "supported", "value": objects.new_id("", 16)}
        else:
            type_ = "payout_failure" if status == "failed" else "payout_cancel"
            bt = self._new_bt(
                payout["amount"],
                0,
                payout["currency"],
                type_,
                payout["id"],
                "payout_reversal",
                f"Payout {status}",
            )
            payout["failure_balance_transaction"] = bt["id"]
            if status == "failed":
                payout.update(failure_code=failure_code, failure_message=failure_message)
        return [self._emit(f"payout.{status}", payout)]


def _money(cents: int) -> str:
    """Format cents like Stripe's error messages (€12.34)."""
    return f"€{cents // 100}.{cents % 100:02d}"
