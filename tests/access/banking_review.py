"""Access rules of the bank review queue: admin and treasurer read the queue and a line; only the
treasurer confirms, recomputes and corrects; the board and members see none of it."""

VIEWERS = ("admin", "treasurer")
TREASURER = ("treasurer",)
LINE = "/bank/umsaetze/{bank_line_id}"

ROUTES = {
    "banking.review": ("GET", "/bank/pruefen", VIEWERS),
    "banking.review_confirm": ("POST", "/bank/pruefen/bestaetigen", TREASURER),
    "banking.review_rematch": ("POST", "/bank/pruefen/neu-zuordnen", TREASURER),
    "banking.line_detail": ("GET", LINE, VIEWERS),
    "banking.line_assign": ("POST", LINE + "/zuordnen", TREASURER),
}


def context(users) -> dict:
    """One open statement line without a suggestion."""
    from supportclub.extensions import db
    from tests.banking.line_factory import make_line

    line = make_line(1234, purpose="Zugriffstest")
    db.session.commit()
    return {"bank_line_id": line.id}
