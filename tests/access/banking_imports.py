"""Access rules of the bank statement import: admin and treasurer see the imports, only the
treasurer uploads and discards; the board and members see none of it."""

VIEWERS = ("admin", "treasurer")
TREASURER = ("treasurer",)
IMPORT = "/bank/importe/{bank_import_id}"

ROUTES = {
    "banking.imports": ("GET", "/bank/importe", VIEWERS),
    "banking.import_upload": ("POST", "/bank/importe", TREASURER),
    "banking.import_detail": ("GET", IMPORT, VIEWERS),
    "banking.import_discard": ("POST", IMPORT + "/verwerfen", TREASURER),
}


def context(users) -> dict:
    """An import of a one-line camt.053 statement (the bank account's IBAN set for it)."""
    from supportclub.admin.services import set_bank_iban
    from supportclub.banking.camt_writer import ASSOCIATION_IBAN, camt053
    from supportclub.banking.imports import import_file
    from supportclub.extensions import db

    set_bank_iban(ASSOCIATION_IBAN, actor=None)
    bank_import = import_file(
        camt053([{"amount_cents": 2500, "name": "Erika Muster", "ref": "ACCESS-1"}]),
        "access.xml",
        actor=users["treasurer"],
    )
    db.session.commit()
    return {"bank_import_id": bank_import.id}
