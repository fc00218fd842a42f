"""Access rules of the receipt pages: the treasurer issues, revokes, replaces and prints
duplicates; admin and board read the list, the receipts, their PDFs and the reconciliation;
admin and treasurer change the receipt settings; a member downloads only their own receipts."""

from tests.access import ALL, READERS

TREASURER = ("treasurer",)

ROUTES = {
    "receipts.index": ("GET", "/zuwendungsbestaetigungen", READERS),
    "receipts.detail": ("GET", "/zuwendungsbestaetigungen/{receipt_id}", READERS),
    "receipts.pdf": ("GET", "/zuwendungsbestaetigungen/{receipt_id}.pdf", READERS),
    "receipts.duplicate": (
        "GET",
        "/zuwendungsbestaetigungen/{receipt_id}/duplikat.pdf",
        TREASURER,
    ),
    "receipts.issue_single": ("POST", "/zuwendungsbestaetigungen/einzeln", TREASURER),
    "receipts.issue_collective": ("POST", "/zuwendungsbestaetigungen/sammel", TREASURER),
    "receipts.revoke": ("GET", "/zuwendungsbestaetigungen/{receipt_id}/stornieren", TREASURER),
    "receipts.replace": ("POST", "/zuwendungsbestaetigungen/{receipt_id}/ersetzen", TREASURER),
    "receipts.reconciliation": ("GET", "/zuwendungsbestaetigungen/abgleich?jahr=2025", READERS),
    "admin.receipt_settings": (
        "GET",
        "/verwaltung/einstellungen/zuwendungsbestaetigungen",
        ("admin", "treasurer"),
    ),
    # every role passes the decorator (staff without a person see a friendly page) ...
    "portal.receipts": ("GET", "/mein-konto/zuwendungsbestaetigungen", ALL),
    # ... but only the member whose receipt it is gets the PDF; everyone else 403
    "portal.receipt_pdf": (
        "GET",
        "/mein-konto/zuwendungsbestaetigungen/{receipt_id}.pdf",
        ("member",),
    ),
}


def context(users) -> dict:
    """A stored receipt of the member user's own person."""
    from supportclub.extensions import db
    from supportclub.receipts.services import issue_single
    from tests.factories import donation_line, make_contribution, make_person, make_receipt_settings

    make_receipt_settings()
    own = make_person()
    users["member"].person_id = own.id
    receipt = issue_single(donation_line(make_contribution(own, 5000)).id, actor=None)
    db.session.commit()
    return {"receipt_id": receipt.id}
