"""Backup and restore across SQLite and PostgreSQL: everything comes back, and the app goes on."""

import json
import zipfile

import pytest
from sqlalchemy import func, select

from supportclub.audit import AuditEntry
from supportclub.extensions import db
from tests.backup.helpers import facts, site, table_hashes

# the target: a database without tables (the restore runs the migrations) or one made by
# `flask db upgrade` (a copy of a migrated template)
PAIRS = [
    ("sqlite", "sqlite", "migrated"),
    ("sqlite", "postgresql", "no tables"),
    ("postgresql", "sqlite", "no tables"),
    ("postgresql", "postgresql", "migrated"),
]


def test_the_archive_holds_manifest_tables_and_files(sources):
    source = sources("sqlite")
    with zipfile.ZipFile(source.archive) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        names = set(archive.namelist())
    assert manifest["format"] == "supportclub-backup"
    assert manifest["format_version"] == 1
    assert manifest["revision"] == "0009_trust"
    assert manifest["dialect"] == "sqlite"
    tables = {name: (meta["rows"], meta["sha256"]) for name, meta in manifest["tables"].items()}
    assert tables == source.hashes
    assert tables["alembic_version"][0] == 1
    # a donation, its reversal, postage and the three receipted donations
    assert tables["booking"][0] == 6
    assert tables["bank_line"][0] == 2
    # the receipts' PDFs and the project document are in the archive, named as on disk
    assert set(manifest["files"]) == set(source.facts["files"])
    assert {meta["sha256"] for meta in manifest["files"].values()} == set(
        source.facts["files"].values()
    )
    assert len([f for f in manifest["files"] if f.startswith("receipts/")]) == 3
    assert len([f for f in manifest["files"] if f.startswith("projects/")]) == 1
    assert names == {"manifest.json"} | {f"db/{t}.jsonl" for t in tables} | {
        f"files/{f}" for f in manifest["files"]
    }


def test_a_backup_leaves_one_audit_entry_after_its_snapshot(sources):
    source = sources("sqlite")
    archived = source.facts["audit"]
    after = facts(source.site.app, source.site.upload_dir)["audit"]
    assert after[: len(archived)] == archived
    assert after[len(archived)][1] == "backup.created"


@pytest.mark.parametrize(
    ("origin", "target", "schema"), PAIRS, ids=[f"{a}-to-{b}" for a, b, _s in PAIRS]
)
def test_restore_gives_back_every_row_and_file_and_the_app_works(
    sources, templates, tmp_path, origin, target, schema
):
    source = sources(origin)
    template = templates(target) if schema == "migrated" else None
    with site(target, tmp_path, "target", template=template) as restored:
        result = restored.run("restore", str(source.archive))
        assert result.exit_code == 0, result.output
        assert "Prüfung: OK" in result.output
        assert "Tabellen: 41" in result.output

        hashes = table_hashes(restored.app)
        audit_rows, _sha = hashes.pop("audit_entry")
        expected = dict(source.hashes)
        expected_audit_rows, _sha = expected.pop("audit_entry")
        assert hashes == expected
        assert audit_rows == expected_audit_rows + 1

        after = facts(restored.app, restored.upload_dir)
        for key in ("bookings", "line_sums", "receipts", "files"):
            assert after[key] == source.facts[key], key
        assert after["audit"][:-1] == source.facts["audit"]
        assert after["audit"][-1][1] == "backup.restored"
        assert all(
            total == amount
            for (_i, amount, *_r), total in zip(
                after["bookings"],
                [after["line_sums"][b[0]] for b in after["bookings"]],
                strict=True,
            )
        )

        _the_restored_app_books_on(restored, max(b[0] for b in after["bookings"]))


def _the_restored_app_books_on(restored, last_booking_id: int) -> None:
    """A new booking gets the next id (sequences were reset) and its audit entry chains on."""
    from tests.backup.helpers import facts as read_facts
    from tests.factories import make_booking, make_person

    with restored.app.app_context():
        person = make_person(first_name="Neu")
        booking = make_booking(777, person_id=person.id)
        assert booking.id == last_booking_id + 1
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) > 0
        db.session.remove()
    read_facts(restored.app, restored.upload_dir)  # asserts the chain is intact
