"""flask audit verify and flask audit export YEAR PATH."""

import json
import zipfile

from sqlalchemy import text

from supportclub import audit
from tests.auditing.conftest import YEAR
from tests.auditing.helpers import entry_count, last_hash, triggers_lifted


def test_verify_intact(runner, db):
    audit.record(None, "test.written", None, {"n": 1})
    db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        f"Protokoll: {entry_count()} Einträge geprüft, Kette intakt. Letzter Hash: {last_hash()}"
    )


def test_verify_names_the_first_broken_entry_and_fails(runner, db):
    ids = []
    for n in range(4):
        entry = audit.record(None, "test.written", None, {"n": n})
        db.session.flush()
        ids.append(entry.id)
    db.session.commit()
    with triggers_lifted() as conn:
        conn.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": ids[1]})
    result = runner.invoke(args=["audit", "verify", "--batch", "2"])
    assert result.exit_code == 1
    assert f"Kette gebrochen bei Eintrag {ids[2]} vom " in result.output
    assert "(test.written): Kette unterbrochen." in result.output


def test_export_writes_the_zip(runner, year_data, tmp_path):
    result = runner.invoke(args=["audit", "export", str(YEAR), str(tmp_path)])
    assert result.exit_code == 0, result.output
    target = tmp_path / "supportclub-2025-export.zip"
    assert f"Export 2025 geschrieben: {target}" in result.output
    with zipfile.ZipFile(target) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["created_by"] == "System"
    assert {f["name"] for f in manifest["files"]} >= {"buchungen.csv", "protokoll.csv"}
    # a second run does not overwrite the file
    again = runner.invoke(args=["audit", "export", str(YEAR), str(target)])
    assert again.exit_code == 2
    assert "gibt es schon" in again.output


def test_export_refuses_a_bad_year_in_german(runner, db, tmp_path):
    before = entry_count()
    result = runner.invoke(args=["audit", "export", "1850", str(tmp_path / "x.zip")])
    assert result.exit_code == 2
    assert "Für das Jahr 1850 gibt es keinen Export" in result.output
    not_a_year = runner.invoke(args=["audit", "export", "zwanzig", str(tmp_path / "x.zip")])
    assert not_a_year.exit_code == 2
    assert "„zwanzig“ ist keine Jahreszahl." in not_a_year.output
    assert not (tmp_path / "x.zip").exists()
    assert entry_count() == before


def test_export_refuses_a_missing_folder(runner, db, tmp_path):
    result = runner.invoke(args=["audit", "export", "2025", str(tmp_path / "nein" / "x.zip")])
    assert result.exit_code == 2
    assert "gibt es nicht" in result.output
