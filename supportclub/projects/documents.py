"""Project documents: uploads checked by their content, stored outside static/, served verified.

A file is accepted only when its content is a PDF (without JavaScript), PNG, JPEG or WebP
(checked by supportclub.uploads; the name and the browser's content type are ignored). It is
written atomically (temp file + rename) under a random storage key in `<UPLOAD_DIR>/projects/`;
its SHA-256 and size are kept in the database, and serving it checks the hash again, so a file
changed on disk is never handed out. Documents are evidence: there is no deletion.
"""

import contextlib
import hashlib
import os
import re
import secrets
import tempfile
import unicodedata
from pathlib import Path

from flask import current_app

from supportclub import audit, uploads
from supportclub.errors import DomainError, ValidationError
from supportclub.extensions import db
from supportclub.i18n import N_, _
from supportclub.projects.models import DocumentKind, Project, ProjectDocument

SUBFOLDER = "projects"
MAX_NAME_CHARS = 120
STORAGE_KEY = re.compile(r"^[0-9a-f]{32}$")
ALLOWED_MESSAGE = N_("Nur PDF- oder Bilddateien (PNG, JPEG, WebP) sind erlaubt.")


# The kinds a project document may be (PDFs are downloaded, images shown inline).
FileType = uploads.Kind
PDF, PNG, JPEG, WEBP = uploads.PDF, uploads.PNG, uploads.JPEG, uploads.WEBP
ACCEPTED = (PDF, PNG, JPEG, WEBP)
TYPES = {t.content_type: t for t in ACCEPTED}


class DocumentMissing(DomainError):
    """The stored file of a document is not there."""


class DocumentTampered(DomainError):
    """The stored file no longer matches the hash recorded at upload."""


def detect_type(data: bytes) -> FileType | None:
    """The type the file's content announces (PDF, PNG, JPEG, WebP), else None."""
    kind = uploads.sniff(data)
    return kind if kind in ACCEPTED else None


def sanitise_filename(name: str | None, file_type: FileType) -> str:
    """A display name without path parts or control characters, with the detected extension."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(
        " " if unicodedata.category(ch) in ("Zl", "Zp") else ch
        for ch in name
        if not unicodedata.category(ch).startswith("C")
    )
    name = re.sub(r"\s+", " ", name).strip().lstrip(".").strip()
    stem, dot, ext = name.rpartition(".")
    if dot and 0 < len(ext) <= 5 and " " not in ext:  # the claimed extension goes
        name = stem
    name = name.rstrip(". ")
    limit = MAX_NAME_CHARS - len(file_type.extension)
    name = name[:limit].rstrip(". ") or _("Dokument")
    return name + file_type.extension


def format_size(size_bytes: int) -> str:
    """A file size as people read it: "830 Bytes", "12,4 KB", "3,1 MB"."""
    if size_bytes < 1024:
        return f"{size_bytes} Bytes"
    for unit, factor in (("KB", 1024), ("MB", 1024 * 1024)):
        if size_bytes < factor * 1024 or unit == "MB":
            tenths = (size_bytes * 10 + factor // 2) // factor
            return f"{tenths // 10},{tenths % 10} {unit}"
    return f"{size_bytes} Bytes"  # pragma: no cover


def upload_root() -> Path:
    """The folder the project documents live in (created on first use)."""
    base = current_app.config.get("UPLOAD_DIR") or os.path.join(
        current_app.instance_path, "uploads"
    )
    folder = Path(base) / SUBFOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _path_for(storage_key: str) -> Path:
    """The file of a storage key, refusing anything that is not one of our random keys."""
    if not STORAGE_KEY.fullmatch(storage_key or ""):
        raise DocumentMissing(_("Die Datei zu diesem Dokument fehlt."))
    return upload_root() / storage_key


def _write_atomically(folder: Path, storage_key: str, data: bytes) -> Path:
    """Write `data` to a temp file in `folder`, then rename it to its key (all or nothing)."""
    target = folder / storage_key
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def check_upload(data: bytes | None) -> FileType:
    """Refuse an empty, too large, not allowed or scripted file; return its detected type."""
    return uploads.check_upload(
        data,
        ACCEPTED,
        max_bytes=current_app.config["DOCUMENT_MAX_BYTES"],
        hint=_(ALLOWED_MESSAGE),
        refuse_pdf_scripts=True,
    )


def store_document(
    project: Project, *, data: bytes, filename: str | None, kind: DocumentKind | str, actor
) -> ProjectDocument:
    """Check and store an uploaded file for a project; the file is removed if the row fails."""
    try:
        kind = DocumentKind(kind)
    except ValueError:
        raise ValidationError(_("Bitte die Art des Dokuments wählen."), field="kind") from None
    file_type = check_upload(data)
    name = sanitise_filename(filename, file_type)
    storage_key = secrets.token_hex(16)
    path = _write_atomically(upload_root(), storage_key, data)
    try:
        document = ProjectDocument(
            project_id=project.id,
            kind=kind,
            filename=name,
            storage_key=storage_key,
            content_type=file_type.content_type,
            size_bytes=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            uploaded_by_id=getattr(actor, "id", None),
        )
        db.session.add(document)
        db.session.flush()
        audit.record(
            actor,
            "projects.document_uploaded",
            project,
            {
                "document_id": document.id,
                "filename": name,
                "kind": kind,
                "size_bytes": document.size_bytes,
                "sha256": document.sha256,
            },
        )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return document


def discard_file(storage_key: str) -> None:
    """Remove a stored file whose database row was not committed."""
    with contextlib.suppress(DomainError):
        _path_for(storage_key).unlink(missing_ok=True)


def read_verified(document: ProjectDocument) -> tuple[bytes, FileType]:
    """The document's bytes, after checking they still match the recorded SHA-256."""
    path = _path_for(document.storage_key)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DocumentMissing(_("Die Datei zu diesem Dokument fehlt.")) from None
    if hashlib.sha256(data).hexdigest() != document.sha256 or len(data) != document.size_bytes:
        raise DocumentTampered(
            _(
                "Die gespeicherte Datei stimmt nicht mehr mit der hochgeladenen überein "
                "(Prüfsumme falsch). Sie wird deshalb nicht ausgeliefert."
            )
        )
    file_type = TYPES.get(document.content_type) or detect_type(data)
    if file_type is None or detect_type(data) != file_type:
        raise DocumentTampered(_(ALLOWED_MESSAGE))
    return data, file_type
