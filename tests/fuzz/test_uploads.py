"""Uploads of random bytes are refused whole with a message; a request over the limit gets 413.

Bank statement import, member import, project documents and the receipts' facsimile signature.
"""

import io
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage

from tests.conftest import login
from tests.fuzz.hostile import ALLOWED_STATUS, Urls, changed, fingerprint, is_refusal, multipart

# name -> (url template, role, the other fields of the form, the file field)
UPLOADS = {
    "bank_import": ("/bank/importe", "treasurer", {}, "file"),
    "member_import": ("/mitglieder/import", "treasurer", {"encoding": "UTF-8"}, "file"),
    "project_document": (
        "/projekte/{project_id}/dokumente",
        "treasurer",
        {"kind": "other"},
        "file",
    ),
    "receipt_signature": (
        "/verwaltung/einstellungen/zuwendungsbestaetigungen",
        "admin",
        {"action": "signature", "sig-upload": "Unterschrift hochladen"},
        "sig-file",
    ),
}

FUZZ = settings(
    max_examples=6,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def _setup(app, users, name: str):
    """The url of the upload and a client of a role that may upload there."""
    template, role, fields, file_field = UPLOADS[name]
    url = template.format(project_id=Urls(users)("projects.detail").rsplit("/", 1)[1])
    client = login(app.test_client(), users[role])
    return url, client, fields, file_field


def upload(db, client, url: str, payload: dict, name: str):
    """Post the file: refused with a message (or, for a member list, only parked), DB unchanged."""
    before = fingerprint(db)
    response = client.post(url, **multipart(payload))
    status = response.status_code
    assert status in ALLOWED_STATUS, f"{name}: {status}"
    assert not changed(before, fingerprint(db)), f"{name}: random bytes changed the database"
    if name == "member_import" and status == 302:
        # bytes that happen to read as a one-column text list reach the mapping step: parked
        # in a file, nothing imported yet (the import itself is the preview's confirmation)
        assert "/zuordnung" in response.headers["Location"]
        return response
    assert is_refusal(response), f"{name}: {status} without a message"
    if status in (200, 422):
        body = response.get_data(as_text=True)
        assert "invalid-feedback" in body or "alert-danger" in body
    return response


@pytest.mark.parametrize("name", sorted(UPLOADS))
def test_random_bytes_are_refused_whole(app, db, users, name):
    """Empty, random and large random files: a message, never a 500, nothing written."""
    url, client, fields, file_field = _setup(app, users, name)

    @FUZZ
    @given(data=st.binary(max_size=4096), filename=st.sampled_from(["a.csv", "b.pdf", "c.png"]))
    def random_file(data, filename):
        payload = {**fields, file_field: FileStorage(io.BytesIO(data), filename)}
        upload(db, client, url, payload, name)

    random_file()
    for data in (b"", random.Random(7).randbytes(2 * 1024 * 1024)):
        upload(
            db, client, url, {**fields, file_field: FileStorage(io.BytesIO(data), "x.xml")}, name
        )


@pytest.mark.parametrize("name", sorted(UPLOADS))
def test_a_request_over_the_limit_is_413(app, db, users, name):
    """A body over MAX_CONTENT_LENGTH is refused with 413 and the German page; nothing written."""
    url, client, fields, file_field = _setup(app, users, name)
    size = app.config["MAX_CONTENT_LENGTH"] + 1024
    payload = {**fields, file_field: FileStorage(io.BytesIO(b"\x00" * size), "gross.xml")}
    before = fingerprint(db)
    response = client.post(url, **multipart(payload))
    assert response.status_code == 413
    assert "Die Datei ist zu groß" in response.get_data(as_text=True)
    assert not changed(before, fingerprint(db))
