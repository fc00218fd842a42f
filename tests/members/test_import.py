"""Member import without HTTP: reading files, mapping, checking rows, importing all or nothing."""

import io
import os
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import event, func, select

from supportclub.audit import AuditEntry
from supportclub.errors import ValidationError
from supportclub.ledger.models import Person, PersonKind
from supportclub.members import import_files
from supportclub.members.import_checks import parse_date, validate_rows
from supportclub.members.import_files import ImportFileError, detect_delimiter, parse_file
from supportclub.members.import_mapping import (
    EXISTING_USE,
    ImportOptions,
    check_mapping,
    guess_mapping,
)
from supportclub.members.importer import (
    ImportRejected,
    error_report_csv,
    import_members,
    import_members_from_file,
)
from supportclub.members.models import Membership
from supportclub.members.services import join
from supportclub.numbering import NumberSequence
from tests.factories import make_membership_type, make_person, make_user

DATA = Path(__file__).parent / "data"
GOOD_CSV = DATA / "members_good.csv"
HEADER = "Nachname;Vorname;PLZ;E-Mail;IBAN;Beitragsart;Eintritt"


def count(db, model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar()


@pytest.fixture
def types(db):
    """The association's membership types."""
    return {
        "regular": make_membership_type("regular", name="Regulär"),
        "reduced": make_membership_type("reduced", name="Ermäßigt"),
        "company": make_membership_type("company", name="Firma"),
    }


@pytest.fixture
def actor(db):
    return make_user("treasurer")


def run(data: bytes, *, actor=None, encoding="UTF-8", mapping=None, options=None):
    """Parse and import bytes; the caller's session holds the result."""
    parsed = parse_file(data, encoding=encoding)
    mapping = mapping or guess_mapping(parsed.headers)
    return import_members(parsed, mapping, options or ImportOptions(), actor=actor)


def person_by_name(db, last_name: str) -> Person:
    return db.session.execute(select(Person).filter_by(last_name=last_name)).scalar_one()


def csv_bytes(*lines: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode()


# good files -----------------------------------------------------------------------------------


def assert_good_file_imported(db, types):
    """The three members of members_good.csv, exactly."""
    anna = person_by_name(db, "Müller")
    assert (anna.kind, anna.first_name, anna.street, anna.postal_code, anna.city) == (
        PersonKind.PRIVATE,
        "Anna",
        "Hauptstraße 1",
        "07743",
        "Jena",
    )
    assert anna.email == "anna.mueller@example.org"
    assert anna.phone == "03641 123456"
    assert anna.iban == "DE89370400440532013000"
    assert anna.member_number == 1001
    (membership,) = anna.memberships
    assert membership.membership_type_id == types["regular"].id
    assert (membership.start_date, membership.end_date) == (date(2015, 3, 1), None)
    assert membership.mandate_reference == "M-0001"
    assert membership.mandate_date == date(2015, 2, 15)
    assert membership.mandate_iban == "DE89370400440532013000"

    joerg = person_by_name(db, "Weiß")
    assert (joerg.first_name, joerg.postal_code, joerg.city, joerg.iban) == (
        "Jörg",
        "99423",
        "Weimar",
        None,
    )
    assert joerg.member_number == 1002
    (membership,) = joerg.memberships
    assert membership.membership_type_id == types["reduced"].id  # by name, case-insensitive
    assert (membership.start_date, membership.end_date) == (date(2020, 1, 1), date(2024, 12, 31))
    assert membership.mandate_reference is None

    bakery = person_by_name(db, "Bäckerei Schäfer GmbH")
    assert bakery.kind == PersonKind.ORGANISATION
    assert bakery.street == "Markt 3; Hinterhaus"  # quoted separator
    assert bakery.member_number == 1003
    (membership,) = bakery.memberships
    assert membership.membership_type_id == types["company"].id
    assert membership.start_date == date(2019, 6, 1)
    assert membership.mandate_reference == "SCH-2019/1"
    assert membership.mandate_iban == "DE02120300000000202051"  # defaults to the person's IBAN


def test_a_utf8_csv_with_bom_imports_persons_memberships_and_mandates(db, types, actor):
    data = GOOD_CSV.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    before = count(db, Person)
    summary = run(data, actor=actor)
    db.session.commit()
    assert count(db, Person) == before + 3
    assert (summary.rows, summary.persons_created, summary.memberships_created) == (3, 3, 3)
    assert summary.mandates_created == 2
    assert (summary.first_number, summary.last_number) == (1001, 1003)
    assert_good_file_imported(db, types)


def test_a_windows_1252_csv_keeps_its_umlauts(db, types, actor):
    text = GOOD_CSV.read_bytes().decode("utf-8-sig")
    data = text.encode("cp1252")
    assert "ü".encode("cp1252") in data
    run(data, actor=actor, encoding="Windows-1252")
    db.session.commit()
    assert_good_file_imported(db, types)


def make_xlsx(rows, *, sheets=None) -> bytes:
    """An .xlsx file; rows of the first sheet, or {sheet name: rows}."""
    book = Workbook()
    sheets = sheets or {"Mitglieder": rows}
    for index, (name, sheet_rows) in enumerate(sheets.items()):
        sheet = book.active if index == 0 else book.create_sheet()
        sheet.title = name
        for row in sheet_rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


XLSX_HEADER = [
    "Mitgliedsnummer",
    "Name",
    "Vorname",
    "PLZ",
    "Ort",
    "Email",
    "Mitgliedsart",
    "Eintrittsdatum",
]


def test_an_xlsx_file_imports_with_real_dates_and_numbers(db, types, actor):
    data = make_xlsx(
        [
            XLSX_HEADER,
            [
                17,
                "Schulz",
                "Sabine",
                7743,
                "Jena",
                "sabine@example.org",
                "Regulär",
                datetime(2001, 4, 1),
            ],
            [None, None, None, None, None, None, None, None],
            [18.0, "Krause", "Kai", "04109", "Leipzig", None, "reduced", "02.05.1999"],
        ]
    )
    parsed = parse_file(data)
    assert parsed.kind == "xlsx" and parsed.sheet == "Mitglieder"
    assert [number for number, _ in parsed.rows] == [2, 4]  # the empty row keeps its number
    summary = run(data, actor=actor)
    db.session.commit()
    assert summary.persons_created == 2
    sabine = person_by_name(db, "Schulz")
    assert (sabine.member_number, sabine.postal_code, sabine.email) == (
        17,
        "07743",  # Excel had dropped the leading zero
        "sabine@example.org",
    )
    assert sabine.memberships[0].start_date == date(2001, 4, 1)
    assert sabine.memberships[0].membership_type_id == types["regular"].id
    kai = person_by_name(db, "Krause")
    assert (kai.member_number, kai.email) == (18, None)
    assert kai.memberships[0].start_date == date(1999, 5, 2)


def test_an_xlsx_sheet_can_be_chosen(db, types):
    data = make_xlsx(
        None,
        sheets={
            "Hinweise": [["Diese Liste ist vertraulich"]],
            "Aktive": [["Nachname", "Eintritt"], ["Zander", date(2010, 1, 1)]],
        },
    )
    parsed = parse_file(data, sheet="Aktive")
    assert parsed.sheets == ["Hinweise", "Aktive"]
    assert parsed.headers == ["Nachname", "Eintritt"]
    with pytest.raises(ImportFileError, match="Tabellenblatt „Fehlt“ gibt es nicht"):
        parse_file(data, sheet="Fehlt")


def test_an_empty_first_sheet_is_passed_over():
    data = make_xlsx(
        None, sheets={"Leer": [], "Liste": [["Nachname"], ["Zander"]], "Rest": [["x"], ["y"]]}
    )
    parsed = parse_file(data)
    assert (parsed.sheet, parsed.headers) == ("Liste", ["Nachname"])
    with pytest.raises(ImportFileError, match="keine Daten"):
        parse_file(data, sheet="Leer")
    with pytest.raises(ImportFileError, match="keine Daten"):
        parse_file(make_xlsx([]))


def test_one_audit_entry_with_counts_for_the_whole_import(db, types, actor):
    before = count(db, AuditEntry)
    run(GOOD_CSV.read_bytes(), actor=actor)
    entries = (
        db.session.execute(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
        .scalars()
        .all()
    )
    assert count(db, AuditEntry) == before + 1
    assert entries[0].action == "members.imported"
    assert entries[0].actor_id == actor.id
    assert entries[0].data["persons_created"] == 3
    assert entries[0].data["mandates_created"] == 2


def test_import_from_file_for_scripts(db, types, tmp_path):
    path = tmp_path / "liste.csv"
    path.write_bytes(GOOD_CSV.read_bytes())
    summary = import_members_from_file(path)
    assert summary.persons_created == 3


# reading: separators, dates, mapping guesses --------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Name;Vorname;Ort", ";"),
        ("Name,Vorname,Ort", ","),
        ("Name\tVorname\tOrt", "\t"),
        ('"Name, Vorname";Ort', ";"),
        ("Name", ";"),
    ],
)
def test_the_separator_is_detected(header, expected):
    assert detect_delimiter(header + "\nx\n") == expected


def test_a_comma_separated_file_with_quotes_is_read(db):
    parsed = parse_file(b'Name,Strasse,Ort\n"Meier, Dr.","Weg 1, Hof",Jena\n')
    assert parsed.headers == ["Name", "Strasse", "Ort"]
    assert parsed.rows == [(2, ["Meier, Dr.", "Weg 1, Hof", "Jena"])]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("01.03.2015", date(2015, 3, 1)),
        ("1.3.2015", date(2015, 3, 1)),
        ("01.03.15", date(2015, 3, 1)),
        ("01.03.85", date(1985, 3, 1)),
        ("2015-03-01", date(2015, 3, 1)),
        ("2015-03-01 00:00:00", date(2015, 3, 1)),
    ],
)
def test_date_formats(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["31.02.2020", "2020/03/01", "März 2020", "1.3."])
def test_bad_dates_are_refused(text):
    with pytest.raises(ValueError):
        parse_date(text)


def test_the_mapping_is_guessed_from_german_and_english_headers():
    headers = [
        "Mitgl.-Nr.",
        "Name",
        "Vorname",
        "Strasse",
        "PLZ",
        "Ort",
        "E-Mail",
        "IBAN",
        "Mitgliedsart",
        "Eintritt",
        "Austritt",
        "Mandatsreferenz",
        "Bemerkung",
    ]
    mapping = guess_mapping(headers)
    assert mapping["member_number"] == "Mitgl.-Nr."
    assert mapping["last_name"] == "Name"
    assert mapping["first_name"] == "Vorname"
    assert mapping["street"] == "Strasse"
    assert mapping["postal_code"] == "PLZ"
    assert mapping["city"] == "Ort"
    assert mapping["email"] == "E-Mail"
    assert mapping["iban"] == "IBAN"
    assert mapping["membership_type"] == "Mitgliedsart"
    assert mapping["entry_date"] == "Eintritt"
    assert mapping["exit_date"] == "Austritt"
    assert mapping["mandate_reference"] == "Mandatsreferenz"
    assert "Bemerkung" not in mapping.values()
    english = guess_mapping(["Last name", "First name", "Email", "Street", "Zip", "City"])
    assert english["last_name"] == "Last name"
    assert english["postal_code"] == "Zip"
    assert (
        guess_mapping(["Straße", "Eintrittsdatum", "Beitragsart", "Nachname"])["street"] == "Straße"
    )


def test_missing_required_columns_are_named():
    headers = ["Vorname", "Ort"]
    problems = check_mapping(guess_mapping(headers), headers, ImportOptions())
    assert problems["last_name"] == "Die Spalte für Nachname fehlt."
    assert problems["membership_type"].startswith("Die Spalte für Mitgliedsart fehlt")
    assert problems["entry_date"].startswith("Die Spalte für Eintrittsdatum fehlt")
    with_defaults = ImportOptions(default_type_id=1, default_entry_date=date(2020, 1, 1))
    assert set(check_mapping(guess_mapping(headers), headers, with_defaults)) == {"last_name"}


def test_an_import_without_a_required_column_writes_nothing(db, types):
    before = count(db, Person)
    with pytest.raises(ValidationError, match="Die Spalte für Nachname fehlt"):
        run(b"Vorname;Beitragsart;Eintritt\nAnna;regular;01.01.2020\n")
    assert count(db, Person) == before


def test_defaults_fill_type_and_entry_date(db, types):
    options = ImportOptions(
        default_type_id=types["reduced"].id, default_entry_date=date(2024, 1, 1)
    )
    summary = run(b"Nachname;Beitragsart\nOhneArt;\nMitArt;regular\n", options=options)
    assert summary.persons_created == 2
    assert person_by_name(db, "OhneArt").memberships[0].membership_type_id == types["reduced"].id
    with_type = person_by_name(db, "MitArt").memberships[0]
    assert (with_type.membership_type_id, with_type.start_date) == (
        types["regular"].id,
        date(2024, 1, 1),
    )


# bad files -------------------------------------------------------------------------------------


def test_a_windows_1252_file_read_as_utf8_is_refused_with_its_line():
    data = "Nachname;Eintritt\nMeier;01.01.2020\nMüller;01.01.2020\n".encode("cp1252")
    with pytest.raises(ImportFileError) as error:
        parse_file(data, encoding="UTF-8")
    assert error.value.message == (
        "Die Datei ist nicht UTF-8-kodiert (Zeile 3) – bitte die andere Kodierung wählen "
        "oder die Datei als UTF-8 speichern."
    )


def test_a_utf8_file_read_as_windows_1252_is_refused():
    data = "Nachname;Eintritt\nMüller;01.01.2020\n".encode()
    with pytest.raises(ImportFileError, match=r"nicht Windows-1252-kodiert \(Zeile 2\)"):
        parse_file(data, encoding="Windows-1252")


def test_mojibake_in_utf8_text_gives_a_warning():
    parsed = parse_file("Nachname;Ort\nMÃ¼ller;Jena\n".encode())
    assert len(parsed.warnings) == 1
    assert "Zeile 2" in parsed.warnings[0] and "Ã¼" in parsed.warnings[0]
    assert parse_file("Nachname;Ort\nMüller;Jena\n".encode()).warnings == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "Die Datei ist leer."),
        (b"\xef\xbb\xbf\r\n\r\n", "Die Datei ist leer."),
        (b";;\n;;\n", "keine Daten"),
        (b"Nachname;Vorname\n", "nur die Kopfzeile"),
        (b"Meier;Anna;01.01.2020\nSchulz;Sven;01.01.2021\n", "keine Spaltenüberschriften"),
        (b"Name;Ort;name\nMeier;Jena;x\n", "„name“ kommt mehrfach vor (Spalten 1 und 3)"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "keine CSV- oder Excel-Datei (erkannt: PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "keine CSV- oder Excel-Datei (erkannt: PNG"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "alte Excel-Format (.xls)"),
        (b"PK\x03\x04garbage", "beschädigt"),
        ("Name;Ort\n".encode("utf-16"), "UTF-16"),
        (b"Name;Ort\x00\x01\x02", "Binärdatei"),
    ],
)
def test_unusable_files_are_refused_with_a_specific_message(data, message):
    with pytest.raises(ImportFileError) as error:
        parse_file(data)
    assert message in error.value.message
    assert error.value.field == "file"


def test_a_file_with_a_wrong_extension_is_judged_by_content():
    # an .xlsx renamed to .csv is still read as Excel; the extension plays no part
    data = make_xlsx([["Nachname", "Eintritt"], ["Wolf", date(2020, 1, 1)]])
    assert parse_file(data).kind == "xlsx"


def test_too_many_rows_are_refused(monkeypatch):
    monkeypatch.setattr(import_files, "MAX_ROWS", 3)
    data = csv_bytes(*[f"Name{i};;;;;regular;01.01.2020" for i in range(4)])
    with pytest.raises(ImportFileError, match="mehr als 3 Datenzeilen"):
        parse_file(data)
    assert len(parse_file(csv_bytes(*[f"N{i};;;;;r;01.01.2020" for i in range(3)])).rows) == 3


def test_too_many_xlsx_rows_are_refused(monkeypatch):
    monkeypatch.setattr(import_files, "MAX_ROWS", 2)
    data = make_xlsx([["Nachname"], ["A"], ["B"], ["C"]])
    with pytest.raises(ImportFileError, match="mehr als 2 Datenzeilen"):
        parse_file(data)


def test_a_file_above_the_size_limit_is_refused(monkeypatch):
    monkeypatch.setattr(import_files, "MAX_FILE_BYTES", 1024 * 1024)
    data = csv_bytes(*["Meier;Anna;07743;;;regular;01.01.2020"] * 40_000)
    with pytest.raises(ImportFileError, match="größer als 1 MB"):
        parse_file(data)


# bad rows ---------------------------------------------------------------------------------------


def test_every_bad_row_is_reported_with_row_and_column_and_nothing_is_written(db, types):
    before_persons, before_memberships = count(db, Person), count(db, Membership)
    data = (DATA / "members_bad_rows.csv").read_bytes()
    with pytest.raises(ImportRejected) as rejected:
        run(data)
    db.session.rollback()
    assert count(db, Person) == before_persons
    assert count(db, Membership) == before_memberships
    errors = {(e.row, e.column): e for e in rejected.value.validation.errors}
    assert set(errors) == {
        (3, "IBAN"),
        (4, "E-Mail"),
        (5, "Eintritt"),
        (6, "Austritt"),
        (7, "Beitragsart"),
        (8, "Mandatsreferenz"),
        (9, "Mandatsreferenz"),
    }
    assert "Prüfsumme falsch" in errors[3, "IBAN"].message
    assert errors[3, "IBAN"].value == "DE89370400440532013001"
    assert errors[4, "E-Mail"].message == "Die E-Mail-Adresse maria(at)example.org ist ungültig."
    assert errors[5, "Eintritt"].message.startswith("„31.02.2020“ ist kein gültiges Datum")
    assert errors[6, "Austritt"].message == (
        "Das Enddatum darf nicht vor dem Beginn (01.06.2020) liegen."
    )
    assert "„Ehrenmitglied“ ist unbekannt" in errors[7, "Beitragsart"].message
    assert "nicht erlaubt sind: Ä" in errors[8, "Mandatsreferenz"].message
    assert "36 Zeichen lang; erlaubt sind höchstens 35" in errors[9, "Mandatsreferenz"].message
    assert rejected.value.validation.error_row_count == 7


def test_all_errors_of_one_row_are_collected(db, types):
    data = csv_bytes("X;Y;123;nope;DE00;Unbekannt;gestern")
    validation = validate_rows(parse_file(data), guess_mapping(HEADER.split(";")), ImportOptions())
    assert [e.column for e in validation.errors] == [
        "PLZ",
        "E-Mail",
        "IBAN",
        "Beitragsart",
        "Eintritt",
    ]
    assert {e.row for e in validation.errors} == {2}


def test_the_error_report_is_a_csv_for_excel(db, types):
    validation = validate_rows(
        parse_file((DATA / "members_bad_rows.csv").read_bytes()),
        guess_mapping(
            [
                "Nachname",
                "Vorname",
                "E-Mail",
                "IBAN",
                "Beitragsart",
                "Eintritt",
                "Austritt",
                "Mandatsreferenz",
                "Mandatsdatum",
            ]
        ),
        ImportOptions(),
    )
    report = error_report_csv(validation.errors)
    assert report.startswith("\ufeffZeile;Spalte;Wert;Fehler\r\n")
    assert (
        "4;E-Mail;maria(at)example.org;Die E-Mail-Adresse maria(at)example.org ist ungültig."
        in report
    )


def test_the_same_email_or_member_number_twice_in_the_file_is_an_error(db, types):
    data = (
        b"Mitgliedsnummer;Nachname;E-Mail;Beitragsart;Eintritt\n"
        b"5;Eins;doppelt@example.org;regular;01.01.2020\n"
        b"5;Zwei;Doppelt@Example.org;regular;01.01.2020\n"
    )
    with pytest.raises(ImportRejected) as rejected:
        run(data)
    messages = {(e.row, e.column): e.message for e in rejected.value.validation.errors}
    assert messages == {
        (3, "Mitgliedsnummer"): "Die Mitgliedsnummer 5 steht schon in Zeile 2.",
        (3, "E-Mail"): "Die E-Mail-Adresse doppelt@example.org steht schon in Zeile 2.",
    }


def test_a_mandate_needs_its_date_and_an_iban(db, types):
    data = (
        b"Nachname;IBAN;Beitragsart;Eintritt;Mandatsreferenz;Mandatsdatum;Mandats-IBAN\n"
        b"Ohne;;regular;01.01.2020;M-1;;\n"
        b"Nurdatum;;regular;01.01.2020;;01.01.2020;\n"
        b"Eigene;DE89370400440532013000;regular;01.01.2020;M-2;01.01.2020;DE02500105170137075030\n"
    )
    mapping = guess_mapping(data.decode().splitlines()[0].split(";"))
    assert mapping["mandate_iban"] == "Mandats-IBAN"
    with pytest.raises(ImportRejected) as rejected:
        run(data, mapping=mapping)
    messages = {(e.row, e.column): e.message for e in rejected.value.validation.errors}
    assert messages == {
        (2, "Mandatsdatum"): "Bitte das Datum der Unterschrift angeben.",
        (2, "Mandats-IBAN"): "Bitte die IBAN des Mandats angeben.",
        (3, "Mandatsreferenz"): "Bitte die Mandatsreferenz angeben.",
    }


def test_a_mandate_reference_in_use_is_an_error(db, types):
    from supportclub.members.services import set_mandate

    person = make_person()
    membership = join(
        person, membership_type_id=types["regular"].id, start_date=date(2020, 1, 1), actor=None
    )
    set_mandate(
        membership,
        reference="M-9",
        signed_on=date(2020, 1, 1),
        iban="DE89370400440532013000",
        actor=None,
    )
    data = b"Nachname;IBAN;Beitragsart;Eintritt;Mandatsreferenz;Mandatsdatum\n"
    data += b"Neu;DE02500105170137075030;regular;01.01.2020;M-9;01.01.2020\n"
    with pytest.raises(ImportRejected) as rejected:
        run(data)
    (error,) = rejected.value.validation.errors
    assert error.message == "Die Mandatsreferenz M-9 ist schon vergeben."


def test_an_inactive_type_is_refused(db, types):
    from supportclub.members.services import update_membership_type

    update_membership_type(types["reduced"], actor=None, name="Ermäßigt", is_active=False)
    with pytest.raises(ImportRejected) as rejected:
        run(b"Nachname;Beitragsart;Eintritt\nAlt;reduced;01.01.2020\n")
    assert rejected.value.validation.errors[0].message == (
        "Die Mitgliedsart „reduced“ ist nicht mehr aktiv."
    )


# persons already present ---------------------------------------------------------------------


@pytest.fixture
def present(db, types):
    """Three persons in the register: one member (with number), two without membership."""
    eva = make_person(first_name="Eva", last_name="Ebert", email="eva@example.org")
    join(eva, membership_type_id=types["regular"].id, start_date=date(2018, 1, 1), actor=None)
    ida = make_person(first_name="Ida", last_name="Iban", email=None)
    ida.iban = "DE02500105170137075030"
    nora = make_person(first_name="Nora", last_name="Name", postal_code="07743", email=None)
    db.session.commit()
    return {"eva": eva, "ida": ida, "nora": nora}


PRESENT_FILE = csv_bytes(
    "Ebert;Eva;99999;EVA@example.org;;regular;01.01.2020",
    "Anders;Ida;;;DE02 5001 0517 0137 0750 30;reduced;01.01.2021",
    "name;nora;07743;;;regular;01.01.2022",
    "Neu;Nils;07743;nils@example.org;;regular;01.01.2023",
)


def test_persons_already_present_are_detected_by_email_iban_or_name_and_postal_code(
    db, types, present
):
    validation = validate_rows(
        parse_file(PRESENT_FILE), guess_mapping(HEADER.split(";")), ImportOptions()
    )
    assert validation.errors == []
    labels = {row.row: row.existing.label for row in validation.existing_rows}
    eva_number = present["eva"].member_number
    assert labels == {
        2: f"bereits vorhanden: Ebert, Eva (Nr. {eva_number})",
        3: "bereits vorhanden: Iban, Ida (ohne Mitgliedsnummer)",
        4: "bereits vorhanden: Name, Nora (ohne Mitgliedsnummer)",
    }
    assert validation.new_count == 1


def test_skipping_persons_already_present_imports_only_the_new_ones(db, types, present):
    before_persons, before_memberships = count(db, Person), count(db, Membership)
    summary = run(PRESENT_FILE)
    assert (summary.persons_created, summary.existing_skipped) == (1, 3)
    assert count(db, Person) == before_persons + 1
    assert count(db, Membership) == before_memberships + 1
    db.session.refresh(present["ida"])
    assert present["ida"].memberships == []


def test_using_persons_already_present_adds_only_missing_memberships(db, types, present):
    before_persons = count(db, Person)
    eva_number = present["eva"].member_number
    summary = run(PRESENT_FILE, options=ImportOptions(existing=EXISTING_USE))
    db.session.commit()
    assert summary.persons_created == 1
    assert (summary.existing_used, summary.existing_unchanged) == (2, 1)
    assert count(db, Person) == before_persons + 1
    eva, ida, nora = present["eva"], present["ida"], present["nora"]
    assert len(eva.memberships) == 1  # she is a member since 2018: nothing added
    assert eva.member_number == eva_number
    assert [(m.membership_type_id, m.start_date) for m in ida.memberships] == [
        (types["reduced"].id, date(2021, 1, 1))
    ]
    assert ida.last_name == "Iban"  # the person's data stays as it was
    assert [m.start_date for m in nora.memberships] == [date(2022, 1, 1)]
    numbers = sorted(
        [ida.member_number, nora.member_number, person_by_name(db, "Neu").member_number]
    )
    assert numbers == [eva_number + 1, eva_number + 2, eva_number + 3]


# member numbers -----------------------------------------------------------------------------


def test_given_member_numbers_are_kept_and_later_numbers_come_after_them(db, types):
    data = (
        "Mitgl.-Nr.;Nachname;Beitragsart;Eintritt\n"
        "7;Sieben;regular;01.01.2000\n"
        "5000;Fünftausend;regular;01.01.2000\n"
        ";Ohne;regular;01.01.2000\n"
    ).encode()
    summary = run(data)
    assert person_by_name(db, "Sieben").member_number == 7
    assert person_by_name(db, "Fünftausend").member_number == 5000
    assert person_by_name(db, "Ohne").member_number == 5001
    assert (summary.first_number, summary.last_number) == (7, 5001)
    sequence = db.session.get(NumberSequence, "member")
    assert sequence.last_value == 5001
    later = make_person()
    join(later, membership_type_id=types["regular"].id, start_date=date(2025, 1, 1), actor=None)
    assert later.member_number == 5002


def test_a_member_number_in_use_is_an_error(db, types):
    taken = make_person(last_name="Vorhanden", email="vorhanden@example.org")
    join(taken, membership_type_id=types["regular"].id, start_date=date(2020, 1, 1), actor=None)
    data = f"Mitgl.-Nr.;Nachname;Beitragsart;Eintritt\n{taken.member_number};Anders;regular;01.01.2020\n0;Null;regular;01.01.2020\n"  # noqa: E501
    with pytest.raises(ImportRejected) as rejected:
        run(data.encode())
    messages = [(e.row, e.message) for e in rejected.value.validation.errors]
    assert messages == [
        (2, f"Die Mitgliedsnummer {taken.member_number} ist schon vergeben (Vorhanden, Anna)."),
        (3, "Die Mitgliedsnummer „0“ ist keine positive ganze Zahl."),
    ]


# uploads -------------------------------------------------------------------------------------


def test_an_upload_belongs_to_its_owner_and_expires(tmp_path):
    data = csv_bytes("Meier;Anna;;;;regular;01.01.2020")
    upload = import_files.store_upload(
        tmp_path, data, parse_file(data), filename="../liste.csv", owner_id=7, encoding="UTF-8"
    )
    assert upload.filename == "liste.csv"
    assert (tmp_path / f"{upload.id}.csv").read_bytes() == data
    assert import_files.load_upload(tmp_path, upload.id, 7).mapping["last_name"] == "Nachname"
    assert import_files.load_upload(tmp_path, upload.id, 8) is None
    assert import_files.load_upload(tmp_path, "../etc/passwd", 7) is None
    upload.created_at = (datetime.now().astimezone() - timedelta(hours=25)).isoformat()
    import_files.save_upload(tmp_path, upload)
    assert import_files.load_upload(tmp_path, upload.id, 7) is None


def test_old_uploads_are_removed_on_the_next_upload(tmp_path):
    data = csv_bytes("Meier;Anna;;;;regular;01.01.2020")
    old = import_files.store_upload(
        tmp_path, data, parse_file(data), filename="a.csv", owner_id=1, encoding="UTF-8"
    )
    day_ago = time.time() - 25 * 3600
    for path in tmp_path.glob(f"{old.id}.*"):
        os.utime(path, (day_ago, day_ago))
    new = import_files.store_upload(
        tmp_path, data, parse_file(data), filename="b.csv", owner_id=1, encoding="UTF-8"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([f"{new.id}.csv", f"{new.id}.json"])


# speed ---------------------------------------------------------------------------------------


def big_file(rows: int) -> bytes:
    """Rows with and without e-mail, IBAN and exit date, mixed as in a real list."""
    lines = [
        f"Nachname{i};Vorname;{10000 + i};{f'person{i}@example.org' if i % 3 else ''};"
        f"{'DE89370400440532013000' if i % 2 else ''};regular;01.01.2020;"
        f"{'31.12.2024' if i % 5 == 1 else ''}"
        for i in range(rows)
    ]
    return csv_bytes(*lines, header=HEADER + ";Austritt")


def test_the_number_of_queries_does_not_grow_with_the_rows(db, types, app):
    def queries_for(rows: int) -> int:
        statements = []

        def count_statement(*args):
            statements.append(args[2])

        engine = db.engine
        event.listen(engine, "before_cursor_execute", count_statement)
        try:
            run(big_file(rows))
        finally:
            event.remove(engine, "before_cursor_execute", count_statement)
        db.session.rollback()
        return len(statements)

    assert queries_for(5) == queries_for(300)


def test_five_thousand_rows_import_in_a_few_seconds(db, types):
    data = big_file(5000)
    started = time.perf_counter()
    summary = run(data)
    elapsed = time.perf_counter() - started
    assert summary.persons_created == 5000
    assert count(db, Membership) >= 5000
    assert elapsed < 10, f"import of 5,000 rows took {elapsed:.1f} s"
