"""How receipt kinds, states, contribution kinds and deliveries are named on every page."""

from flask_babel import lazy_gettext as _l

from supportclub.receipts.content import ContributionKind, ReceiptKind
from supportclub.receipts.models import Delivery

KIND_LABELS = {
    ReceiptKind.SINGLE: _l("Einzelbestätigung"),
    ReceiptKind.IN_KIND: _l("Sachzuwendung"),
    ReceiptKind.COLLECTIVE: _l("Sammelbestätigung"),
    ReceiptKind.SLIP: _l("Vereinfachter Nachweis"),
}
# the template each kind follows (BMF-Schreiben of 7 November 2013)
KIND_TEMPLATES = {
    ReceiptKind.SINGLE: _l("Anlage 3"),
    ReceiptKind.IN_KIND: _l("Anlage 4"),
    ReceiptKind.COLLECTIVE: _l("Anlage 14"),
    ReceiptKind.SLIP: _l("§ 50 Abs. 4 EStDV"),
}
CONTRIBUTION_LABELS = {
    ContributionKind.DONATION: _l("Geldzuwendung"),
    ContributionKind.DUES: _l("Mitgliedsbeitrag"),
}
DELIVERY_LABELS = {
    Delivery.EMAIL: _l("per E-Mail"),
    Delivery.PRINT: _l("per Post (Druck)"),
}

# the list's status filter: the values in the URL and their labels
VALID = "gueltig"
REVOKED = "storniert"
STATUS_LABELS = {VALID: _l("gültig"), REVOKED: _l("storniert")}


def contribution_label(kind: ContributionKind, in_kind: bool = False, waiver: bool = False) -> str:
    """ "Geldzuwendung", "Mitgliedsbeitrag", "Sachzuwendung" or "Aufwandsspende"."""
    if in_kind:
        return str(_l("Sachzuwendung"))
    if waiver:
        return str(_l("Aufwandsspende"))
    return str(CONTRIBUTION_LABELS[kind])
