"""Access rules of the member register, member pages, membership types and fee rates."""

from tests.access import READERS

TREASURER = ("treasurer",)

ROUTES = {
    "members.index": ("GET", "/mitglieder", READERS),
    "members.export": ("GET", "/mitglieder/export.csv", READERS),
    "members.create": ("GET", "/mitglieder/neu", TREASURER),
    "members.detail": ("GET", "/mitglieder/{member_id}", READERS),
    "members.edit": ("GET", "/mitglieder/{member_id}/bearbeiten", TREASURER),
    "members.membership_new": ("GET", "/mitglieder/{member_id}/mitgliedschaft/neu", TREASURER),
    "members.membership_end": (
        "GET",
        "/mitglieder/mitgliedschaft/{membership_id}/austritt",
        TREASURER,
    ),
    "members.mandate": ("GET", "/mitglieder/mitgliedschaft/{membership_id}/mandat", TREASURER),
    "members.payer": ("GET", "/mitglieder/mitgliedschaft/{membership_id}/zahler", TREASURER),
    "members.deactivate": ("POST", "/mitglieder/{member_id}/deaktivieren", TREASURER),
    "members.types": ("GET", "/mitglieder/arten", READERS),
    "members.type_new": ("GET", "/mitglieder/arten/neu", TREASURER),
    "members.type_edit": ("GET", "/mitglieder/arten/{membership_type_id}", TREASURER),
    "members.rate_new": ("GET", "/mitglieder/arten/{membership_type_id}/satz", TREASURER),
}


def context(users) -> dict:
    """A member with a running membership of a fresh type."""
    from tests.factories import make_member, membership_of

    member = make_member()
    membership = membership_of(member)
    return {
        "member_id": member.id,
        "membership_id": membership.id,
        "membership_type_id": membership.membership_type_id,
    }
