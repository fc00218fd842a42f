"""Whether a membership's SEPA mandate can be used for a collection on a given date.

A mandate lapses after 36 months without a collection (banking.md): its last use is the latest
collection date of its debits in submitted (not cancelled) collections, or the date it was
signed when it was never used. A one-off mandate (OOFF) allows exactly one collection.
"""

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from sqlalchemy import func, select

from supportclub.banking.models import CollectionStatus, DebitCollection, DirectDebit
from supportclub.chunks import chunked
from supportclub.extensions import db
from supportclub.members.models import Membership

__all__ = ["LAPSE_MONTHS", "MandateCheck", "MandateState", "lapse_limit", "mandate_checks"]

LAPSE_MONTHS = 36


class MandateState(enum.StrEnum):
    """What a mandate allows on a collection date."""

    VALID = "valid"
    MISSING = "missing"
    LAPSED = "lapsed"
    OOFF_USED = "ooff_used"
    IBAN_INVALID = "iban_invalid"


@dataclass(frozen=True)
class MandateCheck:
    """A membership's mandate state, its last use and the sequence type a debit would get."""

    state: MandateState
    last_use: date | None = None
    used: bool = False  # collected at least once under this mandate

    @property
    def is_valid(self) -> bool:
        """True when a debit may be drawn under the mandate."""
        return self.state == MandateState.VALID


def lapse_limit(collection_date: date) -> date:
    """The earliest last use that keeps a mandate alive on ``collection_date`` (36 months)."""
    year = collection_date.year - LAPSE_MONTHS // 12
    try:
        return collection_date.replace(year=year)
    except ValueError:  # 29 February
        return collection_date.replace(year=year, day=28)


@lru_cache(maxsize=16384)
def _valid_iban(value: str | None) -> bool:
    """True for an IBAN that schwifty accepts (cached: checked once per value)."""
    try:
        IBAN(value or "")
    except SchwiftyException:
        return False
    return True


def last_uses(membership_ids: Iterable[int]) -> dict[tuple[int, str], date]:
    """(membership id, mandate reference upper-cased) -> latest collection date of a submitted
    debit; one query per 500 memberships."""
    found: dict[tuple[int, str], date] = {}
    for chunk in chunked(sorted(set(membership_ids))):
        query = (
            select(
                DirectDebit.membership_id,
                func.upper(DirectDebit.mandate_reference),
                func.max(DebitCollection.collection_date),
            )
            .join(DebitCollection, DebitCollection.id == DirectDebit.collection_id)
            .where(
                DebitCollection.status == CollectionStatus.SUBMITTED,
                DirectDebit.membership_id.in_(chunk),
            )
            .group_by(DirectDebit.membership_id, func.upper(DirectDebit.mandate_reference))
        )
        for membership_id, reference, last in db.session.execute(query):
            found[(membership_id, reference)] = last
    return found


def mandate_checks(
    memberships: Iterable[Membership], collection_date: date
) -> dict[int, MandateCheck]:
    """The mandate state of each membership for a collection on ``collection_date``.

    In bulk: the last uses of all memberships come from one query (per 500 memberships).
    """
    memberships = list(memberships)
    uses = last_uses(m.id for m in memberships if m.mandate_reference)
    limit = lapse_limit(collection_date)
    checks: dict[int, MandateCheck] = {}
    for membership in memberships:
        checks[membership.id] = check_one(membership, uses, limit)
    return checks


def check_one(
    membership: Membership, uses: dict[tuple[int, str], date], limit: date
) -> MandateCheck:
    """The state of one membership's mandate given the last uses and the lapse limit."""
    if not membership.mandate_reference or not membership.mandate_date:
        return MandateCheck(MandateState.MISSING)
    used_on = uses.get((membership.id, membership.mandate_reference.upper()))
    last_use = used_on or membership.mandate_date
    if not _valid_iban(membership.mandate_iban):
        return MandateCheck(MandateState.IBAN_INVALID, last_use, used_on is not None)
    if membership.mandate_type == "OOFF" and used_on is not None:
        return MandateCheck(MandateState.OOFF_USED, last_use, True)
    if last_use < limit:
        return MandateCheck(MandateState.LAPSED, last_use, used_on is not None)
    return MandateCheck(MandateState.VALID, last_use, used_on is not None)
