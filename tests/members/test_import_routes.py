"""Member import in the browser: upload, mapping, preview, import, error report, ownership."""

import io
import json
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from supportclub.ledger.models import Person
from supportclub.members import import_files
from supportclub.members.import_files import parse_file
from supportclub.members.import_mapping import guess_mapping
from supportclub.members.models import Membership
from supportclub.members.services import join
from tests.conftest import login
from tests.factories import make_membership_type, make_person, make_user
from tests.members.test_import import make_xlsx

DATA = Path(__file__).parent / "data"


def count(db, model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar()


@pytest.fixture
def import_dir(app, tmp_path):
    """Uploads go to a temporary folder."""
    before = app.config.get("MEMBER_IMPORT_DIR")
    app.config["MEMBER_IMPORT_DIR"] = str(tmp_path)
    yield tmp_path
    app.config["MEMBER_IMPORT_DIR"] = before


@pytest.fixture
def types(db):
    return {
        "regular": make_membership_type("regular", name="Regulär"),
        "reduced": make_membership_type("reduced", name="Ermäßigt"),
        "company": make_membership_type("company", name="Firma"),
    }


def upload(client, data: bytes, *, filename="liste.csv", encoding="UTF-8"):
    return client.post(
        "/mitglieder/import",
        data={"file": (io.BytesIO(data), filename), "encoding": encoding},
        content_type="multipart/form-data",
    )


def upload_id_of(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    match = re.search(r"/mitglieder/import/([0-9a-f]{32})/zuordnung$", response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


def mapping_form(headers, **overrides) -> dict:
    """The mapping form as the page proposes it, with overrides."""
    data = {f"map_{key}": header or "" for key, header in guess_mapping(headers).items()}
    data.update(default_type_id="", default_entry_date="", submit="Weiter zur Prüfung")
    data.update(overrides)
    return data


GOOD_HEADERS = (DATA / "members_good.csv").read_bytes().decode("utf-8-sig").splitlines()[0]


def state(import_dir, upload_id) -> dict:
    return json.loads((import_dir / f"{upload_id}.json").read_text())


def test_a_treasurer_imports_a_file_step_by_step(db, treasurer_client, import_dir, types):
    client = treasurer_client
    assert "Mitglieder importieren" in client.get("/mitglieder/import").get_data(as_text=True)
    upload_id = upload_id_of(upload(client, (DATA / "members_good.csv").read_bytes()))
    assert (import_dir / f"{upload_id}.csv").exists()

    page = client.get(f"/mitglieder/import/{upload_id}/zuordnung").get_data(as_text=True)
    assert '<option selected value="Nachname">Nachname</option>' in page  # guessed
    assert '<option selected value="Mitgl.-Nr.">Mitgl.-Nr.</option>' in page
    assert "Bäckerei Schäfer GmbH" in page  # the first rows as a preview
    response = client.post(
        f"/mitglieder/import/{upload_id}/zuordnung", data=mapping_form(GOOD_HEADERS.split(";"))
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/mitglieder/import/{upload_id}/vorschau")

    page = client.get(f"/mitglieder/import/{upload_id}/vorschau").get_data(as_text=True)
    assert re.search(r'data-testid="count-new">3<', page)
    assert re.search(r'data-testid="count-errors">0<', page)
    assert "Import ausführen" in page

    before = count(db, Person)
    response = client.post(
        f"/mitglieder/import/{upload_id}/vorschau", data={"existing": "skip", "submit": "x"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/mitglieder/import/{upload_id}/ergebnis")
    assert count(db, Person) == before + 3
    anna = db.session.execute(select(Person).filter_by(last_name="Müller")).scalar_one()
    assert anna.memberships[0].mandate_reference == "M-0001"
    assert not (import_dir / f"{upload_id}.csv").exists()  # the file itself is gone

    page = client.get(f"/mitglieder/import/{upload_id}/ergebnis").get_data(as_text=True)
    assert re.search(r'data-testid="persons-created">3<', page)
    assert re.search(r'data-testid="mandates-created">2<', page)
    assert "Import abgeschlossen" in page

    # a second click imports nothing more
    again = client.post(
        f"/mitglieder/import/{upload_id}/vorschau", data={"existing": "skip", "submit": "x"}
    )
    assert again.status_code == 302 and again.headers["Location"].endswith("/ergebnis")
    assert count(db, Person) == before + 3


@pytest.mark.parametrize(
    ("data", "encoding", "message"),
    [
        (b"%PDF-1.4\n1 0 obj\n", "UTF-8", "keine CSV- oder Excel-Datei (erkannt: PDF-Dokument)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "UTF-8", "(erkannt: PNG-Bild)"),
        (b"", "UTF-8", "Die Datei ist leer."),
        (
            "Nachname;Eintritt\nMüller;01.01.2020\n".encode("cp1252"),
            "UTF-8",
            "Die Datei ist nicht UTF-8-kodiert (Zeile 2) – bitte die andere Kodierung wählen "
            "oder die Datei als UTF-8 speichern.",
        ),
        (b"Name;Name\nA;B\n", "UTF-8", "„Name“ kommt mehrfach vor"),
    ],
)
def test_a_bad_file_is_refused_at_the_file_field_and_not_kept(
    treasurer_client, import_dir, data, encoding, message
):
    response = upload(treasurer_client, data, encoding=encoding)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="file-error"' in page
    assert message in page
    assert list(import_dir.iterdir()) == []


def test_a_file_too_large_is_refused(treasurer_client, import_dir, monkeypatch):
    monkeypatch.setattr(import_files, "MAX_FILE_BYTES", 100)
    response = upload(treasurer_client, b"Nachname;Eintritt\n" + b"Meier;01.01.2020\n" * 20)
    assert response.status_code == 422
    assert "größer als" in response.get_data(as_text=True)
    assert list(import_dir.iterdir()) == []


def test_a_missing_required_column_is_named_next_to_its_select(treasurer_client, import_dir, types):
    upload_id = upload_id_of(
        upload(treasurer_client, b"Vorname;Ort;Eintritt\nAnna;Jena;01.01.2020\n")
    )
    response = treasurer_client.post(
        f"/mitglieder/import/{upload_id}/zuordnung",
        data=mapping_form(["Vorname", "Ort", "Eintritt"]),
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = re.search(r'id="map_last_name-error">([^<]+)<', page)
    assert error and error.group(1) == "Die Spalte für Nachname fehlt."
    assert re.search(r'id="map_membership_type-error">Die Spalte für Mitgliedsart fehlt', page)
    assert state(import_dir, upload_id)["options"] is None
    # the preview is not reachable before a complete mapping
    preview = treasurer_client.get(f"/mitglieder/import/{upload_id}/vorschau")
    assert preview.status_code == 302 and preview.headers["Location"].endswith("/zuordnung")


def test_defaults_on_the_mapping_page_complete_the_mapping(db, treasurer_client, import_dir, types):
    upload_id = upload_id_of(upload(treasurer_client, b"Nachname\nNurname\n"))
    response = treasurer_client.post(
        f"/mitglieder/import/{upload_id}/zuordnung",
        data=mapping_form(
            ["Nachname"],
            default_type_id=str(types["reduced"].id),
            default_entry_date="2024-04-01",
        ),
    )
    assert response.status_code == 302
    treasurer_client.post(f"/mitglieder/import/{upload_id}/vorschau", data={"submit": "x"})
    person = db.session.execute(select(Person).filter_by(last_name="Nurname")).scalar_one()
    (membership,) = person.memberships
    assert (membership.membership_type_id, membership.start_date) == (
        types["reduced"].id,
        date(2024, 4, 1),
    )


def prepared(client, data: bytes) -> str:
    """An upload with its proposed mapping confirmed; its id."""
    upload_id = upload_id_of(upload(client, data))
    headers = parse_file(data).headers
    response = client.post(f"/mitglieder/import/{upload_id}/zuordnung", data=mapping_form(headers))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return upload_id


def test_rows_with_errors_are_listed_and_nothing_can_be_imported(
    db, treasurer_client, import_dir, types
):
    upload_id = prepared(treasurer_client, (DATA / "members_bad_rows.csv").read_bytes())
    page = treasurer_client.get(f"/mitglieder/import/{upload_id}/vorschau").get_data(as_text=True)
    assert re.search(r'data-testid="count-errors">7<', page)
    assert "Import ausführen" not in page
    assert "<td>4</td><td>E-Mail</td><td>maria(at)example.org</td>" in page
    assert "fehler.csv" in page

    report = treasurer_client.get(f"/mitglieder/import/{upload_id}/fehler.csv")
    assert report.mimetype == "text/csv"
    assert "attachment" in report.headers["Content-Disposition"]
    lines = report.get_data().decode("utf-8-sig").splitlines()
    assert lines[0] == "Zeile;Spalte;Wert;Fehler"
    assert len(lines) == 8
    assert lines[1].startswith("3;IBAN;DE89370400440532013001;Die IBAN")

    before = count(db, Person)
    response = treasurer_client.post(
        f"/mitglieder/import/{upload_id}/vorschau", data={"existing": "skip", "submit": "x"}
    )
    assert response.status_code == 422
    assert "Nichts importiert: 7 Zeilen enthalten Fehler." in response.get_data(as_text=True)
    assert count(db, Person) == before


def test_persons_already_present_can_be_used_instead_of_skipped(
    db, treasurer_client, import_dir, types
):
    ada = make_person(first_name="Ada", last_name="Alt", email="ada@example.org")
    data = b"Nachname;Vorname;E-Mail;Beitragsart;Eintritt\nAlt;Ada;ADA@example.org;regular;01.01.2020\n"  # noqa: E501
    upload_id = prepared(treasurer_client, data)
    page = treasurer_client.get(f"/mitglieder/import/{upload_id}/vorschau").get_data(as_text=True)
    assert "bereits vorhanden: Alt, Ada (ohne Mitgliedsnummer)" in page
    assert "Zeile überspringen" in page
    assert "vorhandene Person verwenden (nur Mitgliedschaft anlegen, wenn sie fehlt)" in page
    before = count(db, Person)
    response = treasurer_client.post(
        f"/mitglieder/import/{upload_id}/vorschau", data={"existing": "use", "submit": "x"}
    )
    assert response.status_code == 302
    assert count(db, Person) == before
    db.session.refresh(ada)
    assert [m.start_date for m in ada.memberships] == [date(2020, 1, 1)]
    assert ada.member_number is not None


def test_skipping_is_the_default_for_persons_already_present(
    db, treasurer_client, import_dir, types
):
    taken = make_person(first_name="Ben", last_name="Bereits", email="ben@example.org")
    join(taken, membership_type_id=types["regular"].id, start_date=date(2019, 1, 1), actor=None)
    data = b"Nachname;E-Mail;Beitragsart;Eintritt\nBereits;ben@example.org;reduced;01.01.2020\nNeu;neu@example.org;regular;01.01.2020\n"  # noqa: E501
    upload_id = prepared(treasurer_client, data)
    page = treasurer_client.get(f"/mitglieder/import/{upload_id}/vorschau").get_data(as_text=True)
    checked = '<input checked class="form-check-input" id="existing-0" name="existing" type="radio" value="skip">'  # noqa: E501
    assert checked in page
    before = count(db, Membership)
    treasurer_client.post(f"/mitglieder/import/{upload_id}/vorschau", data={"submit": "x"})
    assert count(db, Membership) == before + 1
    result = treasurer_client.get(f"/mitglieder/import/{upload_id}/ergebnis")
    assert re.search(r'data-testid="skipped">1<', result.get_data(as_text=True))


def test_another_users_upload_is_not_found(app, treasurer_client, import_dir, types):
    upload_id = prepared(treasurer_client, (DATA / "members_good.csv").read_bytes())
    other = login(app.test_client(), make_user("treasurer"))
    for path in ("zuordnung", "vorschau", "fehler.csv", "ergebnis"):
        assert other.get(f"/mitglieder/import/{upload_id}/{path}").status_code == 404
    response = other.post(f"/mitglieder/import/{upload_id}/vorschau", data={"submit": "x"})
    assert response.status_code == 404
    assert treasurer_client.get(f"/mitglieder/import/{'0' * 32}/zuordnung").status_code == 404
    assert treasurer_client.get(f"/mitglieder/import/{upload_id}/zuordnung").status_code == 200


def test_another_sheet_of_a_workbook_can_be_chosen(db, treasurer_client, import_dir, types):
    data = make_xlsx(
        None,
        sheets={
            "Hinweise": [["Bitte vertraulich behandeln"], ["Stand 2024"]],
            "Mitglieder": [
                ["Nachname", "Beitragsart", "Eintritt"],
                ["Blatt", "regular", date(2012, 3, 4)],
            ],
        },
    )
    upload_id = upload_id_of(upload(treasurer_client, data, filename="liste.xlsx"))
    assert (import_dir / f"{upload_id}.xlsx").exists()
    page = treasurer_client.get(f"/mitglieder/import/{upload_id}/zuordnung").get_data(as_text=True)
    assert "Stand 2024" in page
    response = treasurer_client.post(
        f"/mitglieder/import/{upload_id}/zuordnung",
        data={"sheet": "Mitglieder", "change_sheet": "Blatt wechseln"},
    )
    assert response.status_code == 302
    page = treasurer_client.get(f"/mitglieder/import/{upload_id}/zuordnung").get_data(as_text=True)
    assert '<option selected value="Nachname">Nachname</option>' in page
    treasurer_client.post(
        f"/mitglieder/import/{upload_id}/zuordnung",
        data=mapping_form(["Nachname", "Beitragsart", "Eintritt"], sheet="Mitglieder"),
    )
    treasurer_client.post(f"/mitglieder/import/{upload_id}/vorschau", data={"submit": "x"})
    person = db.session.execute(select(Person).filter_by(last_name="Blatt")).scalar_one()
    assert person.memberships[0].start_date == date(2012, 3, 4)


def test_the_mojibake_warning_is_shown_on_the_mapping_page(treasurer_client, import_dir, types):
    upload_id = upload_id_of(upload(treasurer_client, "Nachname\nMÃ¼ller\n".encode()))
    page = treasurer_client.get(f"/mitglieder/import/{upload_id}/zuordnung").get_data(as_text=True)
    assert "falsch umgewandelten Umlauten" in page


def test_five_thousand_rows_pass_through_every_page_quickly(treasurer_client, import_dir, types):
    import time

    lines = [
        f"Nachname{i};Vorname;{10000 + i};p{i}@example.org;regular;01.01.2020" for i in range(5000)
    ]
    data = ("Nachname;Vorname;PLZ;E-Mail;Beitragsart;Eintritt\n" + "\n".join(lines)).encode()
    started = time.perf_counter()
    upload_id = prepared(treasurer_client, data)
    page = treasurer_client.get(f"/mitglieder/import/{upload_id}/vorschau")
    assert re.search(r'data-testid="count-new">5000<', page.get_data(as_text=True))
    response = treasurer_client.post(
        f"/mitglieder/import/{upload_id}/vorschau", data={"submit": "x"}
    )
    assert response.status_code == 302
    assert time.perf_counter() - started < 15
