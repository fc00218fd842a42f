"""Writing a backup: one ZIP archive with the database content, the stored files and a manifest.

    manifest.json        format, format_version, the Alembic revision, created_at, the source
                         database, per table {rows, sha256, columns}, per file {bytes, sha256}
    db/<table>.jsonl     the table's rows as canonical JSON lines (backup.tables)
    files/<path>         the files under UPLOAD_DIR (receipt PDFs, project documents, signature)

Steps:
1. The archive is written to PATH.part, never to PATH itself.
2. All tables are read in one read-only snapshot transaction, streamed row by row, so the app
   keeps running and the archive shows the books as of one moment.
3. The files are copied after the snapshot: files are written once under random names before
   the rows that point at them are committed, so every file the snapshot refers to is there
   (a file that arrived later is an unreferenced extra, which does no harm).
4. The manifest goes in last; the file is flushed and fsynced, then renamed to PATH in one step.
   A process killed on the way leaves at most PATH.part, which the next run overwrites.
"""

import hashlib
import json
import os
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from supportclub.backup.tables import iter_lines, revision_of, snapshot, table_specs
from supportclub.clock import utcnow
from supportclub.errors import DomainError
from supportclub.i18n import _

FORMAT = "supportclub-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CHUNK = 1024 * 1024


class BackupError(DomainError):
    """A backup or restore that cannot go ahead; the message says why."""


@dataclass(frozen=True)
class BackupSummary:
    """What a finished backup holds."""

    path: Path
    revision: str
    tables: int
    rows: int
    files: int
    file_bytes: int
    sha256: str


def part_path(path: Path) -> Path:
    """Where the archive is written until it is complete."""
    return path.with_name(path.name + ".part")


def stored_files(base: Path) -> list[tuple[str, Path]]:
    """(relative path, file) of every finished file under `base`, sorted.

    Names starting with a dot are files still being written (temp files before their atomic
    rename) and are left out, as are links and anything that is not a regular file.
    """
    found = []
    if not base.is_dir():
        return found
    for folder, dirs, names in os.walk(base):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            full = Path(folder) / name
            if name.startswith(".") or full.is_symlink() or not full.is_file():
                continue
            found.append((full.relative_to(base).as_posix(), full))
    return found


def _write_tables(archive: zipfile.ZipFile, engine: Engine) -> tuple[str, str, dict]:
    """Every table into db/<table>.jsonl from one snapshot; (revision, dialect, tables)."""
    tables = {}
    with snapshot(engine) as connection:
        revision = revision_of(connection)
        if revision is None:
            raise BackupError(
                _("Die Datenbank hat noch kein Schema (keine Revision): es gibt nichts zu sichern.")
            )
        for spec in table_specs(connection):
            digest, rows = hashlib.sha256(), 0
            member = zipfile.ZipInfo(f"db/{spec.name}.jsonl", time.localtime()[:6])
            member.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(member, "w", force_zip64=True) as out:
                for line in iter_lines(connection, spec):
                    out.write(line)
                    digest.update(line)
                    rows += 1
            tables[spec.name] = {
                "rows": rows,
                "sha256": digest.hexdigest(),
                "columns": spec.columns,
            }
        return revision, connection.dialect.name, tables


def _write_files(archive: zipfile.ZipFile, base: Path) -> dict:
    """Every stored file into files/<path>; {path: {bytes, sha256}}."""
    files = {}
    for relative, full in stored_files(base):
        digest, size = hashlib.sha256(), 0
        # the member keeps the file's mode (receipt PDFs are read-only) and time
        info = zipfile.ZipInfo.from_file(full, f"files/{relative}")
        info.compress_type = zipfile.ZIP_DEFLATED
        with full.open("rb") as source, archive.open(info, "w", force_zip64=True) as out:
            while chunk := source.read(CHUNK):
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        files[relative] = {"bytes": size, "sha256": digest.hexdigest()}
    return files


def _fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (where the platform allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_backup(path: Path | str, *, engine: Engine, upload_dir: Path) -> BackupSummary:
    """Write a complete backup to `path` (via PATH.part and an atomic rename)."""
    path = Path(path)
    if path.is_dir():
        raise BackupError(_("%(path)s ist ein Ordner; bitte einen Dateinamen angeben.", path=path))
    if not path.parent.is_dir():
        raise BackupError(_("Den Ordner %(folder)s gibt es nicht.", folder=path.parent))
    part = part_path(path)
    created_at = utcnow()
    try:
        with part.open("wb") as raw:
            with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
                revision, dialect, tables = _write_tables(archive, engine)
                files = _write_files(archive, upload_dir)
                manifest = {
                    "format": FORMAT,
                    "format_version": FORMAT_VERSION,
                    "revision": revision,
                    "created_at": created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                    "dialect": dialect,
                    "tables": tables,
                    "files": files,
                }
                archive.writestr(
                    MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
                )
            raw.flush()
            os.fsync(raw.fileno())
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    os.replace(part, path)
    _fsync_folder(path.parent)
    return BackupSummary(
        path=path,
        revision=revision,
        tables=len(tables),
        rows=sum(t["rows"] for t in tables.values()),
        files=len(files),
        file_bytes=sum(f["bytes"] for f in files.values()),
        sha256=file_sha256(path),
    )


def file_sha256(path: Path) -> str:
    """The SHA-256 of a whole file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
