"""How online payments are named on the treasurer's pages: statuses, purposes, attention kinds,
payment methods, webhook outcomes and payout statuses, in one place."""

from flask_babel import lazy_gettext as _l

from supportclub.payments.models import AttentionKind, PaymentStatus, Purpose

STATUS_LABELS = {
    PaymentStatus.CREATED: _l("offen (Checkout begonnen)"),
    PaymentStatus.PENDING: _l("wird bestätigt"),
    PaymentStatus.SUCCEEDED: _l("bezahlt"),
    PaymentStatus.FAILED: _l("fehlgeschlagen"),
    PaymentStatus.EXPIRED: _l("abgelaufen"),
    PaymentStatus.PARTIALLY_REFUNDED: _l("teilweise erstattet"),
    PaymentStatus.REFUNDED: _l("erstattet"),
}

# Bootstrap badge classes per status
STATUS_BADGES = {
    PaymentStatus.CREATED: "bg-light text-dark border",
    PaymentStatus.PENDING: "bg-info text-dark",
    PaymentStatus.SUCCEEDED: "bg-success",
    PaymentStatus.FAILED: "bg-danger",
    PaymentStatus.EXPIRED: "bg-secondary",
    PaymentStatus.PARTIALLY_REFUNDED: "bg-warning text-dark",
    PaymentStatus.REFUNDED: "bg-warning text-dark",
}

PURPOSE_LABELS = {
    Purpose.DUES: _l("Beitrag"),
    Purpose.DONATION: _l("Spende"),
}

ATTENTION_LABELS = {
    AttentionKind.PAYER_UNCLEAR: _l("Zahler unklar"),
    AttentionKind.AMOUNT_MISMATCH: _l("Betrag weicht ab"),
    AttentionKind.PAYMENT_FAILED: _l("Zahlung fehlgeschlagen"),
    AttentionKind.DISPUTED: _l("Zahlung angefochten"),
    AttentionKind.CURRENCY: _l("fremde Währung"),
}

# what the treasurer should do about each kind
ATTENTION_HINTS = {
    AttentionKind.PAYER_UNCLEAR: _l(
        "Die Angaben passen zu mehreren oder nicht eindeutig zu einer bekannten Person. Bitte "
        "den Zahler zuordnen; erst dann wird die Zahlung gebucht."
    ),
    AttentionKind.AMOUNT_MISMATCH: _l(
        "Stripe meldet einen anderen Betrag als angefordert. Ein Mehrbetrag steht auf "
        "„Ungeklärte Zahlungen“, bis er geklärt ist (z. B. als Spende gebucht oder erstattet)."
    ),
    AttentionKind.PAYMENT_FAILED: _l(
        "Die Lastschrift oder Kartenzahlung ist fehlgeschlagen; es wurde nichts gebucht. "
        "Bitte mit dem Zahler klären."
    ),
    AttentionKind.DISPUTED: _l(
        "Der Zahler hat die Zahlung bei seiner Bank angefochten. Bitte im Stripe-Dashboard "
        "reagieren; ein verlorener Streitfall wird automatisch zurückgebucht."
    ),
    AttentionKind.CURRENCY: _l(
        "Die Zahlung kam nicht in Euro und wurde nicht gebucht. Bitte von Hand klären."
    ),
}

ATTENTION_BADGES = {
    AttentionKind.PAYER_UNCLEAR: "bg-warning text-dark",
    AttentionKind.AMOUNT_MISMATCH: "bg-warning text-dark",
    AttentionKind.PAYMENT_FAILED: "bg-danger",
    AttentionKind.DISPUTED: "bg-danger",
    AttentionKind.CURRENCY: "bg-danger",
}

METHOD_LABELS = {
    "card": _l("Karte"),
    "sepa_debit": _l("SEPA-Lastschrift"),
    "paypal": _l("PayPal"),
    "giropay": _l("giropay"),
    "sofort": _l("Sofort"),
    "klarna": _l("Klarna"),
    "link": _l("Link"),
    "apple_pay": _l("Apple Pay"),
    "google_pay": _l("Google Pay"),
}

OUTCOME_LABELS = {
    "processing": _l("in Bearbeitung"),
    "processed": _l("verarbeitet"),
    "ignored": _l("ignoriert"),
    "failed": _l("fehlgeschlagen"),
}

OUTCOME_BADGES = {
    "processing": "bg-info text-dark",
    "processed": "bg-success",
    "ignored": "bg-secondary",
    "failed": "bg-danger",
}

PAYOUT_STATUS_LABELS = {
    "pending": _l("angekündigt"),
    "in_transit": _l("unterwegs"),
    "paid": _l("auf dem Bankkonto"),
    "failed": _l("fehlgeschlagen"),
    "canceled": _l("abgebrochen"),
}

DISPUTE_STATUS_LABELS = {
    "warning_needs_response": _l("Vorwarnung, Antwort nötig"),
    "warning_under_review": _l("Vorwarnung, in Prüfung"),
    "warning_closed": _l("Vorwarnung erledigt"),
    "needs_response": _l("Antwort nötig"),
    "under_review": _l("in Prüfung"),
    "won": _l("gewonnen"),
    "lost": _l("verloren"),
}


def method_label(method: str | None) -> str:
    """The payment method's German name, or Stripe's code for one we do not know."""
    if not method:
        return "–"
    return str(METHOD_LABELS.get(method, method))


def label(mapping: dict, key) -> str:
    """The label of `key` in `mapping`, or the key itself (a value Stripe added later)."""
    if key is None or key == "":
        return "–"
    return str(mapping.get(key, key))


def template_helpers() -> dict:
    """The labels as template variables (one dict for every page of the feature)."""
    return {
        "status_labels": STATUS_LABELS,
        "status_badges": STATUS_BADGES,
        "purpose_labels": PURPOSE_LABELS,
        "attention_labels": ATTENTION_LABELS,
        "attention_hints": ATTENTION_HINTS,
        "attention_badges": ATTENTION_BADGES,
        "outcome_labels": OUTCOME_LABELS,
        "outcome_badges": OUTCOME_BADGES,
        "payout_labels": PAYOUT_STATUS_LABELS,
        "dispute_labels": DISPUTE_STATUS_LABELS,
        "method_label": method_label,
        "label": label,
    }
