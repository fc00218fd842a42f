"""Access rules of privacy (DSGVO): treasurer and admin read the overview and a person's data
export; only the treasurer erases; board and auditor have no need (403). Every login may fetch
its own export under "Mein Konto" (without a member record it is sent back to "Mein Konto")."""

from tests.access import ALL

STAFF = ("admin", "treasurer")

ROUTES = {
    "privacy.index": ("GET", "/datenschutz", STAFF),
    "privacy.export_json": (
        "GET",
        "/datenschutz/personen/{privacy_person_id}/auskunft.json",
        STAFF,
    ),
    "privacy.export_pdf": ("GET", "/datenschutz/personen/{privacy_person_id}/auskunft.pdf", STAFF),
    "privacy.erase": ("GET", "/datenschutz/personen/{privacy_person_id}/loeschen", ("treasurer",)),
    "portal.my_data_json": ("GET", "/mein-konto/meine-daten.json", ALL),
    "portal.my_data_pdf": ("GET", "/mein-konto/meine-daten.pdf", ALL),
}


def context(users) -> dict:
    """A person to export or erase; the member login linked to a person of its own."""
    from supportclub.extensions import db
    from tests.factories import make_person

    users["member"].person_id = make_person().id
    person = make_person()
    db.session.commit()
    return {"privacy_person_id": person.id}
