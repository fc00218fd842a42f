"""What a payer sees of an online payment: one label per status, its colour and whether the
status can still change (the return pages poll until it cannot).

A payment shows "bezahlt" only once the webhook has set SUCCEEDED: returning from Checkout is
no proof of payment, so CREATED and PENDING both read "Zahlung wird bestätigt".
"""

from dataclasses import dataclass

from supportclub.i18n import N_, _
from supportclub.payments.models import OnlinePayment, PaymentStatus

# status -> (German label msgid, Bootstrap colour, final)
_STATES = {
    PaymentStatus.CREATED: (N_("Zahlung wird bestätigt"), "info", False),
    PaymentStatus.PENDING: (N_("Zahlung wird bestätigt"), "info", False),
    PaymentStatus.SUCCEEDED: (N_("Bezahlt – vielen Dank!"), "success", True),
    PaymentStatus.PARTIALLY_REFUNDED: (N_("Bezahlt, teilweise erstattet"), "success", True),
    PaymentStatus.REFUNDED: (N_("Die Zahlung wurde erstattet."), "secondary", True),
    PaymentStatus.FAILED: (N_("Die Zahlung ist fehlgeschlagen."), "danger", True),
    PaymentStatus.EXPIRED: (
        N_("Die Zahlungsseite ist abgelaufen; es wurde nichts abgebucht."),
        "secondary",
        True,
    ),
}


@dataclass(frozen=True)
class ReturnState:
    """A payment's status as its payer reads it."""

    status: str
    label: str
    kind: str  # Bootstrap colour of the alert: info, success, danger, secondary
    final: bool  # False while the webhook may still change it

    @property
    def waiting(self) -> bool:
        """True while the payment is being confirmed (the page refreshes itself)."""
        return not self.final

    def as_json(self) -> dict:
        """The JSON of the status endpoint."""
        return {"status": self.status, "label": self.label, "final": self.final}


def return_state(payment: OnlinePayment) -> ReturnState:
    """The label, colour and finality of the payment's current status."""
    status = PaymentStatus(payment.status)
    label, kind, final = _STATES[status]
    return ReturnState(status=status.value, label=_(label), kind=kind, final=final)
