"""Uploading a statement file: format detection, ZIPs of daily camt files, the account check."""

import io
import zipfile
from datetime import date
from pathlib import Path

import pytest

from supportclub.banking import readers
from supportclub.banking.readers import (
    check_one_account,
    detect_format,
    read_statement_file,
    read_zip,
)
from supportclub.banking.statement import Statement, StatementError

FILES = Path(__file__).parent / "files"
OWN_IBAN = "DE89370400440532013000"
OTHER_IBAN = "DE57500105175407324600"

# Tiny samples of the two formats that helper "csvmt" reads (Windows-1252, CRLF as exported).
CSV_CAMT = (
    '"Auftragskonto";"Buchungstag";"Valutadatum";"Buchungstext";"Verwendungszweck";'
    '"Glaeubiger ID";"Mandatsreferenz";"Kundenreferenz (End-to-End)";"Sammlerreferenz";'
    '"Lastschrift Ursprungsbetrag";"Auslagenersatz Ruecklastschrift";'
    '"Beguenstigter/Zahlungspflichtiger";"Kontonummer/IBAN";"BIC (SWIFT-Code)";"Betrag";'
    '"Waehrung";"Info"\r\n'
    '"DE89370400440532013000";"02.03.26";"02.03.26";"GUTSCHR. UEBERWEISUNG";'
    '"Mitgliedsbeitrag 2026 Mitgl.-Nr. 1042";"";"";"NOTPROVIDED";"";"";"";"Jürgen Müller";'
    '"DE57500105175407324600";"INGDDEFFXXX";"60,00";"EUR";"Umsatz gebucht"\r\n'
).encode("cp1252")
MT940 = (
    ":20:STARTUMSE\r\n"
    ":25:DE89370400440532013000\r\n"
    ":28C:00042/001\r\n"
    ":60F:C260301EUR1000,00\r\n"
    ":61:2603020302C60,00NTRFNONREF\r\n"
    ":86:166?00GUTSCHR. UEBERWEISUNG?109310?20EREF+NOTPROVIDED?21SVWZ+Mit\r\n"
    "gliedsbeitrag 2026?30INGDDEFFXXX?31DE57500105175407324600?32Jürgen Mü\r\n"
    "ller\r\n"
    ":62F:C260302EUR1060,00\r\n"
    "-\r\n"
).encode("cp1252")


def load(name: str) -> bytes:
    """The bytes of a fixture file."""
    return (FILES / name).read_bytes()


def make_zip(files: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A ZIP archive with the given names and contents (a name ending in "/" is a folder)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def refused(call, *args) -> str:
    """The message with which ``call(*args)`` refuses."""
    with pytest.raises(StatementError) as caught:
        call(*args)
    return caught.value.message


def day_file(day: str) -> bytes:
    """One daily camt file of the ZIP fixture, by its date."""
    with zipfile.ZipFile(FILES / "camt_053_three_days.zip") as archive:
        return archive.read(f"Kontoauszuege/camt053_DE89_{day}.xml")


# --- ZIP of daily camt.053 files -------------------------------------------------------------


def test_zip_of_three_days_is_read_in_order():
    """Three daily files (stored out of order) become three statements sorted by name;
    the folder entry and the __MACOSX resource file are ignored."""
    statements = read_zip(load("camt_053_three_days.zip"))
    assert [s.period_start for s in statements] == [
        date(2026, 3, 4),
        date(2026, 3, 5),
        date(2026, 3, 6),
    ]
    assert {s.iban for s in statements} == {OWN_IBAN}
    assert [s.entries[0].amount_cents for s in statements] == [3000, 1250, 10000]
    assert statements[1].entries[0].transactions[0].counterparty_name == "Ömer Çelik"
    # each day starts where the day before ended
    for before, after in zip(statements, statements[1:], strict=False):
        assert before.closing_cents == after.opening_cents


def test_zip_skips_files_that_are_not_xml():
    """A note from the bank inside the ZIP does not stop the import."""
    data = make_zip({"liesmich.txt": b"Kontoauszuege Maerz", "a.xml": day_file("2026-03-04")})
    (statement,) = read_zip(data)
    assert statement.closing_cents == 133045


def test_zip_with_statements_of_two_accounts_is_refused():
    """All files of a ZIP must belong to one account."""
    other = day_file("2026-03-05").replace(OWN_IBAN.encode(), OTHER_IBAN.encode())
    data = make_zip({"1.xml": day_file("2026-03-04"), "2.xml": other})
    assert refused(read_zip, data) == "Die ZIP-Datei enthält Auszüge mehrerer Konten."


def test_zip_names_the_broken_file_by_its_number():
    """An error inside the second file says which file and which entry."""
    broken = day_file("2026-03-05").replace(b"<CdtDbtInd>CRDT</CdtDbtInd>\n        <Sts>", b"<Sts>")
    data = make_zip(
        {"1.xml": day_file("2026-03-04"), "2.xml": broken, "3.xml": day_file("2026-03-06")}
    )
    assert refused(read_zip, data) == (
        "Datei 2 von 3 in der ZIP-Datei: Buchung 1: "
        "Das Soll/Haben-Kennzeichen (CdtDbtInd) fehlt oder ist ungültig."
    )


@pytest.mark.parametrize(
    "files",
    [{}, {"Kontoauszuege/": b""}, {"liesmich.txt": b"nichts"}, {"__MACOSX/._a.xml": b"\x00"}],
)
def test_zip_without_xml_is_refused(files):
    """Nothing to read in the ZIP."""
    assert refused(read_zip, make_zip(files)) == (
        "Die ZIP-Datei enthält keine XML-Dateien (camt.053)."
    )


def test_zip_with_more_than_fifty_files_is_refused():
    """A ZIP bomb made of many files."""
    data = make_zip({f"tag{n:02d}.xml": b"<x/>" for n in range(51)})
    assert refused(read_zip, data) == "Die ZIP-Datei enthält zu viele Dateien (höchstens 50)."


def test_zip_with_fifty_files_is_read():
    """Fifty daily files are still fine."""
    data = make_zip({f"tag{n:02d}.xml": day_file("2026-03-04") for n in range(50)})
    assert len(read_zip(data)) == 50


def test_zip_that_unpacks_to_more_than_fifty_megabytes_is_refused():
    """A ZIP bomb made of one huge, well-compressible file."""
    data = make_zip({"auszug.xml": b" " * (50 * 1024 * 1024 + 1)})
    assert len(data) < 1024 * 1024
    assert refused(read_zip, data) == "Die ZIP-Datei ist entpackt zu groß (höchstens 50 MB)."


def test_zip_that_understates_its_size_is_stopped_while_unpacking(monkeypatch):
    """Even if the directory lied about sizes, unpacking stops at the limit."""
    monkeypatch.setattr(readers, "_check_zip_size", lambda members: None)
    monkeypatch.setattr(readers, "ZIP_MAX_BYTES", 3 * 1024 * 1024)
    data = make_zip({"auszug.xml": b" " * (4 * 1024 * 1024)})
    assert refused(read_zip, data) == "Die ZIP-Datei ist entpackt zu groß (höchstens 3 MB)."


def test_broken_zip_is_refused():
    """A ZIP header followed by garbage, and a ZIP cut off in the middle."""
    assert refused(read_zip, b"PK\x03\x04" + b"\x00" * 100) == "Die ZIP-Datei ist beschädigt."
    data = load("camt_053_three_days.zip")
    assert refused(read_zip, data[: len(data) // 2]) == "Die ZIP-Datei ist beschädigt."


def test_zip_with_a_corrupted_file_is_refused():
    """Damaged compressed data inside an otherwise valid ZIP."""
    data = bytearray(make_zip({"a.xml": day_file("2026-03-04")}))
    start = 30 + len("a.xml")  # the compressed data follows the local header
    data[start + 10 : start + 40] = b"\xff" * 30
    assert refused(read_zip, bytes(data)) == "Die ZIP-Datei ist beschädigt."


def test_encrypted_zip_is_refused():
    """A password-protected ZIP cannot be read."""
    data = bytearray(make_zip({"a.xml": day_file("2026-03-04")}))
    central = data.index(b"PK\x01\x02")
    data[central + 8] |= 0x01  # the "encrypted" flag in the central directory
    data[6] |= 0x01  # and in the local header
    assert "verschlüsselt" in refused(read_zip, bytes(data))


def test_office_document_is_refused():
    """An Excel file is a ZIP of XML files too, but no statement."""
    data = make_zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
    assert "Office-Dokument" in refused(read_zip, data)


# --- the dispatcher --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"PK\x03\x04rest", "zip"),
        (b"PK\x05\x06" + b"\x00" * 18, "zip"),
        (b'<?xml version="1.0"?><Document/>', "camt"),
        (b"\xef\xbb\xbf\r\n  <Document/>", "camt"),
        ('<?xml version="1.0" encoding="UTF-16"?><Document/>'.encode("utf-16"), "camt"),
        (CSV_CAMT, "csv-camt"),
        (b"\xef\xbb\xbf" + CSV_CAMT.decode("cp1252").encode("utf-8"), "csv-camt"),
        (MT940, "mt940"),
        (b"\r\n" + MT940, "mt940"),
        (b"{1:F01COBADEFFAXXX0000000000}{2:I940COBADEFFXXXXN}{4:\r\n" + MT940, "mt940"),
        (b"%PDF-1.7\n", None),
        (b"Buchungstag;Betrag\n02.03.2026;60,00\n", None),
        (b":20:STARTUMSE\r\n:28C:1/1\r\n", None),
    ],
)
def test_format_is_detected_by_content(data, kind):
    """ZIP magic, XML, the CSV-CAMT header line, MT940 :20: and :25:, else nothing."""
    assert detect_format(data) == kind


def test_dispatcher_reads_camt_xml():
    """A camt.053 XML upload."""
    (statement,) = read_statement_file(load("camt_053_001_08.xml"), "auszug.xml")
    assert statement.format == "camt.053.001.08"
    assert len(statement.entries) == 4


def test_dispatcher_reads_a_zip_whatever_its_name():
    """The content decides, not the file name."""
    statements = read_statement_file(load("camt_053_three_days.zip"), "auszug.xml")
    assert len(statements) == 3


def test_dispatcher_reads_csv_camt():
    """The Sparkasse CSV-CAMT export goes to the CSV-CAMT reader."""
    (statement,) = read_statement_file(CSV_CAMT, "20260302-umsaetze.csv")
    assert isinstance(statement, Statement)
    assert statement.format == "csv-camt"
    assert statement.iban == OWN_IBAN
    assert [e.amount_cents for e in statement.entries] == [6000]
    assert statement.entries[0].transactions[0].counterparty_name == "Jürgen Müller"


def test_dispatcher_reads_mt940():
    """An old MT940 export goes to the MT940 reader."""
    (statement,) = read_statement_file(MT940, "umsaetze.sta")
    assert statement.format == "mt940"
    assert statement.iban == OWN_IBAN
    assert [e.amount_cents for e in statement.entries] == [6000]
    assert (statement.opening_cents, statement.closing_cents) == (100000, 106000)


@pytest.mark.parametrize("data", [b"", b"   \r\n\t"])
def test_empty_file_is_refused(data):
    """An empty upload."""
    assert refused(read_statement_file, data, "auszug.xml") == "Die Datei ist leer."


def test_file_over_twenty_megabytes_is_refused():
    """The upload limit holds before anything is parsed."""
    data = b"<" + b" " * (20 * 1024 * 1024)
    assert refused(read_statement_file, data, "auszug.xml") == (
        "Die Datei ist zu groß (höchstens 20 MB)."
    )


@pytest.mark.parametrize(
    ("data", "filename", "start"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "Kontoauszug.pdf", "Die Datei ist ein PDF-Dokument"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Umsaetze.xls", "Die Datei ist eine Excel-"),
        (b"Datum;Betrag\r\n02.03.2026;60,00\r\n", "umsaetze.CSV", "Die CSV-Datei hat nicht"),
        (b"Hallo Kassenwart", "notiz.txt", "Das Format der Datei wurde nicht erkannt."),
    ],
)
def test_unknown_formats_are_refused_with_a_hint(data, filename, start):
    """Anything else is refused, saying what can be read."""
    message = refused(read_statement_file, data, filename)
    assert message.startswith(start)
    assert message.endswith(
        "Lesbar sind camt.053 (XML oder ZIP), der CSV-CAMT-Export der Sparkassen und MT940."
    )


def test_dispatcher_passes_refusals_through():
    """A camt.054 upload is refused with the camt reader's message."""
    message = refused(read_statement_file, load("camt_054_001_08.xml"), "auszug.xml")
    assert "camt.054.001.08" in message


# --- one account -----------------------------------------------------------------------------


def test_statements_of_the_expected_account_pass():
    """The IBAN may be written with spaces and in small letters."""
    statements = read_zip(load("camt_053_three_days.zip"))
    check_one_account(statements, "de89 3704 0044 0532 0130 00")


def test_statement_of_another_account_is_refused_naming_four_digits():
    """The message names only the last four digits of the statement's account."""
    statements = read_zip(load("camt_053_three_days.zip"))
    message = refused(check_one_account, statements, OTHER_IBAN)
    assert message == "Der Auszug gehört zu einem anderen Konto (…3000)."
    assert OWN_IBAN not in message and OTHER_IBAN not in message
