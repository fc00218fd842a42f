"""The year export: every CSV row to the cent, balances against the closing, receipts' PDFs,
the manifest's and sha256sum's checksums, both PDFs readable, an empty year, a bad year, and a
fixed number of queries however much the year holds."""

import hashlib
import io
import json
import subprocess
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import event, select

from supportclub.audit import AuditEntry, entry_digest
from supportclub.auditing.export import ExportYearInvalid, discard, export_year
from supportclub.extensions import db
from supportclub.ledger.models import Account, ClosedYear, ClosedYearBalance, Fund
from supportclub.receipts.storage import path_for
from tests.auditing.conftest import YEAR, open_zip, read_csv
from tests.factories import by_code, make_booking, make_claim, make_grant, make_member

EXPECTED_FILES = {
    "buchungen.csv",
    "konten.csv",
    "fonds.csv",
    "zuwendungsbestaetigungen.csv",
    "beitraege.csv",
    "foerderungen.csv",
    "protokoll.csv",
    "kassenbericht.pdf",
    "buchungsjournal.pdf",
    "LIESMICH.txt",
    "manifest.json",
    "pruefsummen.sha256",
}


@pytest.fixture
def exported(year_data, users):
    """The 2025 export made by the auditor: (ZipFile, path); the file is removed afterwards."""
    path = export_year(YEAR, users["auditor"])
    db.session.commit()
    with open_zip(path) as archive:
        yield archive, path
    discard(path)


def by_header(rows: list[list[str]]) -> list[dict[str, str]]:
    """Rows as dicts by the header's titles."""
    header = rows[0]
    assert len(set(header)) == len(header)
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


def test_zip_holds_every_file_and_the_receipt_pdf(exported, year_data):
    archive, path = exported
    names = set(archive.namelist())
    assert names == EXPECTED_FILES | {f"belege/{year_data.receipt_number}.pdf"}
    assert path.name == "supportclub-2025-export.zip"
    assert archive.testzip() is None


def test_bookings_csv_has_each_line_with_its_booking(exported, year_data):
    archive, _path = exported
    rows = by_header(read_csv(archive, "buchungen.csv"))
    assert [int(r["Buchung"]) for r in rows] == [
        year_data.dues_booking,
        year_data.donation_booking,
        year_data.expense_booking,
        year_data.wrong_booking,
        year_data.reversal_booking,
        year_data.cash_booking,
    ]
    dues = rows[0]
    assert dues["Datum"] == "01.02.2025"
    assert dues["Konto"] == "Bank (Girokonto)"
    assert dues["Buchungsbetrag (Cent)"] == "1000"
    assert dues["Buchungsbetrag (EUR)"] == "10,00"
    assert dues["Gegenpartei"] == "Max Mitglied"
    assert dues["Kanal"] == "bank"
    assert dues["Externe Referenz"] == "KTO-2025-0001"
    assert dues["Kategorie"] == "Mitgliedsbeiträge"
    assert dues["Steuersphäre"] == "Ideeller Bereich"
    assert dues["Fonds"] == "Allgemeiner Fonds (frei)"
    assert dues["Beitragsforderung"] == str(year_data.claim_id)
    assert dues["Positionsbetrag (Cent)"] == "1000"
    assert dues["Positionsbetrag (EUR)"] == "10,00"
    assert dues["Storno von Buchung"] == ""
    donation = rows[1]
    assert (donation["Positionsbetrag (Cent)"], donation["Positionsbetrag (EUR)"]) == (
        "12345",
        "123,45",
    )
    assert donation["Gegenpartei"] == "Carla Spenderin"
    expense = rows[2]
    assert expense["Buchungstext"] == "'=Porto"  # a formula is defused
    assert (expense["Positionsbetrag (Cent)"], expense["Positionsbetrag (EUR)"]) == (
        "-2500",
        "-25,00",
    )
    assert expense["Kategorie"] == "Verwaltungskosten"
    reversal = rows[4]
    assert reversal["Storno von Buchung"] == str(year_data.wrong_booking)
    assert reversal["Buchungsbetrag (Cent)"] == "-777"
    assert rows[5]["Konto"] == "Kasse"
    assert rows[5]["Steuersphäre"] == "Wirtschaftlicher Geschäftsbetrieb"
    assert sum(int(r["Positionsbetrag (Cent)"]) for r in rows) == 1000 + 12345 - 2500 + 5000


def test_account_and_fund_balances(exported):
    archive, _path = exported
    accounts = {r["Kürzel"]: r for r in by_header(read_csv(archive, "konten.csv"))}
    bank = accounts["bank"]
    assert bank["Anfangsbestand 1.1. (Cent)"] == "10000"
    assert bank["Zugänge (Cent)"] == str(1000 + 12345 + 777)
    assert bank["Abgänge (Cent)"] == str(-2500 - 777)
    assert bank["Endbestand 31.12. (Cent)"] == "20845"
    assert bank["Endbestand 31.12. (EUR)"] == "208,45"
    assert bank["Abgleich Festschreibung"] == ""
    assert accounts["cash"]["Endbestand 31.12. (Cent)"] == "5000"
    assert accounts["stripe"]["Endbestand 31.12. (Cent)"] == "0"
    funds = {r["Kürzel"]: r for r in by_header(read_csv(archive, "fonds.csv"))}
    general = funds["general"]
    assert general["Anfangsbestand 1.1. (Cent)"] == "10000"
    assert general["Zugänge (Cent)"] == "19122"
    assert general["Abgänge (Cent)"] == "-3277"
    assert general["Endbestand 31.12. (Cent)"] == "25845"


def stored(**values) -> ClosedYearBalance:
    """A balance stored when 2025 was closed."""
    return ClosedYearBalance(year=YEAR, **values)


def test_closed_year_balances_are_compared(year_data, users):
    db.session.add(ClosedYear(year=YEAR))
    db.session.flush()
    bank, cash = by_code(Account, "bank"), by_code(Account, "cash")
    general = by_code(Fund, "general")
    db.session.add_all(
        [
            stored(account_id=bank.id, opening_cents=10000, closing_cents=20845),
            stored(account_id=cash.id, opening_cents=0, closing_cents=4000),
            stored(fund_id=general.id, opening_cents=10000, closing_cents=25845),
        ]
    )
    db.session.commit()
    path = export_year(YEAR, users["auditor"])
    try:
        with open_zip(path) as archive:
            accounts = {r["Kürzel"]: r for r in by_header(read_csv(archive, "konten.csv"))}
            funds = {r["Kürzel"]: r for r in by_header(read_csv(archive, "fonds.csv"))}
            manifest = json.loads(archive.read("manifest.json"))
    finally:
        discard(path)
    assert accounts["bank"]["Festgeschrieben Ende (Cent)"] == "20845"
    assert accounts["bank"]["Abgleich Festschreibung"] == "stimmt"
    assert accounts["cash"]["Festgeschrieben Ende (Cent)"] == "4000"
    assert accounts["cash"]["Abgleich Festschreibung"] == "ABWEICHUNG"
    assert funds["general"]["Abgleich Festschreibung"] == "stimmt"
    assert manifest["closed"] is True
    assert manifest["closed_balances_match"] is False
    assert manifest["closed_balance_mismatches"] == [
        {"kind": "account", "code": "cash", "name": "Kasse"}
    ]


def test_receipts_csv_and_pdf(exported, year_data):
    archive, _path = exported
    [row] = by_header(read_csv(archive, "zuwendungsbestaetigungen.csv"))
    assert row["Nummer"] == year_data.receipt_number
    assert row["Zuwendender"] == "Carla Spenderin"
    assert (row["Betrag (Cent)"], row["Betrag (EUR)"]) == ("12345", "123,45")
    assert row["Status"] == "gültig"
    assert row["SHA-256"] == year_data.receipt_sha256
    assert row["Datei"] == f"belege/{year_data.receipt_number}.pdf"
    pdf = archive.read(row["Datei"])
    assert hashlib.sha256(pdf).hexdigest() == year_data.receipt_sha256
    assert "Zuwendung" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_missing_receipt_pdf_is_listed_not_fatal(year_data, users):
    path_for(year_data.receipt_key).unlink()
    path = export_year(YEAR, users["auditor"])
    try:
        with open_zip(path) as archive:
            [row] = by_header(read_csv(archive, "zuwendungsbestaetigungen.csv"))
            manifest = json.loads(archive.read("manifest.json"))
            names = archive.namelist()
    finally:
        discard(path)
    assert row["Datei"] == "fehlt"
    assert not [n for n in names if n.startswith("belege/")]
    assert manifest["receipt_problems"] == [
        {"number": year_data.receipt_number, "problem": "missing"}
    ]


def test_dues_and_grants(exported, year_data):
    archive, _path = exported
    [claim] = by_header(read_csv(archive, "beitraege.csv"))
    assert claim["Forderung"] == str(year_data.claim_id)
    assert claim["Mitgliedsnummer"] == str(year_data.member_number)
    assert claim["Name"] == "Max Mitglied"
    assert (claim["Jahr"], claim["Monate"]) == ("2025", "12")
    assert (claim["Betrag (Cent)"], claim["Bezahlt (Cent)"], claim["Offen (Cent)"]) == (
        "3600",
        "1000",
        "2600",
    )
    assert claim["Offen (EUR)"] == "26,00"
    assert claim["Status"] == "teilweise bezahlt"
    [grant] = by_header(read_csv(archive, "foerderungen.csv"))
    assert grant["Projekt"] == "Lesefest"
    assert grant["Beschluss vom"] == "01.03.2025"
    assert (grant["Bewilligt (Cent)"], grant["Bewilligt (EUR)"]) == ("10000", "100,00")
    assert grant["Ausgezahlt (Cent)"] == "0"


def test_audit_trail_of_the_year_with_its_hashes(exported, year_data):
    archive, _path = exported
    rows = by_header(read_csv(archive, "protokoll.csv"))
    ids = [int(r["Nr."]) for r in rows]
    assert set(year_data.audit_in_year) <= set(ids)
    assert not set(year_data.audit_outside) & set(ids)
    stored = {
        e.id: e
        for e in db.session.execute(select(AuditEntry).where(AuditEntry.id.in_(ids))).scalars()
    }
    for row in rows:
        entry = stored[int(row["Nr."])]
        assert (row["Vorheriger Hash"], row["Hash"]) == (entry.prev_hash, entry.entry_hash)
        # the CSV holds the stored values: the hash can be recomputed from them alone
        created = datetime.strptime(row["Zeit (UTC)"], "%Y-%m-%dT%H:%M:%S.%fZ")
        actor_id, target_id = (
            int(row[key]) if row[key] else None for key in ("Benutzer-ID", "Objekt-ID")
        )
        digest = entry_digest(
            row["Vorheriger Hash"], created.replace(tzinfo=UTC), actor_id, row["Wer"],
            row["Aktion"], row["Objekttyp"], target_id, row["Daten (JSON)"],
        )  # fmt: skip
        assert digest == row["Hash"]


def test_manifest_and_checksums_match_the_files(exported, tmp_path, users):
    archive, _path = exported
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["association"] == "Förderverein Grundschule Am Park e. V."
    assert manifest["year"] == YEAR
    assert manifest["created_by"] == users["auditor"].email
    assert manifest["alembic_revision"]
    assert manifest["audit_trail_included"] is True
    listed = {f["name"]: f for f in manifest["files"]}
    assert set(listed) == set(archive.namelist()) - {"manifest.json", "pruefsummen.sha256"}
    for name, facts in listed.items():
        content = archive.read(name)
        assert facts["bytes"] == len(content), name
        assert facts["sha256"] == hashlib.sha256(content).hexdigest(), name
        if name.endswith(".csv"):
            assert facts["rows"] == len(read_csv(archive, name)) - 1, name
    assert listed["buchungen.csv"]["rows"] == 6
    archive.extractall(tmp_path)
    check = subprocess.run(
        ["sha256sum", "-c", "pruefsummen.sha256"], cwd=tmp_path, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "manifest.json: OK" in check.stdout
    assert check.stdout.count(": OK") == len(archive.namelist()) - 1
    (tmp_path / "buchungen.csv").write_bytes(b"tampered")
    assert subprocess.run(["sha256sum", "-c", "pruefsummen.sha256"], cwd=tmp_path,
                          capture_output=True).returncode == 1  # fmt: skip


def test_pdfs_are_readable(exported):
    archive, _path = exported
    pages = PdfReader(io.BytesIO(archive.read("buchungsjournal.pdf"))).pages
    journal = "\n".join(page.extract_text() for page in pages)
    assert "Buchungsjournal 2025" in journal
    assert "Kuchenverkauf" in journal
    assert "Förderverein Grundschule Am Park e. V." in journal
    assert "Nächstes Jahr" not in journal
    report = PdfReader(io.BytesIO(archive.read("kassenbericht.pdf"))).pages[0].extract_text()
    assert "Kassenbericht 2025" in report
    readme = archive.read("LIESMICH.txt").decode("utf-8")
    assert "§ 147 Abs. 6 AO" in readme and "buchungen.csv" in readme


def test_export_leaves_an_audit_entry(exported, users):
    _archive, path = exported
    entry = db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "auditing.exported")
    ).scalar_one()
    assert entry.actor_id == users["auditor"].id
    assert entry.data["year"] == YEAR
    assert entry.data["file"] == path.name
    assert entry.data["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_year_without_bookings_exports_headers_only(db, users):
    path = export_year(2019, users["auditor"])
    try:
        with open_zip(path) as archive:
            for name in ("buchungen.csv", "beitraege.csv", "foerderungen.csv",
                         "zuwendungsbestaetigungen.csv"):  # fmt: skip
                rows = read_csv(archive, name)
                assert len(rows) == 1 and rows[0], name
            manifest = json.loads(archive.read("manifest.json"))
            journal = PdfReader(io.BytesIO(archive.read("buchungsjournal.pdf"))).pages[0]
    finally:
        discard(path)
    assert {f["name"]: f.get("rows") for f in manifest["files"]}["buchungen.csv"] == 0
    assert "Keine Buchungen in diesem Jahr." in journal.extract_text()


@pytest.mark.parametrize("year", [1989, 2200])
def test_bad_year_is_refused_in_german(db, users, year):
    before = db.session.execute(select(AuditEntry.id).order_by(AuditEntry.id.desc())).first()
    with pytest.raises(ExportYearInvalid) as info:
        export_year(year, users["auditor"])
    assert f"Für das Jahr {year} gibt es keinen Export" in info.value.message
    after = db.session.execute(select(AuditEntry.id).order_by(AuditEntry.id.desc())).first()
    assert before == after


def test_without_audit_trail(year_data, users):
    path = export_year(YEAR, users["board"], with_audit_trail=False)
    try:
        with open_zip(path) as archive:
            names = archive.namelist()
            manifest = json.loads(archive.read("manifest.json"))
            readme = archive.read("LIESMICH.txt").decode("utf-8")
    finally:
        discard(path)
    assert "protokoll.csv" not in names
    assert manifest["audit_trail_included"] is False
    assert "protokoll.csv fehlt" in readme


def _count_queries(year: int, actor) -> int:
    """How many SQL statements one export runs."""
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        discard(export_year(year, actor))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)


def test_number_of_queries_does_not_grow_with_the_year(year_data, users):
    from supportclub.receipts import services as receipts
    from tests.factories import donation_line, make_contribution, make_person

    small = _count_queries(YEAR, users["auditor"])
    for n in range(12):
        make_booking(100 + n, booking_date=date(YEAR, 1 + n, 3), text=f"Spende {n}")
    for n in range(3):
        make_claim(make_member(first_name="Mia", last_name=f"Mehr{n}"), YEAR)
    make_grant(amount_cents=1000, resolution_date=date(YEAR, 9, 1))
    donor = make_person(first_name="Dora", last_name="Doppel")
    receipts.issue_single(
        donation_line(make_contribution(donor, 700, booking_date=date(YEAR, 8, 1))).id, actor=None
    )
    db.session.commit()
    large = _count_queries(YEAR, users["auditor"])
    assert large == small


def test_large_journal_is_written_in_parts(year_data, users, monkeypatch):
    from supportclub.auditing import export as export_module

    monkeypatch.setattr(export_module, "JOURNAL_PART_ROWS", 4)
    path = export_year(YEAR, users["auditor"])
    try:
        with open_zip(path) as archive:
            names = archive.namelist()
            first = [p.extract_text() for p in PdfReader(
                io.BytesIO(archive.read("buchungsjournal-teil-1.pdf"))).pages]  # fmt: skip
            second = [p.extract_text() for p in PdfReader(
                io.BytesIO(archive.read("buchungsjournal-teil-2.pdf"))).pages]  # fmt: skip
    finally:
        discard(path)
    assert "buchungsjournal.pdf" not in names
    assert "buchungsjournal-teil-3.pdf" not in names
    assert "Buchungsjournal 2025 (Teil 1 von 2)" in first[0]
    assert "Summe der Positionen" not in "".join(first)
    assert "Kuchenverkauf" in "".join(second)  # the 6th line is in part 2
    assert "Summe der Positionen: 6" in "".join(second)
    assert "158,45" in "".join(second)  # 10,00 + 123,45 - 25,00 + 7,77 - 7,77 + 50,00
