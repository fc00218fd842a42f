"""Access rules of the year's receipt batch: the treasurer starts it; admin and board read the
preview, the progress and the print file; members see none of it."""

from tests.access import READERS

TREASURER = ("treasurer",)

ROUTES = {
    "receipts.batch_preview": ("GET", "/zuwendungsbestaetigungen/jahreslauf", READERS),
    "receipts.batch_start": ("POST", "/zuwendungsbestaetigungen/jahreslauf", TREASURER),
    "receipts.batch_progress": (
        "GET",
        "/zuwendungsbestaetigungen/jahreslauf/{receipt_batch_id}",
        READERS,
    ),
    "receipts.batch_status": (
        "GET",
        "/zuwendungsbestaetigungen/jahreslauf/{receipt_batch_id}.json",
        READERS,
    ),
    "receipts.batch_print": (
        "GET",
        "/zuwendungsbestaetigungen/jahreslauf/{receipt_batch_id}/druck.pdf",
        READERS,
    ),
}


def context(users) -> dict:
    """A finished 2024 batch with a stored print file."""
    from supportclub.extensions import db
    from supportclub.receipts import storage
    from supportclub.receipts.models import BatchStatus, ReceiptBatch

    stored = storage.write_pdf(storage.receipt_folder(), b"%PDF-1.4 Druckdatei")
    batch = ReceiptBatch(
        year=2024,
        status=BatchStatus.DONE,
        total=0,
        done=0,
        print_storage_key=stored.storage_key,
    )
    db.session.add(batch)
    db.session.commit()
    return {"receipt_batch_id": batch.id}
