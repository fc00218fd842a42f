"""Access rules of the dues pages: the treasurer writes; admin and board read the overview and
the open list; members see none of it."""

from tests.access import READERS

TREASURER = ("treasurer",)

ROUTES = {
    "dues.overview": ("GET", "/beitraege", READERS),
    "dues.run": ("GET", "/beitraege/lauf", TREASURER),
    "dues.open_claims": ("GET", "/beitraege/offen", READERS),
    "dues.payment_new": ("GET", "/beitraege/zahlung/neu?claim_id={claim_id}", TREASURER),
    "dues.claim_waive": ("GET", "/beitraege/forderungen/{claim_id}/erlassen", TREASURER),
    "dues.settings": ("GET", "/beitraege/einstellungen", ("admin", "treasurer")),
}


def context(users) -> dict:
    """A member with a claim for 2025."""
    from tests.factories import make_claim, make_member

    return {"claim_id": make_claim(make_member(), 2025).id}
