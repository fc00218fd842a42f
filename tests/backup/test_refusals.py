"""What backup and restore refuse: a clear German message, exit code 1, nothing written."""

import hashlib
import json
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from supportclub.backup.restore import REFERENCE_TABLES
from supportclub.extensions import db
from tests.backup.helpers import site, table_hashes


def _rewrite(archive: Path, target: Path, change) -> Path:
    """A copy of `archive` where change(name, data) -> data (or None to drop) edits members."""
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(target, "w") as out:
        for info in source.infolist():
            data = change(info.filename, source.read(info))
            if data is not None:
                out.writestr(info, data)
    return target


def _edit_manifest(edit):
    """A change that rewrites manifest.json through edit(manifest)."""

    def change(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        edit(manifest)
        return json.dumps(manifest).encode()

    return change


def _no_tables(target) -> bool:
    """The target database is still without a single table."""
    with target.app.app_context():
        return sa.inspect(db.engine).get_table_names() == []


def _refused(target, path, *phrases) -> None:
    """`flask restore path` failed with exit code 1 and said each phrase; nothing written."""
    result = target.run("restore", str(path))
    assert result.exit_code == 1, result.output
    for phrase in phrases:
        assert phrase in result.output
    assert "Es wurde nichts wiederhergestellt." in result.output
    assert list(target.upload_dir.iterdir()) == []


@pytest.fixture
def target(tmp_path):
    """An empty SQLite database (no tables) with an empty upload folder."""
    with site("sqlite", tmp_path, "target") as made:
        yield made


def _booking_line_member(name, data):
    """Change one amount in the bookings' table (a tampered archive)."""
    if name == "db/booking.jsonl":
        return data.replace(b'"amount_cents":12345', b'"amount_cents":12346', 1)
    return data


@pytest.mark.parametrize(
    ("change", "phrase"),
    [
        (_booking_line_member, "db/booking.jsonl stimmt nicht mit dem Manifest überein"),
        (
            lambda name, data: data[:-1] + b"X" if name.startswith("files/receipts/") else data,
            "stimmt nicht mit dem Manifest überein",
        ),
        (
            lambda name, data: None if name == "db/audit_entry.jsonl" else data,
            "Im Archiv fehlt db/audit_entry.jsonl",
        ),
        (_edit_manifest(lambda m: m.update(format_version=2)), "Format Version 2"),
        (_edit_manifest(lambda m: m.update(format="other")), "keine Sicherung von supportclub"),
        (
            _edit_manifest(lambda m: m.update(revision="0042_future")),
            "den diese Version der App nicht kennt",
        ),
        (
            _edit_manifest(
                lambda m: m["files"].update({"../../etc/evil": {"bytes": 1, "sha256": "0"}})
            ),
            "unzulässigen Dateinamen",
        ),
    ],
    ids=[
        "tampered-row",
        "tampered-pdf",
        "missing-table",
        "format-version",
        "not-ours",
        "newer",
        "path-escape",
    ],
)
def test_a_damaged_or_foreign_archive_is_refused(sources, target, tmp_path, change, phrase):
    bad = _rewrite(sources("sqlite").archive, tmp_path / "bad.zip", change)
    _refused(target, bad, phrase)
    assert _no_tables(target)


def test_missing_path_and_a_file_that_is_no_archive(target, tmp_path):
    _refused(target, tmp_path / "gibt-es-nicht.zip", "gibt es nicht")
    text = tmp_path / "notiz.zip"
    text.write_text("keine Sicherung", encoding="utf-8")
    _refused(target, text, "kein Sicherungsarchiv")
    assert _no_tables(target)


def test_a_database_with_data_is_refused_and_unchanged(sources, templates, tmp_path):
    from tests.factories import make_person

    with site("sqlite", tmp_path, "used", template=templates("sqlite")) as used:
        with used.app.app_context():
            make_person(last_name="Bestand")
            db.session.remove()
        before = table_hashes(used.app)
        _refused(used, sources("sqlite").archive, "Die Zieldatenbank ist nicht leer", "person: 1")
        assert table_hashes(used.app) == before


def test_a_database_at_another_revision_is_refused(sources, tmp_path):
    with site("sqlite", tmp_path, "older") as older:
        with older.app.app_context():
            upgrade(revision="0008_session_epoch")
        before = table_hashes(older.app)
        _refused(older, sources("sqlite").archive, "0008_session_epoch", "0009_trust")
        assert table_hashes(older.app) == before


def test_different_files_of_the_same_name_in_the_upload_folder_are_refused(sources, target):
    manifest = json.loads(zipfile.ZipFile(sources("sqlite").archive).read("manifest.json"))
    receipt = next(name for name in manifest["files"] if name.startswith("receipts/"))
    clash = target.upload_dir / receipt
    clash.parent.mkdir(parents=True)
    clash.write_bytes(b"%PDF-1.4 ein anderes PDF")
    result = target.run("restore", str(sources("sqlite").archive))
    assert result.exit_code == 1
    assert "liegen schon andere Dateien unter denselben Namen" in result.output
    assert clash.read_bytes() == b"%PDF-1.4 ein anderes PDF"
    assert [p.name for p in target.upload_dir.rglob("*") if p.is_file()] == [clash.name]
    assert _no_tables(target)


def test_a_freshly_migrated_database_counts_as_empty(sources, templates, tmp_path):
    with site("sqlite", tmp_path, "migrated", template=templates("sqlite")) as migrated:
        result = migrated.run("restore", str(sources("sqlite").archive))
        assert result.exit_code == 0, result.output
        assert "Prüfung: OK" in result.output
        hashes = table_hashes(migrated.app)
    for table in REFERENCE_TABLES:  # the migrations' rows were replaced by the archive's
        assert hashes[table] == sources("sqlite").hashes[table]


def test_the_reference_tables_are_exactly_what_the_migrations_fill(templates):
    engine = sa.create_engine(f"sqlite:///{templates('sqlite')}")
    with engine.connect() as connection:
        filled = {
            table.name
            for table in db.metadata.sorted_tables
            if connection.execute(sa.select(sa.func.count()).select_from(table)).scalar()
        }
    engine.dispose()
    assert filled == REFERENCE_TABLES


def test_backup_does_not_overwrite_an_existing_file_unless_asked(sources, tmp_path):
    source = sources("sqlite").site
    path = tmp_path / "vorhanden.zip"
    path.write_bytes(b"alt")
    result = source.run("backup", str(path))
    assert result.exit_code == 1
    assert "liegt schon eine Datei" in result.output
    assert path.read_bytes() == b"alt"
    result = source.run("backup", str(path), "--overwrite")
    assert result.exit_code == 0, result.output
    assert zipfile.is_zipfile(path)
    assert not path.with_name("vorhanden.zip.part").exists()


def test_backup_of_a_database_without_schema_or_into_a_missing_folder(target, tmp_path):
    result = target.run("backup", str(tmp_path / "leer.zip"))
    assert result.exit_code == 1
    assert "noch kein Schema" in result.output
    assert not (tmp_path / "leer.zip").exists()
    assert not (tmp_path / "leer.zip.part").exists()
    result = target.run("backup", str(tmp_path / "fehlt" / "x.zip"))
    assert result.exit_code == 1
    assert "Den Ordner" in result.output


def _forge(archive: Path, target: Path, member: str, edit) -> Path:
    """A forgery: `member` edited and the manifest's checksum recomputed to match."""
    with zipfile.ZipFile(archive) as source:
        manifest = json.loads(source.read("manifest.json"))
        data = edit(source.read(member))
        entry = manifest["tables" if member.startswith("db/") else "files"][
            member.removeprefix("db/").removesuffix(".jsonl")
            if member.startswith("db/")
            else member.removeprefix("files/")
        ]
        entry["sha256"] = hashlib.sha256(data).hexdigest()
        if "bytes" in entry:
            entry["bytes"] = len(data)
        changed = {member: data, "manifest.json": json.dumps(manifest).encode()}
        return _rewrite(archive, target, lambda name, old: changed.get(name, old))


def _edit_first_audit_entry(data: bytes) -> bytes:
    """Another action written into the first audit entry (its hash left as it was)."""
    first, rest = data.split(b"\n", 1)
    row = json.loads(first)
    row["action"] = "persons.viewed"
    return json.dumps(row, sort_keys=True, separators=(",", ":")).encode() + b"\n" + rest


def test_the_check_after_restore_finds_a_forged_audit_trail(sources, target, tmp_path):
    forged = _forge(
        sources("sqlite").archive,
        tmp_path / "f.zip",
        "db/audit_entry.jsonl",
        _edit_first_audit_entry,
    )
    result = target.run("restore", str(forged))
    assert result.exit_code == 1
    assert "Die Hash-Kette des Protokolls bricht bei Eintrag 1 (Inhalt verändert)" in result.output
    assert "Prüfung: FEHLER" in result.output
    assert "Prüfung: OK" not in result.output


def test_the_check_after_restore_finds_a_swapped_receipt_pdf(sources, target, tmp_path):
    manifest = json.loads(zipfile.ZipFile(sources("sqlite").archive).read("manifest.json"))
    receipt = next(name for name in manifest["files"] if name.startswith("receipts/"))
    forged = _forge(
        sources("sqlite").archive,
        tmp_path / "f.zip",
        f"files/{receipt}",
        lambda data: data.replace(b"%PDF", b"%PDF\n% anders", 1),
    )
    result = target.run("restore", str(forged))
    assert result.exit_code == 1
    assert f"Die Datei {receipt}" in result.output and "fehlt oder weicht ab" in result.output
    assert "Prüfung: FEHLER" in result.output
