"""Access rules of the campaign pages: the treasurer creates, edits and books; admin and board
read the list and the results; members see none of it."""

from tests.access import READERS

TREASURER = ("treasurer",)

ROUTES = {
    "campaigns.index": ("GET", "/aktionen", READERS),
    "campaigns.new": ("GET", "/aktionen/neu", TREASURER),
    "campaigns.detail": ("GET", "/aktionen/{campaign_id}", READERS),
    "campaigns.edit": ("GET", "/aktionen/{campaign_id}/bearbeiten", TREASURER),
    "campaigns.booking_new": ("GET", "/aktionen/{campaign_id}/buchung", TREASURER),
}


def context(users) -> dict:
    """A campaign of 2025."""
    from supportclub.campaigns.services import create_campaign
    from supportclub.extensions import db

    campaign = create_campaign(
        name="", series="Familienwandertag", year=2025, actor=users["treasurer"]
    )
    db.session.commit()
    return {"campaign_id": campaign.id}
