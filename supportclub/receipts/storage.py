"""Where receipt PDFs live: `<UPLOAD_DIR>/receipts/<key>`, written once, read back verified.

The writing half takes the folder as an argument and needs no Flask app, so worker processes
that render receipts in parallel can store their PDFs themselves (`write_pdf`). Files are
written atomically (temp file, fsync, rename) under a random key and made read-only; the
database keeps the key, the SHA-256 and the size, and `read_pdf` refuses a file that no longer
matches.
"""

import contextlib
import hashlib
import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from supportclub.errors import DomainError
from supportclub.i18n import _

SUBFOLDER = "receipts"
STORAGE_KEY = re.compile(r"^[0-9a-f]{32}$")


class ReceiptFileMissing(DomainError):
    """The stored PDF of a receipt is not there."""


class ReceiptFileTampered(DomainError):
    """The stored PDF no longer matches the SHA-256 recorded at issue."""


@dataclass(frozen=True)
class StoredPdf:
    """What the database keeps about a stored PDF."""

    storage_key: str
    sha256: str
    size: int


def receipt_folder() -> Path:
    """The folder of the receipt PDFs of the current app (created on first use)."""
    base = current_app.config.get("UPLOAD_DIR") or os.path.join(
        current_app.instance_path, "uploads"
    )
    folder = Path(base) / SUBFOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_pdf(folder: Path | str, data: bytes) -> StoredPdf:
    """Store `data` under a new random key in `folder` (atomic, read-only); no app needed."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(16)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".receipt-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o444)
        os.replace(tmp, folder / key)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return StoredPdf(key, hashlib.sha256(data).hexdigest(), len(data))


def path_for(storage_key: str | None, folder: Path | None = None) -> Path:
    """The file of a storage key, refusing anything that is not one of our random keys."""
    if not STORAGE_KEY.fullmatch(storage_key or ""):
        raise ReceiptFileMissing(_("Das PDF dieser Zuwendungsbestätigung fehlt."))
    return (folder or receipt_folder()) / storage_key


def read_pdf(receipt) -> bytes:
    """The stored PDF of `receipt`, checked against its SHA-256."""
    path = path_for(receipt.storage_key)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ReceiptFileMissing(
            _("Das PDF der Zuwendungsbestätigung %(number)s fehlt.", number=receipt.number)
        ) from None
    if hashlib.sha256(data).hexdigest() != receipt.pdf_sha256:
        raise ReceiptFileTampered(
            _(
                "Das gespeicherte PDF der Zuwendungsbestätigung %(number)s wurde verändert und "
                "wird nicht ausgegeben.",
                number=receipt.number,
            )
        )
    return data


def discard(storage_key: str, folder: Path | None = None) -> None:
    """Remove a file whose receipt was never saved (a failed transaction)."""
    with contextlib.suppress(ReceiptFileMissing):
        path_for(storage_key, folder).unlink(missing_ok=True)
