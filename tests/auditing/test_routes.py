"""The auditors' pages: the export page per role, the ZIP download, the chain check page."""

import json

import pytest
from sqlalchemy import select, text

from supportclub import audit
from supportclub.audit import AuditEntry
from supportclub.clock import today
from supportclub.extensions import db
from tests.auditing.conftest import YEAR, open_zip
from tests.auditing.helpers import entry_count, last_hash, triggers_lifted


def test_auditor_sees_year_choice_download_and_chain_link(clients, year_data):
    page = clients["auditor"].get("/pruefung?jahr=2025").get_data(as_text=True)
    assert "Export herunterladen (ZIP)" in page
    assert 'href="/pruefung/export/2025.zip"' in page
    assert '<option value="2024">2024</option>' in page
    assert "Kette prüfen" in page
    assert "protokoll.csv) ist nicht enthalten" not in page


def test_board_downloads_without_the_audit_trail(clients, year_data):
    page = clients["board"].get("/pruefung").get_data(as_text=True)
    assert "Kette prüfen" not in page
    assert "protokoll.csv) ist nicht enthalten" in page
    response = clients["board"].get(f"/pruefung/export/{YEAR}.zip")
    assert response.status_code == 200
    with open_zip(response.get_data()) as archive:
        assert "protokoll.csv" not in archive.namelist()
        assert json.loads(archive.read("manifest.json"))["audit_trail_included"] is False


def test_unknown_year_in_the_query_falls_back_to_last_year(clients, year_data):
    last_year = today().year - 1
    for query in ("abc", "1800", ""):
        page = clients["auditor"].get(f"/pruefung?jahr={query}").get_data(as_text=True)
        assert f"Gewählt: {last_year}" in page


def test_download_sends_the_zip_and_records_it(clients, users, year_data):
    response = clients["auditor"].get(f"/pruefung/export/{YEAR}.zip")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert (
        response.headers["Content-Disposition"]
        == 'attachment; filename="supportclub-2025-export.zip"'
    )
    body = response.get_data()
    assert int(response.headers["Content-Length"]) == len(body)
    with open_zip(body) as archive:
        names = archive.namelist()
        assert "buchungen.csv" in names and "protokoll.csv" in names
    response.close()
    entry = db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "auditing.exported")
    ).scalar_one()
    assert entry.actor_id == users["auditor"].id


@pytest.mark.parametrize("year", [1800, 1989, 2999])
def test_bad_year_is_404_and_writes_nothing(clients, db, year):
    before = entry_count()
    assert clients["auditor"].get(f"/pruefung/export/{year}.zip").status_code == 404
    assert entry_count() == before


def test_member_gets_403(clients, db):
    assert clients["member"].get("/pruefung").status_code == 403
    assert clients["member"].get(f"/pruefung/export/{YEAR}.zip").status_code == 403
    assert clients["member"].get("/pruefung/protokoll-kette").status_code == 403
    assert clients["board"].get("/pruefung/protokoll-kette").status_code == 403


def test_chain_page_shows_intact_chain_and_head(clients, db):
    audit.record(None, "test.written", None, {"n": 1})
    db.session.commit()
    page = clients["auditor"].get("/pruefung/protokoll-kette").get_data(as_text=True)
    assert "Kette intakt" in page
    assert last_hash() in page
    assert "Kette gebrochen" not in page


def test_chain_page_names_the_first_broken_entry(clients, db):
    entries = []
    for n in range(3):
        entry = audit.record(None, "test.written", None, {"n": n})
        db.session.flush()
        entries.append(entry.id)
    db.session.commit()
    with triggers_lifted() as conn:
        conn.execute(
            text("UPDATE audit_entry SET action = 'test.rewritten' WHERE id = :id"),
            {"id": entries[1]},
        )
    page = clients["auditor"].get("/pruefung/protokoll-kette").get_data(as_text=True)
    assert "Kette gebrochen" in page
    assert "Inhalt verändert" in page
    assert f'<dd class="col-sm-9">{entries[1]}</dd>' in page
    assert "test.rewritten" in page


def test_audit_log_links_to_the_chain_check(clients, db):
    assert "/pruefung/protokoll-kette" in clients["auditor"].get("/verwaltung/protokoll").get_data(
        as_text=True
    )
