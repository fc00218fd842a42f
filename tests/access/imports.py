"""Access rules of the member import (treasurer only)."""

TREASURER = ("treasurer",)

ROUTES = {
    "members.import_upload": ("GET", "/mitglieder/import", TREASURER),
    "members.import_mapping": ("GET", "/mitglieder/import/{upload_id}/zuordnung", TREASURER),
    "members.import_preview": ("GET", "/mitglieder/import/{upload_id}/vorschau", TREASURER),
    "members.import_errors": ("GET", "/mitglieder/import/{upload_id}/fehler.csv", TREASURER),
    "members.import_result": ("GET", "/mitglieder/import/{upload_id}/ergebnis", TREASURER),
}


def context(users) -> dict:
    """An upload of the treasurer (kept in a temporary folder)."""
    import tempfile

    from flask import current_app

    from supportclub.members.import_files import parse_file, store_upload

    if not current_app.config.get("MEMBER_IMPORT_DIR"):
        current_app.config["MEMBER_IMPORT_DIR"] = tempfile.mkdtemp(prefix="supportclub-import-")
    data = b"Nachname;Vorname;Eintritt\nMuster;Anna;01.02.2020\n"
    upload = store_upload(
        current_app.config["MEMBER_IMPORT_DIR"],
        data,
        parse_file(data),
        filename="liste.csv",
        owner_id=users["treasurer"].id,
        encoding="UTF-8",
    )
    return {"upload_id": upload.id}
