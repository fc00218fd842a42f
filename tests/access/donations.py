"""Access rules of the donation pages: the treasurer records; admin and board read the list, the
donor pages and the export; members see none of it."""

from tests.access import READERS

TREASURER = ("treasurer",)

ROUTES = {
    "donations.index": ("GET", "/spenden", READERS),
    "donations.new": ("GET", "/spenden/neu", TREASURER),
    "donations.batch": ("GET", "/spenden/sammelbuchung", TREASURER),
    "donations.donor": ("GET", "/spenden/spender/{donor_id}", READERS),
    "donations.export": ("GET", "/spenden/export.csv", READERS),
}


def context(users) -> dict:
    """A donor with one donation."""
    from tests.factories import make_booking, make_person

    donor = make_person()
    make_booking(2500, person_id=donor.id)
    return {"donor_id": donor.id}
