"""Security tests keep every upload in this test's temporary folders, never in instance/."""

import pytest


@pytest.fixture
def folders(app, tmp_path, monkeypatch):
    """UPLOAD_DIR and MEMBER_IMPORT_DIR point at fresh folders of this test."""
    uploads = tmp_path / "uploads"
    imports = tmp_path / "imports"
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(uploads))
    monkeypatch.setitem(app.config, "MEMBER_IMPORT_DIR", str(imports))
    return {"uploads": uploads, "imports": imports}
