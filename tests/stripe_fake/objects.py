"""Builders for Stripe objects as plain dicts, in the shapes of the current Stripe API.

Keys starting with "_" are the fake's own bookkeeping and never leave it (see ``public``).
"""

import json
import random
import string

DAY = 86_400
_ALPHABET = string.ascii_letters + string.digits
_TABLE = bytes((_ALPHABET * 5)[:256], "ascii")  # maps any random byte to a letter or digit
_random = random.Random()

CARD_DETAILS = {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2034}
SEPA_DETAILS = {"last4": "3000", "bank_code": "37040044", "country": "DE"}
DISPUTE_FEE = 1500


def new_id(prefix: str, length: int = 24) -> str:
    """Return a Stripe-like id such as ``pi_3PqR…`` (``cs_test_`` ids are longer)."""
    return prefix + _random.randbytes(length).translate(_TABLE).decode("ascii")


def visible(obj: dict) -> dict:
    """Return a shallow view of an object without the fake's "_" keys (nested values shared)."""
    return {k: v for k, v in obj.items() if k[0] != "_"}


def public(obj: dict) -> dict:
    """Return an independent deep copy of an object for the outside world, without "_" keys."""
    return json.loads(json.dumps(visible(obj)))


def card_fee(amount: int) -> int:
    """Return the fake's card fee: 25 cents + 1.5 % of the amount, rounded half up."""
    return 25 + (amount * 15 + 500) // 1000


def default_fee(method: str, amount: int) -> int:
    """Return the default Stripe fee in cents for a payment method."""
    return 35 if method == "sepa_debit" else card_fee(amount)


def session(sid, *, created, base_url, params, line_items, amounts, currency, metadata):
    """Build an open Checkout Session (mode payment) from validated create parameters."""
    subtotal, total = amounts
    return {
        "id": sid,
        "object": "checkout.session",
        "adaptive_pricing": {"enabled": False},
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": subtotal,
        "amount_total": total,
        "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
        "billing_address_collection": params.get("billing_address_collection"),
        "cancel_url": params.get("cancel_url"),
        "client_reference_id": params.get("client_reference_id") or None,
        "client_secret": None,
        "collected_information": None,
        "consent": None,
        "consent_collection": None,
        "created": created,
        "currency": currency,
        "custom_fields": [],
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "customer": None,
        "customer_creation": params.get("customer_creation", "if_required"),
        "customer_details": None,
        "customer_email": params.get("customer_email") or None,
        "discounts": [],
        "expires_at": params["_expires_at"],
        "invoice": None,
        "invoice_creation": None,
        "livemode": False,
        "locale": params.get("locale") or None,
        "metadata": metadata,
        "mode": "payment",
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": "if_required",
        "payment_method_configuration_details": None,
        "payment_method_options": {},
        "payment_method_types": params["_payment_method_types"],
        "payment_status": "unpaid",
        "phone_number_collection": {"enabled": False},
        "recovered_from": None,
        "saved_payment_method_options": None,
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": "open",
        "submit_type": params.get("submit_type"),
        "subscription": None,
        "success_url": params.get("success_url"),
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted",
        "url": f"{base_url}/checkout/pay/{sid}",
        "wallet_options": None,
        "_line_items": line_items,
        "_payment_intent_data": params.get("_payment_intent_data", {}),
    }


def line_item(*, currency, unit_amount, quantity, name):
    """Build one ``item`` of a session's ``line_items`` (the product name is its description)."""
    return {
        "id": new_id("li_"),
        "object": "item",
        "amount_discount": 0,
        "amount_subtotal": unit_amount * quantity,
        "amount_tax": 0,
        "amount_total": unit_amount * quantity,
        "currency": currency,
        "description": name,
        "price": {
            "id": new_id("price_"),
            "object": "price",
            "active": False,
            "currency": currency,
            "product": new_id("prod_", 14),
            "type": "one_time",
            "unit_amount": unit_amount,
        },
        "quantity": quantity,
    }


def payment_intent(pid, *, created, amount, currency, method, pi_data, status):
    """Build a PaymentIntent as Checkout creates it when the customer pays."""
    return {
        "id": pid,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": amount if status == "succeeded" else 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic",
        "client_secret": f"{pid}_secret_{new_id('', 25)}",
        "confirmation_method": "automatic",
        "created": created,
        "currency": currency,
        "customer": None,
        "description": pi_data.get("description"),
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": dict(pi_data.get("metadata", {})),
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": new_id("pm_"),
        "payment_method_options": {},
        "payment_method_types": [method],
        "processing": None,
        "receipt_email": pi_data.get("receipt_email"),
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "statement_descriptor": pi_data.get("statement_descriptor"),
        "statement_descriptor_suffix": pi_data.get("statement_descriptor_suffix"),
        "status": status,
        "transfer_data": None,
        "transfer_group": None,
    }


def method_details(method: str) -> dict:
    """Return ``payment_method_details`` for a card or a SEPA direct debit."""
    if method == "sepa_debit":
        details = dict(SEPA_DETAILS, fingerprint=new_id("", 16), mandate=new_id("mandate_"))
        details.update(branch_code=None, generated_sepa_debit=None)
        return {"type": "sepa_debit", "sepa_debit": details}
    card = dict(CARD_DETAILS, country="DE", funding="credit", network="visa")
    card.update(fingerprint=new_id("", 16), three_d_secure=None, wallet=None)
    return {"type": "card", "card": card}


def charge(cid, *, created, pi, method, status, billing):
    """Build the Charge of a PaymentIntent (pending for SEPA, succeeded for cards)."""
    return {
        "id": cid,
        "object": "charge",
        "amount": pi["amount"],
        "amount_captured": pi["amount"] if status == "succeeded" else 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": None,
        "billing_details": {"address": None, "phone": None, "tax_id": None, **billing},
        "calculated_statement_descriptor": "SUPPORTCLUB",
        "captured": True,
        "created": created,
        "currency": pi["currency"],
        "customer": None,
        "description": pi["description"],
        "dispute": None,
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "fraud_details": {},
        "livemode": False,
        "metadata": dict(pi["metadata"]),
        "on_behalf_of": None,
        "outcome": _outcome(status),
        "paid": status == "succeeded",
        "payment_intent": pi["id"],
        "payment_method": pi["payment_method"],
        "payment_method_details": method_details(method),
        "receipt_email": pi["receipt_email"],
        "receipt_number": None,
        "receipt_url": f"https://pay.stripe.com/receipts/payment/{new_id('', 40)}",
        "refunded": False,
        "review": None,
        "shipping": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": status,
        "transfer_data": None,
        "transfer_group": None,
        "_refund_ids": [],
    }


def _outcome(status: str) -> dict | None:
    """Return a charge's ``outcome`` for its status."""
    if status == "pending":
        return None
    ok = status == "succeeded"
    return {
        "network_status": "approved_by_network" if ok else "declined_by_network",
        "reason": None if ok else "generic_decline",
        "risk_level": "normal",
        "seller_message": "Payment complete." if ok else "The bank returned the decline code.",
        "type": "authorized" if ok else "issuer_declined",
    }


def balance_transaction(tid, *, created, amount, fee, currency, type, source, category, desc):
    """Build a BalanceTransaction (fees as one ``stripe_fee`` detail)."""
    details = []
    if fee:
        details.append(
            {
                "amount": fee,
                "application": None,
                "currency": currency,
                "description": "Stripe processing fees",
                "type": "stripe_fee",
            }
        )
    return {
        "id": tid,
        "object": "balance_transaction",
        "amount": amount,
        "available_on": created + 2 * DAY,
        "created": created,
        "currency": currency,
        "description": desc,
        "exchange_rate": None,
        "fee": fee,
        "fee_details": details,
        "net": amount - fee,
        "reporting_category": category,
        "source": source,
        "status": "available",
        "type": type,
    }


def refund(rid, *, created, charge_obj, amount, status, reason, metadata):
    """Build a Refund of a charge."""
    card = charge_obj["payment_method_details"]["type"] == "card"
    return {
        "id": rid,
        "object": "refund",
        "amount": amount,
        "balance_transaction": None,
        "charge": charge_obj["id"],
        "created": created,
        "currency": charge_obj["currency"],
        "destination_details": {
            "card": {
                "reference_status": "pending",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
            }
        }
        if card
        else None,
        "failure_balance_transaction": None,
        "failure_reason": None,
        "metadata": metadata,
        "payment_intent": charge_obj["payment_intent"],
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": status,
        "transfer_reversal": None,
    }


def dispute(did, *, created, charge_obj, amount, reason, withdrawal):
    """Build a Dispute that needs a response, with its withdrawal balance transaction."""
    return {
        "id": did,
        "object": "dispute",
        "amount": amount,
        "balance_transactions": [withdrawal],
        "charge": charge_obj["id"],
        "created": created,
        "currency": charge_obj["currency"],
        "enhanced_eligibility_types": [],
        "evidence": {},
        "evidence_details": {
            "due_by": created + 7 * DAY,
            "enhanced_eligibility": {},
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": charge_obj["payment_intent"],
        "payment_method_details": {
            "type": charge_obj["payment_method_details"]["type"],
            "card": {"brand": "visa", "case_type": "chargeback", "network_reason_code": "10.4"}
            if charge_obj["payment_method_details"]["type"] == "card"
            else None,
        },
        "reason": reason,
        "status": "needs_response",
    }


def payout(pid, *, created, amount, currency, arrival_date, bt_id):
    """Build a pending standard payout to the bank account."""
    return {
        "id": pid,
        "object": "payout",
        "amount": amount,
        "application_fee": None,
        "application_fee_amount": None,
        "arrival_date": arrival_date,
        "automatic": True,
        "balance_transaction": bt_id,
        "created": created,
        "currency": currency,
        "description": "STRIPE PAYOUT",
        "destination": new_id("ba_"),
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "livemode": False,
        "metadata": {},
        "method": "standard",
        "original_payout": None,
        "reconciliation_status": "not_applicable",
        "reversed_by": None,
        "source_type": "card",
        "statement_descriptor": None,
        "status": "pending",
        "trace_id": {"status": "pending", "value": None},
        "type": "bank_account",
    }


def event(eid, *, created, type, obj, api_version, request, previous=None):
    """Build an Event around ``obj``; serialising it (state.py) turns it into a snapshot."""
    data = {"object": obj}
    if previous is not None:
        data["previous_attributes"] = previous
    return {
        "id": eid,
        "object": "event",
        "api_version": api_version,
        "created": created,
        "data": data,
        "livemode": False,
        "pending_webhooks": 1,
        "request": request or {"id": None, "idempotency_key": None},
        "type": type,
    }
