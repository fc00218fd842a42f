"""Uploads are judged by their content, never by their name or the browser's content type.

Every upload field (project documents, the receipts' facsimile signature, the member import)
refuses what its content is not, with a German message at the field, and then nothing is
stored: no row, no audit entry, no file in the upload folders.
"""

import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.test import EnvironBuilder

from supportclub import uploads
from supportclub.admin.services import get_settings
from supportclub.audit import AuditEntry
from supportclub.errors import ValidationError
from supportclub.ledger.models import Person
from supportclub.members import import_files
from supportclub.projects.models import Project, ProjectDocument
from tests.factories import make_project, make_receipt_settings
from tests.security.helpers import (
    EXE,
    HTML,
    count,
    field_error,
    files_in,
    hidden_script_pdf,
    image_bytes,
    pdf_bytes,
    scripted_pdf,
    xlsx_bytes,
)

SIGNATURE_URL = "/verwaltung/einstellungen/zuwendungsbestaetigungen"
PDF_ONLY_OR_IMAGE = "Die Datei ist kein PDF-, PNG-, JPEG- oder WebP-Dokument (erkannt: {})."
IMAGE_ONLY = "Die Datei ist kein PNG- oder JPEG-Dokument (erkannt: {})."
NOT_A_TABLE = "Die Datei ist keine CSV- oder Excel-Datei (erkannt: {})."
PNG_THEN_HTML = uploads.PNG_MAGIC + HTML
JPEG_THEN_HTML = b"\xff\xd8\xff\xe0" + HTML


def post_file(client, url: str, data: bytes, name: str, field: str = "file", **form):
    """POST a multipart form with one file, closing the temp file werkzeug spools large
    bodies into (the test client leaves it open; warnings are errors here)."""
    builder = EnvironBuilder(
        path=url, method="POST", data={field: (io.BytesIO(data), name), **form}
    )
    environ = builder.get_environ()
    try:
        return client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()


# sniff: what the bytes are ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (pdf_bytes(), uploads.PDF),
        (image_bytes("PNG"), uploads.PNG),
        (image_bytes("JPEG"), uploads.JPEG),
        (image_bytes("WEBP"), uploads.WEBP),
        (xlsx_bytes(), uploads.XLSX),
        ("Name;Straße\nMüller;Hauptstraße 1\n".encode(), uploads.TEXT),
        ("Name;Straße\nMüller;Hauptstraße 1\n".encode("cp1252"), uploads.TEXT),
        (b"\xef\xbb\xbf<?xml version='1.0'?><Document/>", uploads.XML),
        (HTML, uploads.HTML),
        (b"  <html><body>x</body></html>", uploads.HTML),
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', uploads.SVG),
        (EXE, uploads.EXE),
        (b"\x7fELF\x02\x01\x01", uploads.EXE),
        (b"MZ-Nummer;Name\n1;Anna\n", uploads.TEXT),  # a CSV may start like a program
        (b"GIF89a\x01\x00", uploads.GIF),
        (b"PK\x03\x04 not really a zip", uploads.ZIP),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", uploads.OLE),
        ("Name\n".encode("utf-16"), uploads.UTF16),
        (b"Name;\x00\x01\x02", uploads.BINARY),
        (b"Rechnung\n" + pdf_bytes(), uploads.BINARY),  # a polyglot: leading junk, then a PDF
        (b"Rechnung\n%PDF-1.4\n1 0 obj << >> endobj", uploads.TEXT),
        (b"", uploads.EMPTY),
    ],
)
def test_sniff_names_the_content(data, expected):
    assert uploads.sniff(data) == expected


def test_a_png_named_pdf_is_refused_where_only_pdf_is_taken():
    with pytest.raises(ValidationError) as refused:
        uploads.check_upload(image_bytes("PNG"), (uploads.PDF,), max_bytes=10_000)
    assert refused.value.message == "Die Datei ist kein PDF-Dokument (erkannt: PNG-Bild)."
    assert refused.value.field == "file"


def test_images_must_have_the_structure_their_header_claims():
    for good in (image_bytes("PNG"), image_bytes("JPEG"), image_bytes("WEBP")):
        kind = uploads.sniff(good)
        assert uploads.check_upload(good, (kind,), max_bytes=10_000) == kind
    for bad, label in ((PNG_THEN_HTML, "PNG-Bild"), (JPEG_THEN_HTML, "JPEG-Bild")):
        with pytest.raises(ValidationError) as refused:
            uploads.check_upload(bad, (uploads.PNG, uploads.JPEG), max_bytes=10_000)
        assert refused.value.message == (
            f"Die Datei gibt sich als {label} aus, ist aber beschädigt oder kein echtes Bild."
        )


def test_scripts_in_pdfs_are_found_also_when_hidden():
    assert not uploads.pdf_has_scripts(pdf_bytes())
    assert uploads.pdf_has_scripts(scripted_pdf())
    assert uploads.pdf_has_scripts(hidden_script_pdf())
    # a plain /OpenAction that only opens a page (as Word writes it) is harmless
    goto = pdf_bytes().replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction [3 0 R /Fit]", 1)
    assert not uploads.pdf_has_scripts(goto)
    launch = pdf_bytes().replace(b"/Type /Catalog", b"/Type /Catalog /AA << /O << /S /Launch >> >>")
    assert uploads.pdf_has_scripts(launch)


def test_size_limit_and_empty_file():
    with pytest.raises(ValidationError, match=r"^Die Datei ist leer\.$"):
        uploads.check_upload(b"", (uploads.PDF,), max_bytes=100)
    data = b"%PDF-" + b"0" * 95
    assert uploads.check_upload(data, (uploads.PDF,), max_bytes=100) == uploads.PDF
    with pytest.raises(ValidationError, match="größer als 2 MB"):
        uploads.check_upload(b"%PDF-" + b"0" * (2 * 1024 * 1024), (uploads.PDF,), max_bytes=2 << 20)


MAGICS = [
    b"",
    b"%PDF-",
    uploads.PNG_MAGIC,
    b"\xff\xd8\xff",
    b"RIFF\x00\x00\x00\x00WEBP",
    b"PK\x03\x04",
]
ALL_ACCEPTED = (uploads.PDF, uploads.PNG, uploads.JPEG, uploads.WEBP, uploads.XLSX, uploads.TEXT)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.sampled_from(MAGICS), st.binary(max_size=300))
def test_any_bytes_are_accepted_as_a_taken_kind_or_refused_with_a_message(magic, rest):
    data = magic + rest
    try:
        kind = uploads.check_upload(data, ALL_ACCEPTED, max_bytes=250, refuse_pdf_scripts=True)
    except ValidationError as refused:
        assert refused.field == "file" and refused.message
    else:
        assert kind in ALL_ACCEPTED and kind == uploads.sniff(data) and 0 < len(data) <= 250


# Project documents: PDF, PNG, JPEG or WebP; no scripts in PDFs ------------------------------


@pytest.fixture
def project(db):
    """A project to upload documents to."""
    return make_project()


def _doc_state(db, folders) -> tuple:
    """Everything an upload could leave behind."""
    return count(db, ProjectDocument), count(db, AuditEntry), files_in(folders["uploads"])


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (HTML, "antrag.pdf", PDF_ONLY_OR_IMAGE.format("HTML-Dokument")),
        (EXE, "antrag.pdf", PDF_ONLY_OR_IMAGE.format("Programmdatei")),
        (b"Rechnung\n" + pdf_bytes(), "antrag.pdf", PDF_ONLY_OR_IMAGE.format("Binärdatei")),
        (b"x\n%PDF-1.4\n%%EOF", "antrag.pdf", PDF_ONLY_OR_IMAGE.format("Textdatei (CSV)")),
        (b"GIF89a" + b"\x00" * 20, "foto.png", PDF_ONLY_OR_IMAGE.format("GIF-Bild")),
        (xlsx_bytes(), "antrag.pdf", PDF_ONLY_OR_IMAGE.format("Excel-Datei (XLSX)")),
        (
            PNG_THEN_HTML,
            "foto.png",
            "Die Datei gibt sich als PNG-Bild aus, ist aber beschädigt oder kein echtes Bild.",
        ),
        (
            JPEG_THEN_HTML,
            "foto.jpg",
            "Die Datei gibt sich als JPEG-Bild aus, ist aber beschädigt oder kein echtes Bild.",
        ),
        (scripted_pdf(), "antrag.pdf", "Das PDF enthält JavaScript oder automatische Aktionen"),
        (hidden_script_pdf(), "antrag.pdf", "Das PDF enthält JavaScript"),
        (b"", "leer.pdf", "Die Datei ist leer."),
        (b"%PDF-" + b"0" * 16 * 1024, "gross.pdf", "Die Datei ist größer als 16 KB."),
    ],
)
def test_a_project_document_is_refused_by_content(
    app, db, clients, folders, project, monkeypatch, data, name, message
):
    monkeypatch.setitem(app.config, "DOCUMENT_MAX_BYTES", 16 * 1024)
    before = _doc_state(db, folders)
    response = post_file(
        clients["treasurer"], f"/projekte/{project.id}/dokumente", data, name, kind="application"
    )
    assert response.status_code == 422
    assert message in field_error(response.get_data(as_text=True), "file")
    assert _doc_state(db, folders) == before == (0, before[1], [])


@pytest.mark.parametrize(
    ("data", "name", "stored_name", "content_type", "disposition"),
    [
        (pdf_bytes(), "antrag.png", "antrag.pdf", "application/pdf", "attachment"),
        (image_bytes("PNG"), "antrag.pdf", "antrag.png", "image/png", "inline"),
        (image_bytes("JPEG"), "foto.exe", "foto.jpg", "image/jpeg", "inline"),
        (image_bytes("WEBP"), "foto", "foto.webp", "image/webp", "inline"),
    ],
)
def test_a_project_document_is_stored_and_served_as_what_it_is(
    db, clients, folders, project, data, name, stored_name, content_type, disposition
):
    response = post_file(
        clients["treasurer"], f"/projekte/{project.id}/dokumente", data, name, kind="other"
    )
    assert response.status_code == 302
    doc = db.session.execute(db.select(ProjectDocument)).scalar_one()
    assert (doc.filename, doc.content_type, doc.size_bytes) == (
        stored_name,
        content_type,
        len(data),
    )
    assert files_in(folders["uploads"]) == [f"projects/{doc.storage_key}"]
    served = clients["board"].get(f"/projekte/dokumente/{doc.id}")
    assert served.status_code == 200 and served.data == data
    assert served.mimetype == content_type
    assert served.headers["Content-Disposition"].startswith(disposition + ";")
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]


def test_a_new_application_with_a_disguised_file_is_refused_whole(db, clients, folders):
    before = _doc_state(db, folders), count(db, Project), count(db, Person)
    response = post_file(
        clients["treasurer"],
        "/projekte/neu",
        HTML,
        "antrag.pdf",
        new_person_kind="organisation",
        new_last_name="Verein Spielraum",
        title="Bauwagen",
        requested_cents="800,00",
        applied_on="2025-02-01",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert PDF_ONLY_OR_IMAGE.format("HTML-Dokument") in field_error(page, "file")
    assert (_doc_state(db, folders), count(db, Project), count(db, Person)) == before


def test_a_body_over_the_global_limit_is_refused_before_reading(
    app, db, clients, folders, project, monkeypatch
):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    before = _doc_state(db, folders)
    data = b"%PDF-" + b"0" * (1024 * 1024 + 100)
    response = post_file(clients["treasurer"], f"/projekte/{project.id}/dokumente", data, "a.pdf")
    assert response.status_code == 413
    assert "Die Datei ist zu groß; erlaubt sind höchstens 1 MB." in response.get_data(as_text=True)
    assert _doc_state(db, folders) == before


# The facsimile signature: PNG or JPEG ---------------------------------------------------------


@pytest.fixture
def receipt_settings(db):
    """Complete receipt settings (the settings page needs them)."""
    return make_receipt_settings()


def _signature_state(db, folders) -> tuple:
    db.session.expire_all()
    return get_settings().facsimile_key, count(db, AuditEntry), files_in(folders["uploads"])


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (pdf_bytes(), "unterschrift.png", IMAGE_ONLY.format("PDF-Dokument")),
        (HTML, "unterschrift.png", IMAGE_ONLY.format("HTML-Dokument")),
        (EXE, "unterschrift.jpg", IMAGE_ONLY.format("Programmdatei")),
        (image_bytes("WEBP"), "unterschrift.png", IMAGE_ONLY.format("WebP-Bild")),
        (PNG_THEN_HTML, "unterschrift.png", "gibt sich als PNG-Bild aus"),
        (b"", "unterschrift.png", "Die Datei ist leer."),
        (
            uploads.PNG_MAGIC + b"\x00" * (1024 * 1024),
            "unterschrift.png",
            "Das Bild der Unterschrift darf höchstens 1 MB groß sein.",
        ),
    ],
)
def test_a_signature_that_is_no_image_is_refused(
    db, clients, folders, receipt_settings, data, name, message
):
    before = _signature_state(db, folders)
    response = post_file(
        clients["treasurer"], SIGNATURE_URL, data, name, field="sig-file", action="signature"
    )
    assert response.status_code == 422
    assert message in field_error(response.get_data(as_text=True), "sig-file")
    assert _signature_state(db, folders) == before
    assert before[0] is None and before[2] == []


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_real_signature_image_is_kept(db, clients, folders, receipt_settings, fmt):
    data = image_bytes(fmt)
    response = post_file(
        clients["treasurer"], SIGNATURE_URL, data, "scan.pdf", field="sig-file", action="signature"
    )
    assert response.status_code == 302
    key, _, files = _signature_state(db, folders)
    assert files == [f"signature/{key}"]
    assert (folders["uploads"] / "signature" / key).read_bytes() == data


# The member import: CSV or XLSX -------------------------------------------------------------


def _import_state(db, folders) -> tuple:
    return count(db, Person), count(db, AuditEntry), files_in(folders["imports"])


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (EXE, "mitglieder.csv", NOT_A_TABLE.format("Programmdatei")),
        (HTML, "mitglieder.csv", NOT_A_TABLE.format("HTML-Dokument")),
        (pdf_bytes(), "mitglieder.csv", NOT_A_TABLE.format("PDF-Dokument")),
        (image_bytes("PNG"), "mitglieder.xlsx", NOT_A_TABLE.format("PNG-Bild")),
        (b"<?xml version='1.0'?><liste/>", "mitglieder.csv", NOT_A_TABLE.format("XML-Dokument")),
        (b"", "mitglieder.csv", "Die Datei ist leer."),
        (
            b"Vorname;Nachname\n" + b"Anna;Muster\n" * 100_000,
            "mitglieder.csv",
            "Die Datei ist größer als 1 MB.",
        ),
    ],
)
def test_a_member_list_that_is_no_table_is_refused(
    db, clients, folders, monkeypatch, data, name, message
):
    monkeypatch.setattr(import_files, "MAX_FILE_BYTES", 1024 * 1024)
    before = _import_state(db, folders)
    response = post_file(clients["treasurer"], "/mitglieder/import", data, name, encoding="UTF-8")
    assert response.status_code == 422
    assert message in field_error(response.get_data(as_text=True), "file")
    assert _import_state(db, folders) == before
    assert before[2] == []


@pytest.mark.parametrize(
    ("data", "name", "kind"),
    [
        (xlsx_bytes(), "mitglieder.csv", "xlsx"),
        ("Vorname;Nachname\nJörg;Müller\n".encode(), "mitglieder.xlsx", "csv"),
    ],
)
def test_a_member_list_is_read_as_what_its_content_is(db, clients, folders, data, name, kind):
    response = post_file(clients["treasurer"], "/mitglieder/import", data, name, encoding="UTF-8")
    assert response.status_code == 302
    upload_id = response.headers["Location"].split("/")[-2]
    state = json.loads((folders["imports"] / f"{upload_id}.json").read_text())
    assert state["kind"] == kind
    assert (folders["imports"] / f"{upload_id}.{kind}").read_bytes() == data
