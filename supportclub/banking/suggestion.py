"""A line's suggestion: what the matcher proposes and why, as stored in StatementLine.match_*.

``match_kind`` says why (MatchKind), ``match_person_id`` who, and ``match_data`` (JSON) what the
confirmation would book:

- ``claims``: ``[[claim_id, cents], ...]`` dues claims this credit pays, oldest first
- ``donation_cents``: what remains of the credit after the claims, booked as a donation to the
  general fund (a credit with a person and no open claims is a donation in full)
- ``booking_id``: PAYOUT and BOOKED: the existing booking the line is linked to (nothing is booked)
- ``debit_id``: COLLECTION and RETURN: our DirectDebit (by its EndToEndId)
- ``reason``: the values the reason text names (see labels.reason_text): ``mandate``, ``number``
  (member number), ``name``, ``years``, ``e2e``, ``code`` (return reason), ``payout``, ``date``

Nothing here touches the database; matching.py fills it, confirm.py books it.
"""

from dataclasses import dataclass, field

from supportclub.banking.models import MatchKind


@dataclass
class Suggestion:
    """What a line would become if the treasurer confirms it."""

    kind: MatchKind = MatchKind.NONE
    person_id: int | None = None
    claims: list[tuple[int, int]] = field(default_factory=list)
    donation_cents: int = 0
    booking_id: int | None = None
    debit_id: int | None = None
    reason: dict = field(default_factory=dict)

    def data(self) -> dict:
        """The JSON stored in match_data (empty parts left out)."""
        out: dict = {}
        if self.claims:
            out["claims"] = [[int(c), int(cents)] for c, cents in self.claims]
        if self.donation_cents:
            out["donation_cents"] = int(self.donation_cents)
        if self.booking_id is not None:
            out["booking_id"] = int(self.booking_id)
        if self.debit_id is not None:
            out["debit_id"] = int(self.debit_id)
        if self.reason:
            out["reason"] = dict(self.reason)
        return out

    @classmethod
    def of(cls, line) -> "Suggestion":
        """The suggestion stored on a StatementLine."""
        data = line.match_data or {}
        return cls(
            kind=MatchKind(line.match_kind),
            person_id=line.match_person_id,
            claims=[(int(c), int(cents)) for c, cents in data.get("claims", [])],
            donation_cents=int(data.get("donation_cents", 0)),
            booking_id=data.get("booking_id"),
            debit_id=data.get("debit_id"),
            reason=dict(data.get("reason", {})),
        )

    def apply_to(self, line) -> None:
        """Store this suggestion on `line` (not flushed)."""
        line.match_kind = self.kind
        line.match_person_id = self.person_id
        line.match_data = self.data()

    @property
    def is_bookable(self) -> bool:
        """True when confirming would book (or link) something: not "keine Zuordnung", and a
        debit from a person we know is not booked blindly (it is a cost the treasurer names)."""
        if self.kind == MatchKind.NONE:
            return False
        if self.kind in (MatchKind.PAYOUT, MatchKind.BOOKED):
            return self.booking_id is not None
        if self.kind in (MatchKind.COLLECTION, MatchKind.RETURN):
            return self.debit_id is not None
        return bool(self.claims or self.donation_cents)
