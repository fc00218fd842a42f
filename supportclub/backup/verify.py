"""Checking an archive before anything is restored from it: its format, its members, their
checksums, safe names, and a revision this app knows."""

import contextlib
import hashlib
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from supportclub.backup.archive import CHUNK, FORMAT, FORMAT_VERSION, MANIFEST, BackupError
from supportclub.i18n import N_, _

TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
DAMAGED = N_(
    "Die Sicherung ist beschädigt oder wurde verändert (%(name)s stimmt nicht mit dem "
    "Manifest überein). Es wurde nichts wiederhergestellt."
)


def refusal(message: str) -> BackupError:
    """A refusal before anything was written."""
    return BackupError(message + " " + _("Es wurde nichts wiederhergestellt."))


@contextlib.contextmanager
def open_archive(path: Path | str) -> Iterator[tuple[zipfile.ZipFile, dict]]:
    """The opened archive and its manifest, after the format checks."""
    path = Path(path)
    if not path.is_file():
        raise refusal(_("Die Datei %(path)s gibt es nicht.", path=path))
    if not zipfile.is_zipfile(path):
        raise refusal(_("%(path)s ist kein Sicherungsarchiv (keine ZIP-Datei).", path=path))
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise refusal(_("%(path)s ist kein lesbares Sicherungsarchiv.", path=path)) from None
    with archive:
        yield archive, _manifest(archive, path)


def _manifest(archive: zipfile.ZipFile, path: Path) -> dict:
    """The checked manifest of the archive."""
    not_ours = refusal(_("%(path)s ist keine Sicherung von supportclub.", path=path))
    try:
        manifest = json.loads(archive.read(MANIFEST).decode("utf-8"))
    except (KeyError, ValueError, zipfile.BadZipFile):
        raise not_ours from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise not_ours
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise refusal(
            _(
                "Die Sicherung hat das Format Version %(version)s; diese Version der App liest "
                "nur Version %(supported)s.",
                version=version,
                supported=FORMAT_VERSION,
            )
        )
    tables, files = manifest.get("tables"), manifest.get("files")
    if (
        not isinstance(manifest.get("revision"), str)
        or not isinstance(tables, dict)
        or not isinstance(files, dict)
        or not all(
            isinstance(t, dict) and isinstance(t.get("columns"), list) for t in tables.values()
        )
        or not all(isinstance(f, dict) for f in files.values())
    ):
        raise not_ours
    return manifest


def safe_relative(name: str) -> bool:
    """True for a plain relative file path (no absolute path, no .., no hidden parts)."""
    if not name or "\\" in name or "\x00" in name:
        return False
    parts = PurePosixPath(name).parts
    return not PurePosixPath(name).is_absolute() and all(
        part not in ("", ".", "..") and not part.startswith(".") for part in parts
    )


def _member_digest(archive: zipfile.ZipFile, name: str) -> tuple[str, int, int]:
    """(sha256, bytes, lines) of one archive member, streamed."""
    digest, size, lines = hashlib.sha256(), 0, 0
    try:
        with archive.open(name) as member:
            while chunk := member.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                lines += chunk.count(b"\n")
    except (zipfile.BadZipFile, OSError, EOFError):  # a CRC error is tampering too
        raise BackupError(_(DAMAGED, name=name)) from None
    return digest.hexdigest(), size, lines


def verify_archive(archive: zipfile.ZipFile, manifest: dict) -> None:
    """Every member the manifest names is there, nothing else, and each has its checksum."""
    names = archive.namelist()
    if len(names) != len(set(names)):
        raise refusal(_("Das Archiv enthält Dateien doppelt."))
    for table in manifest["tables"]:
        if not TABLE_NAME.fullmatch(table):
            raise refusal(_("Das Archiv nennt eine ungültige Tabelle „%(name)s“.", name=table))
    for relative in manifest["files"]:
        if not safe_relative(relative):
            raise refusal(
                _("Das Archiv enthält einen unzulässigen Dateinamen „%(name)s“.", name=relative)
            )
    expected = {MANIFEST}
    expected |= {f"db/{table}.jsonl" for table in manifest["tables"]}
    expected |= {f"files/{relative}" for relative in manifest["files"]}
    for name in sorted(expected - set(names)):
        raise refusal(_("Im Archiv fehlt %(name)s.", name=name))
    for name in sorted(set(names) - expected):
        raise refusal(_("Das Archiv enthält eine unerwartete Datei %(name)s.", name=name))
    for table, meta in manifest["tables"].items():
        name = f"db/{table}.jsonl"
        sha, _size, lines = _member_digest(archive, name)
        if sha != meta.get("sha256") or lines != meta.get("rows"):
            raise BackupError(_(DAMAGED, name=name))
    for relative, meta in manifest["files"].items():
        name = f"files/{relative}"
        sha, size, _lines = _member_digest(archive, name)
        if sha != meta.get("sha256") or size != meta.get("bytes"):
            raise BackupError(_(DAMAGED, name=name))


def known_revision(directory: str, revision: str) -> bool:
    """True when the app's migrations know `revision`."""
    from alembic.script import ScriptDirectory

    try:
        return ScriptDirectory(directory).get_revision(revision) is not None
    except Exception:  # noqa: BLE001 - alembic raises several kinds for an unknown revision
        return False
