"""Restoring a backup into an empty database, then proving it came back whole.

Steps:
1. Read the manifest and check the archive: the format and its version, every member named by
   the manifest and nothing else, each member's SHA-256 (and row count), safe file names.
2. Check the target: the revision must be one this app knows; the database is either without
   tables (the migrations are run up to that revision) or at exactly that revision and empty
   (no rows besides the reference data the migrations insert); its tables and columns are the
   archive's. Files already in UPLOAD_DIR must not differ from the archive's under the same name.
   Until here nothing is written.
3. Write the missing files (atomically), then all rows in one transaction, parents first, in
   batches; the reference rows of the migrations are replaced by the archive's. On PostgreSQL
   every serial sequence is set past the largest id. If the rows fail, the new files go again.
4. Verify from the restored database: per table the row count and the SHA-256 of its canonical
   lines equal the manifest, the audit trail's hash chain is intact, and every receipt PDF and
   project document on disk has the SHA-256 its row records.
"""

import contextlib
import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from supportclub import audit
from supportclub.backup.archive import CHUNK, BackupError, file_sha256
from supportclub.backup.tables import (
    VERSION_TABLE,
    TableSpec,
    decode,
    iter_lines,
    revision_of,
    snapshot,
    table_specs,
)
from supportclub.backup.verify import known_revision, open_archive, refusal, verify_archive
from supportclub.i18n import _

# the tables the migrations fill with reference data (accounts, categories, the general fund,
# the member number sequence, the settings row, tax thresholds): a fresh database has rows
# there, and the archive's rows replace them
REFERENCE_TABLES = frozenset(
    {"account", "category", "fund", "number_sequence", "association_settings", "tax_threshold"}
)
INSERT_ROWS = 1000


@dataclass
class RestoreSummary:
    """What a restore wrote and what its check found."""

    revision: str
    source_dialect: str
    created_at: str
    tables: int = 0
    rows: int = 0
    files: int = 0
    migrated: bool = False
    problems: list[str] = field(default_factory=list)


def _check_columns(specs: list[TableSpec], manifest: dict) -> None:
    """The target's tables and columns are exactly the archive's."""
    target = {spec.name: sorted(spec.columns) for spec in specs}
    archived = {name: sorted(meta["columns"]) for name, meta in manifest["tables"].items()}
    if target != archived:
        differing = sorted(
            name for name in set(target) | set(archived) if target.get(name) != archived.get(name)
        )
        raise refusal(
            _(
                "Die Tabellen der Zieldatenbank passen nicht zur Sicherung (%(tables)s).",
                tables=", ".join(differing[:5]),
            )
        )


def check_target(engine: Engine, manifest: dict) -> bool:
    """Refuse a target not empty or not at the archive's revision; True if it has no tables."""
    revision = manifest["revision"]
    with engine.connect() as connection:
        if not sa.inspect(connection).get_table_names():
            return True
        current = revision_of(connection)
        if current != revision:
            raise refusal(
                _(
                    "Die Zieldatenbank ist auf dem Stand %(current)s, die Sicherung auf "
                    "%(revision)s. "
                    "Wiederherstellen geht in eine ganz leere Datenbank oder in eine, die mit "
                    "„flask db upgrade %(revision)s“ angelegt wurde.",
                    current=current or _("ohne Revision"),
                    revision=revision,
                )
            )
        specs = table_specs(connection)
        _check_columns(specs, manifest)
        filled = []
        for spec in specs:
            if spec.name in REFERENCE_TABLES or spec.name == VERSION_TABLE:
                continue
            count = connection.execute(sa.select(sa.func.count()).select_from(spec.table)).scalar()
            if count:
                filled.append(f"{spec.name}: {count}")
        if filled:
            raise refusal(
                _(
                    "Die Zieldatenbank ist nicht leer (%(tables)s). Wiederherstellen geht nur "
                    "in eine leere Datenbank.",
                    tables=", ".join(filled[:5]),
                )
            )
    return False


def plan_files(manifest: dict, base: Path) -> list[str]:
    """The archive's files still missing under `base`; refuse a different file of the same name."""
    missing, conflicts = [], []
    for relative, meta in manifest["files"].items():
        target = base / relative
        if target.is_file() and not target.is_symlink():
            if file_sha256(target) != meta["sha256"]:
                conflicts.append(relative)
        elif target.exists() or target.is_symlink():
            conflicts.append(relative)
        else:
            missing.append(relative)
    if conflicts:
        raise refusal(
            _(
                "Im Ablageordner %(folder)s liegen schon andere Dateien unter denselben Namen "
                "(%(files)s).",
                folder=base,
                files=", ".join(conflicts[:3]),
            )
        )
    return missing


def write_files(archive: zipfile.ZipFile, relatives: list[str], base: Path) -> list[Path]:
    """Write the files (temp file, fsync, rename, with their archived mode); the files written."""
    written: list[Path] = []
    try:
        for relative in relatives:
            target = base / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            info = archive.getinfo(f"files/{relative}")
            mode = (info.external_attr >> 16) & 0o777 or 0o600
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".restore-")
            try:
                with os.fdopen(fd, "wb") as out, archive.open(info) as source:
                    while chunk := source.read(CHUNK):
                        out.write(chunk)
                    out.flush()
                    os.fsync(out.fileno())
                os.chmod(tmp, mode)
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            written.append(target)
    except BaseException:
        remove_files(written)
        raise
    return written


def remove_files(paths: list[Path]) -> None:
    """Take back files this restore wrote."""
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


def _rows(archive: zipfile.ZipFile, spec: TableSpec) -> Iterator[list[dict]]:
    """The archived rows of a table as column values, in batches."""
    batch = []
    with archive.open(f"db/{spec.name}.jsonl") as member:
        for raw in member:
            row = json.loads(raw)
            if sorted(row) != sorted(spec.columns):
                raise BackupError(
                    _("Die Zeilen von %(table)s passen nicht zur Tabelle.", table=spec.name)
                )
            batch.append({name: decode(spec.kinds[name], row[name]) for name in spec.columns})
            if len(batch) >= INSERT_ROWS:
                yield batch
                batch = []
    if batch:
        yield batch


def reset_sequences(connection: Connection, specs: list[TableSpec]) -> None:
    """PostgreSQL: every serial sequence continues after the largest restored id."""
    quote = connection.dialect.identifier_preparer.quote
    for spec in specs:
        if len(spec.order_by) != 1:
            continue
        column = spec.order_by[0]
        sequence = connection.execute(
            sa.text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": quote(spec.name), "column": column},
        ).scalar()
        if sequence:
            connection.execute(
                sa.text(
                    f"SELECT setval(:sequence, COALESCE((SELECT MAX({quote(column)}) "
                    f"FROM {quote(spec.name)}), 0) + 1, false)"
                ),
                {"sequence": sequence},
            )


def load_tables(engine: Engine, archive: zipfile.ZipFile) -> int:
    """All archived rows into the target in one transaction; the number of rows."""
    total = 0
    with engine.begin() as connection:
        specs = table_specs(connection)
        for spec in reversed(specs):
            if spec.name in REFERENCE_TABLES:
                connection.execute(sa.delete(spec.table))
        for spec in specs:
            if spec.name == VERSION_TABLE:  # already there: the migrations wrote it
                continue
            for batch in _rows(archive, spec):
                connection.execute(sa.insert(spec.table), batch)
                total += len(batch)
        if connection.dialect.name == "postgresql":
            reset_sequences(connection, specs)
    return total


def chain_problems() -> list[str]:
    """The first break in the audit trail's hash chain (audit.verify_chain), if any."""
    report = audit.verify_chain()
    if report.ok:
        return []
    return [
        _(
            "Die Hash-Kette des Protokolls bricht bei Eintrag %(id)s (%(reason)s).",
            id=report.broken.id,
            reason=report.broken.reason,
        )
    ]


def file_problems(connection: Connection, base: Path) -> list[str]:
    """Receipt PDFs and project documents whose file is missing or differs from its row."""
    from supportclub.projects.documents import SUBFOLDER as DOCUMENTS
    from supportclub.receipts.storage import SUBFOLDER as RECEIPTS

    problems = []
    checks = [
        (
            RECEIPTS,
            "SELECT number, storage_key, pdf_sha256 FROM donation_receipt "
            "WHERE storage_key IS NOT NULL ORDER BY id",
        ),
        (DOCUMENTS, "SELECT id, storage_key, sha256 FROM project_document ORDER BY id"),
    ]
    for folder, query in checks:
        for label, key, sha in connection.execute(sa.text(query)):
            path = base / folder / key
            if not path.is_file() or file_sha256(path) != sha:
                problems.append(
                    _(
                        "Die Datei %(file)s (%(label)s) fehlt oder weicht ab.",
                        file=f"{folder}/{key}",
                        label=label,
                    )
                )
    return problems


def verify_restored(engine: Engine, manifest: dict, base: Path) -> tuple[int, list[str]]:
    """(rows, problems): the restored tables against the manifest, the chain, the files."""
    problems, rows = [], 0
    with snapshot(engine) as connection:
        for spec in table_specs(connection):
            digest, count = hashlib.sha256(), 0
            for line in iter_lines(connection, spec):
                digest.update(line)
                count += 1
            rows += count
            meta = manifest["tables"].get(spec.name, {})
            if count != meta.get("rows") or digest.hexdigest() != meta.get("sha256"):
                problems.append(
                    _(
                        "Tabelle %(table)s: %(count)s Zeilen, erwartet %(expected)s, oder die "
                        "Prüfsumme weicht ab.",
                        table=spec.name,
                        count=count,
                        expected=meta.get("rows"),
                    )
                )
        problems += file_problems(connection, base)
    problems += chain_problems()
    return rows, problems


def restore_backup(
    path: Path | str,
    *,
    engine: Engine,
    upload_dir: Path,
    migrations: str,
    migrate: Callable[[str], None],
) -> RestoreSummary:
    """Restore the archive at `path` into the empty database of `engine`, then verify it."""
    with open_archive(path) as (archive, manifest):
        verify_archive(archive, manifest)
        revision = manifest["revision"]
        if not known_revision(migrations, revision):
            raise refusal(
                _(
                    "Die Sicherung hat den Datenbankstand %(revision)s, den diese Version der App "
                    "nicht kennt (sie ist neuer). Bitte zuerst die App aktualisieren.",
                    revision=revision,
                )
            )
        needs_schema = check_target(engine, manifest)
        missing = plan_files(manifest, upload_dir)
        summary = RestoreSummary(
            revision=revision,
            source_dialect=str(manifest.get("dialect", "")),
            created_at=str(manifest.get("created_at", "")),
            tables=len(manifest["tables"]),
            files=len(manifest["files"]),
            migrated=needs_schema,
        )
        # from here on the restore writes
        if needs_schema:
            migrate(revision)
            if check_target(engine, manifest):
                raise BackupError(_("Die Migrationen haben kein Schema angelegt."))
        written = write_files(archive, missing, upload_dir)
        try:
            load_tables(engine, archive)
        except BaseException:
            remove_files(written)
            raise
    summary.rows, summary.problems = verify_restored(engine, manifest, upload_dir)
    return summary
