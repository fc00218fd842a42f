"""Project documents: checked by content, stored under random names outside static/, served
only to book readers and only while the file matches its checksum."""

import hashlib
from pathlib import Path

import pytest
from werkzeug.test import EnvironBuilder

from supportclub.projects import documents
from supportclub.projects.documents import (
    JPEG,
    PDF,
    PNG,
    WEBP,
    detect_type,
    sanitise_filename,
    store_document,
    upload_root,
)
from supportclub.projects.models import DocumentKind, ProjectDocument
from tests.factories import make_project
from tests.projects.helpers import HTML_BYTES, PDF_BYTES, PNG_BYTES, count, upload

TEN_MB = 10 * 1024 * 1024


def _stored_files(folder: Path) -> list[Path]:
    """The files in the projects upload folder."""
    root = folder / "projects"
    return sorted(p for p in root.iterdir() if p.is_file()) if root.exists() else []


def _post(client, project, data: bytes, name: str, kind: str = "application"):
    """Upload a file to the project's documents.

    Built by hand so the temp file werkzeug's test client spools a large body into is closed
    (the client itself leaves it open, which the warnings-as-errors run reports).
    """
    builder = EnvironBuilder(
        path=f"/projekte/{project.id}/dokumente",
        method="POST",
        data={"file": upload(data, name), "kind": kind},
    )
    environ = builder.get_environ()
    try:
        return client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()


def test_a_pdf_is_stored_under_a_random_key_with_its_checksum(db, clients, upload_dir):
    project = make_project()
    response = _post(clients["treasurer"], project, PDF_BYTES, "Antrag.pdf")
    assert response.status_code == 302
    follow = clients["treasurer"].get(response.headers["Location"]).get_data(as_text=True)
    assert "Dokument „Antrag.pdf“ (" in follow and "gespeichert" in follow
    doc = db.session.execute(db.select(ProjectDocument)).scalar_one()
    assert (doc.filename, doc.content_type, doc.kind) == (
        "Antrag.pdf",
        "application/pdf",
        DocumentKind.APPLICATION,
    )
    assert doc.size_bytes == len(PDF_BYTES)
    assert doc.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    (stored,) = _stored_files(upload_dir)
    assert stored.name == doc.storage_key and "Antrag" not in stored.name
    assert stored.read_bytes() == PDF_BYTES
    assert not list((upload_dir / "projects").glob(".upload-*"))  # no temp file left


def test_board_downloads_a_pdf_as_attachment_and_a_member_cannot(db, clients):
    project = make_project()
    _post(clients["treasurer"], project, PDF_BYTES, "Bericht 2025.pdf")
    doc = db.session.execute(db.select(ProjectDocument)).scalar_one()
    response = clients["board"].get(f"/projekte/dokumente/{doc.id}")
    assert response.status_code == 200 and response.data == PDF_BYTES
    assert response.mimetype == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "Bericht 2025.pdf" in response.headers["Content-Disposition"]
    assert clients["member"].get(f"/projekte/dokumente/{doc.id}").status_code == 403
    assert clients["anonymous"].get(f"/projekte/dokumente/{doc.id}").status_code == 302


def test_a_png_is_accepted_and_shown_inline(db, clients):
    project = make_project()
    assert _post(clients["treasurer"], project, PNG_BYTES, "foto.PNG", "proof").status_code == 302
    doc = db.session.execute(db.select(ProjectDocument)).scalar_one()
    assert (doc.filename, doc.content_type, doc.kind) == ("foto.png", "image/png", "proof")
    response = clients["admin"].get(f"/projekte/dokumente/{doc.id}")
    assert response.headers["Content-Disposition"].startswith("inline;")
    assert response.mimetype == "image/png"


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (HTML_BYTES, "antrag.pdf", "Nur PDF- oder Bilddateien (PNG, JPEG, WebP) sind erlaubt."),
        (b"GIF89a" + b"\x00" * 20, "bild.gif", "Nur PDF- oder Bilddateien"),
        (b"PK\x03\x04zip", "antrag.pdf", "Nur PDF- oder Bilddateien"),
        (b"", "leer.pdf", "Die Datei ist leer."),
        (b"%PDF-" + b"0" * (TEN_MB - 4), "gross.pdf", "Die Datei ist größer als 10 MB."),
    ],
)
def test_a_bad_upload_is_refused_and_nothing_is_kept(db, clients, upload_dir, data, name, message):
    project = make_project()
    response = _post(clients["treasurer"], project, data, name)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(db, ProjectDocument) == 0
    assert _stored_files(upload_dir) == []


def test_exactly_ten_megabytes_is_accepted(db, clients, upload_dir):
    project = make_project()
    data = b"%PDF-" + b"0" * (TEN_MB - 5)
    assert _post(clients["treasurer"], project, data, "genau.pdf").status_code == 302
    assert db.session.execute(db.select(ProjectDocument.size_bytes)).scalar_one() == TEN_MB


def test_an_upload_without_a_file_says_so(db, clients):
    project = make_project()
    response = clients["treasurer"].post(
        f"/projekte/{project.id}/dokumente", data={"kind": "other"}
    )
    assert response.status_code == 422
    assert "Bitte eine Datei auswählen." in response.get_data(as_text=True)


def test_a_path_in_the_name_is_removed(db, clients, upload_dir):
    project = make_project()
    _post(clients["treasurer"], project, PDF_BYTES, "../../etc/passwd.pdf")
    doc = db.session.execute(db.select(ProjectDocument)).scalar_one()
    assert doc.filename == "passwd.pdf"
    (stored,) = _stored_files(upload_dir)
    assert stored.parent == upload_dir / "projects"


@pytest.mark.parametrize(
    ("name", "file_type", "expected"),
    [
        ("..\\..\\windows\\evil.pdf", PDF, "evil.pdf"),
        ("rechnung.exe", PDF, "rechnung.pdf"),
        ("foto.jpeg", JPEG, "foto.jpg"),
        ("bild.pdf", PNG, "bild.png"),
        ("Verwendungs\x00nach\x1bweis\n.pdf", PDF, "Verwendungsnachweis.pdf"),
        ("...", PDF, "Dokument.pdf"),
        ("", WEBP, "Dokument.webp"),
        ("Antrag v1.2 final.pdf", PDF, "Antrag v1.2 final.pdf"),
        ("Bericht\u202egnp.pdf", PDF, "Berichtgnp.pdf"),
        ("a" * 300 + ".pdf", PDF, "a" * 116 + ".pdf"),
    ],
)
def test_sanitise_filename(name, file_type, expected):
    assert sanitise_filename(name, file_type) == expected


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"%PDF-1.7", PDF),
        (b"\x89PNG\r\n\x1a\n....", PNG),
        (b"\xff\xd8\xff\xe0JFIF", JPEG),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", WEBP),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", None),
        (b"%PD", None),
        (b"<html>", None),
    ],
)
def test_detect_type_reads_the_content(data, expected):
    assert detect_type(data) == expected


def test_files_live_outside_static(app, db, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", None)
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "instance"))
    root = upload_root()
    assert root == tmp_path / "instance" / "uploads" / "projects"
    static = Path(app.static_folder).resolve()
    assert static not in root.resolve().parents


def test_a_changed_file_is_not_served(db, clients, upload_dir):
    project = make_project()
    _post(clients["treasurer"], project, PDF_BYTES, "antrag.pdf")
    doc = db.session.execute(db.select(ProjectDocument)).scalar_one()
    (upload_dir / "projects" / doc.storage_key).write_bytes(
        PDF_BYTES.replace(b"Catalog", b"Katalog")
    )
    response = clients["board"].get(f"/projekte/dokumente/{doc.id}")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Prüfsumme falsch" in page and "Katalog" not in page


def test_a_missing_file_is_reported(db, clients, upload_dir):
    project = make_project()
    _post(clients["treasurer"], project, PDF_BYTES, "antrag.pdf")
    doc = db.session.execute(db.select(ProjectDocument)).scalar_one()
    (upload_dir / "projects" / doc.storage_key).unlink()
    response = clients["board"].get(f"/projekte/dokumente/{doc.id}")
    assert response.status_code == 404
    assert "Die Datei zu diesem Dokument fehlt." in response.get_data(as_text=True)


def test_the_file_is_removed_when_the_database_write_fails(db, upload_dir, monkeypatch):
    project = make_project()

    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(documents.audit, "record", broken)
    with pytest.raises(RuntimeError):
        store_document(project, data=PDF_BYTES, filename="a.pdf", kind="other", actor=None)
    db.session.rollback()
    assert _stored_files(upload_dir) == []


def test_the_file_is_removed_when_the_commit_fails(app, db, clients, upload_dir, monkeypatch):
    project = make_project()
    real_commit = db.session.commit

    def failing_commit():
        raise RuntimeError("commit failed")

    monkeypatch.setattr(db.session, "commit", failing_commit)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        response = _post(clients["treasurer"], project, PDF_BYTES, "antrag.pdf")
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
        monkeypatch.setattr(db.session, "commit", real_commit)
    assert response.status_code == 500
    assert _stored_files(upload_dir) == []


def test_an_unknown_kind_is_refused(db, upload_dir):
    project = make_project()
    with pytest.raises(Exception, match="Art des Dokuments"):
        store_document(project, data=PDF_BYTES, filename="a.pdf", kind="invoice", actor=None)
    assert _stored_files(upload_dir) == []


def test_a_new_application_with_a_bad_document_is_refused_whole(db, clients, upload_dir):
    applicant_name = "Verein Spielraum"
    response = clients["treasurer"].post(
        "/projekte/neu",
        data={
            "new_person_kind": "organisation",
            "new_last_name": applicant_name,
            "title": "Bauwagen",
            "requested_cents": "800,00",
            "applied_on": "2025-02-01",
            "file": upload(HTML_BYTES, "antrag.pdf"),
        },
    )
    assert response.status_code == 422
    assert "Nur PDF- oder Bilddateien" in response.get_data(as_text=True)
    assert count(db, ProjectDocument) == 0 and _stored_files(upload_dir) == []
    from supportclub.projects.models import Project

    assert count(db, Project) == 0
