"""Access rules of the project pages: the treasurer records and acts; admin and board read
everything (also the documents); members see none of it."""

import atexit
import shutil
import tempfile

from tests.access import READERS

TREASURER = ("treasurer",)

ROUTES = {
    "projects.index": ("GET", "/projekte", READERS),
    "projects.new": ("GET", "/projekte/neu", TREASURER),
    "projects.detail": ("GET", "/projekte/{project_id}", READERS),
    "projects.edit": ("GET", "/projekte/{project_id}/bearbeiten", TREASURER),
    "projects.approve": ("GET", "/projekte/{project_id}/bewilligen", TREASURER),
    "projects.reject": ("GET", "/projekte/{project_id}/ablehnen", TREASURER),
    "projects.allocate": ("GET", "/projekte/{project_id}/zuweisen", TREASURER),
    "projects.payout": ("GET", "/projekte/{project_id}/auszahlen", TREASURER),
    "projects.proof": ("GET", "/projekte/{project_id}/nachweis", TREASURER),
    "projects.close": ("GET", "/projekte/{project_id}/abschliessen", TREASURER),
    "projects.release": ("GET", "/projekte/{project_id}/rueckbuchung", TREASURER),
    "projects.revoke_grant": (
        "GET",
        "/projekte/bewilligungen/{grant_id}/zuruecknehmen",
        TREASURER,
    ),
    "projects.document_upload": ("POST", "/projekte/{project_id}/dokumente", TREASURER),
    "projects.document": ("GET", "/projekte/dokumente/{document_id}", READERS),
    "projects.grants_total": ("GET", "/projekte/foerdersumme", READERS),
}

_TMP: list[str] = []


def _upload_dir() -> str:
    """A throwaway upload folder for the whole test session (instance/ stays clean)."""
    if not _TMP:
        _TMP.append(tempfile.mkdtemp(prefix="supportclub-uploads-"))
        atexit.register(shutil.rmtree, _TMP[0], True)
    return _TMP[0]


def context(users) -> dict:
    """An approved project (1.000 € of 5.000 € free money) with one stored PDF."""
    from datetime import date

    from flask import current_app

    from supportclub.extensions import db
    from supportclub.projects.documents import store_document
    from tests.factories import make_booking, make_grant, make_project

    if not current_app.config.get("UPLOAD_DIR"):
        current_app.config["UPLOAD_DIR"] = _upload_dir()
    make_booking(500000, booking_date=date(2025, 1, 10))
    project = make_project("Zugriffstest")
    grant = make_grant(project, 100000)
    document = store_document(
        project, data=b"%PDF-1.4 test", filename="antrag.pdf", kind="application", actor=None
    )
    db.session.commit()
    return {"project_id": project.id, "grant_id": grant.id, "document_id": document.id}
