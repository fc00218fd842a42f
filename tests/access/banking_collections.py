"""Access rules of the direct-debit pages: admin and treasurer read collections and download
files; only the treasurer creates, notifies and cancels. Admin and treasurer change the
direct-debit settings. Board and members see none of it."""

VIEWERS = ("admin", "treasurer")
TREASURER = ("treasurer",)
COLLECTION = "/lastschriften/{debit_collection_id}"

ROUTES = {
    "banking.collections": ("GET", "/lastschriften", VIEWERS),
    "banking.collection_new": ("GET", "/lastschriften/neu", TREASURER),
    "banking.collection_create": ("POST", "/lastschriften/erstellen", TREASURER),
    "banking.collection_detail": ("GET", COLLECTION, VIEWERS),
    "banking.collection_download": ("GET", COLLECTION + "/datei", VIEWERS),
    "banking.collection_notify": ("POST", COLLECTION + "/vorabankuendigung", TREASURER),
    "banking.collection_cancel": ("POST", COLLECTION + "/stornieren", TREASURER),
    "banking.settings": ("GET", "/verwaltung/einstellungen/lastschrift", VIEWERS),
}


def context(users) -> dict:
    """A stored collection without debits (made in the database, far in the future)."""
    from datetime import date

    from supportclub.banking.models import DebitCollection
    from supportclub.extensions import db

    collection = DebitCollection(
        message_id="SC-ACCESS-MATRIX",
        collection_date=date(2099, 1, 5),
        schema="pain.008.001.08",
        count=1,
        total_cents=3600,
        creditor_id="DE98ZZZ09999999999",
        creditor_iban="DE89370400440532013000",
        prenotification_days=14,
        file_xml=b'<?xml version="1.0" encoding="UTF-8"?>\n<Document/>',
        file_sha256="0" * 64,
    )
    db.session.add(collection)
    db.session.commit()
    return {"debit_collection_id": collection.id}
