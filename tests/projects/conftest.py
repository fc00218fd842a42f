"""Project tests keep uploaded documents in a temporary folder, never in instance/."""

import pytest


@pytest.fixture(autouse=True)
def upload_dir(request, tmp_path, monkeypatch):
    """UPLOAD_DIR points at this test's tmp_path (for tests that use the `app` fixture)."""
    folder = tmp_path / "uploads"
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        monkeypatch.setitem(app.config, "UPLOAD_DIR", str(folder))
    return folder
