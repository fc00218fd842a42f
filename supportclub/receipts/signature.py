"""The facsimile signature printed on machine-made receipts: one PNG or JPEG image.

Stored like receipt PDFs (random key, read-only file under `<UPLOAD_DIR>/signature/`), its key
in the settings. Only images up to 1 MB, recognised by their content (supportclub.uploads), are
accepted.
"""

import contextlib
from pathlib import Path

from flask import current_app

from supportclub import audit, uploads
from supportclub.admin.services import get_settings
from supportclub.errors import ValidationError
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.receipts.storage import STORAGE_KEY, write_pdf

MAX_BYTES = 1024 * 1024


def signature_folder() -> Path:
    """The folder of the signature image."""
    base = current_app.config.get("UPLOAD_DIR") or str(Path(current_app.instance_path) / "uploads")
    folder = Path(base) / "signature"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def is_signature_image(data: bytes) -> bool:
    """True for PNG or JPEG content."""
    return uploads.sniff(data) in (uploads.PNG, uploads.JPEG)


def store_signature(data: bytes | None, *, actor) -> str:
    """Keep a new facsimile signature image; the settings point at it from now on."""
    if data is None:
        raise ValidationError(_("Bitte eine Bilddatei der Unterschrift wählen."), field="file")
    if len(data) > MAX_BYTES:
        raise ValidationError(
            _("Das Bild der Unterschrift darf höchstens 1 MB groß sein."), field="file"
        )
    uploads.check_upload(
        data,
        (uploads.PNG, uploads.JPEG),
        max_bytes=MAX_BYTES,
        hint=_("Die Unterschrift muss ein PNG- oder JPEG-Bild sein."),
    )
    stored = write_pdf(signature_folder(), data)
    settings = get_settings()
    before = settings.facsimile_key
    settings.facsimile_key = stored.storage_key
    db.session.flush()
    audit.record(
        actor,
        "settings.signature_changed",
        settings,
        {"before": before, "after": stored.storage_key, "sha256": stored.sha256},
    )
    return stored.storage_key


def remove_signature(*, actor) -> None:
    """Stop printing a facsimile signature (the image file stays for the record)."""
    settings = get_settings()
    if settings.facsimile_key is None:
        return
    before = settings.facsimile_key
    settings.facsimile_key = None
    db.session.flush()
    audit.record(actor, "settings.signature_removed", settings, {"before": before})


def read_signature(key: str | None) -> bytes | None:
    """The signature image stored under `key`, or None when there is none."""
    if not key or not STORAGE_KEY.fullmatch(key):
        return None
    with contextlib.suppress(FileNotFoundError):
        return (signature_folder() / key).read_bytes()
    return None
