"""Suggest for each statement line what it pays, and say why (banking.md, "Matching").

``match_lines`` loads what it needs with a constant number of queries (persons, memberships,
remembered IBANs, open claims, our direct debits, the bank bookings of the period), then asks the
rules below line by line, in order of trust; the first rule that applies wins:

1. COLLECTION / RETURN: the EndToEndId is one of our direct debits
2. PAYOUT: a Stripe payout whose bank side is already booked
3. BOOKED: a booking entered by hand before the statement came (same amount, ±5 days)
4. MANDATE: the mandate reference of a membership
5. MEMBER_NUMBER: a member number after a keyword in the purpose text
6. IBAN: the counterparty IBAN is known for a person (remembered, the person's, a mandate's)
7. NAME_AMOUNT: the counterparty's name is exactly one person's and the amount fits
8. NONE

A credit from a known person pays that person's open claims, oldest first; what remains is a
donation. A debit from a known person is not suggested (a payment out is a cost the treasurer
names), except our own returned direct debit and a booking that already exists.
"""

from supportclub.banking.matching_context import (
    BOOKED_DAYS,
    PAYOUT_DAYS_AFTER,
    PAYOUT_DAYS_BEFORE,
    Claim,
    Context,
    load,
    member_numbers_in,
    name_key,
    normal_iban,
)
from supportclub.banking.models import LineState, MatchKind, StatementLine
from supportclub.banking.suggestion import Suggestion

__all__ = ["match_lines", "member_numbers_in", "name_key", "rematch_open"]

# Allocation ------------------------------------------------------------------------------------


def _years(claims: list[tuple[int, int]], by_id: dict[int, Claim]) -> str:
    return ", ".join(str(y) for y in sorted({by_id[c].year for c, _cents in claims}))


def _allocate(ctx: Context, person_id: int, amount: int, first: list[Claim] = ()):
    """The person's open claims paid by `amount`, oldest first (`first` before the others);
    the rest is a donation. Returns (claims, donation_cents, years text)."""
    claims: list[tuple[int, int]] = []
    by_id: dict[int, Claim] = {}
    rest = amount
    ordered = list(first) + [c for c in ctx.claims_of.get(person_id, []) if c not in first]
    for claim in ordered:
        if rest <= 0:
            break
        cents = min(rest, claim.open_cents)
        if cents <= 0:
            continue
        claim.open_cents -= cents
        rest -= cents
        claims.append((claim.id, cents))
        by_id[claim.id] = claim
    return claims, rest, _years(claims, by_id)


def _person_suggestion(ctx, kind, line, person_id, reason: dict) -> Suggestion:
    claims, donation, years = _allocate(ctx, person_id, line.amount_cents)
    if years:
        reason = {**reason, "years": years}
    return Suggestion(
        kind=kind, person_id=person_id, claims=claims, donation_cents=donation, reason=reason
    )


# The rules, in order of trust ------------------------------------------------------------------


def _collection(line, ctx: Context) -> Suggestion | None:
    """Our own direct debit (credit) or its return (debit), by the EndToEndId."""
    debit = ctx.debits.get(line.end_to_end_id or "")
    if debit is None or not debit.submitted:
        return None
    name = ctx.names.get(debit.person_id, "")
    if line.amount_cents < 0:
        if debit.returned_line_id not in (None, line.id):
            return None
        reason = {
            "e2e": line.end_to_end_id,
            "code": line.return_reason or "",
            "name": name,
            "years": str(debit.year),
        }
        return Suggestion(
            kind=MatchKind.RETURN, person_id=debit.person_id, debit_id=debit.id, reason=reason
        )
    if debit.paid_line_id not in (None, line.id):
        return None
    own = [c for c in ctx.claims_of.get(debit.person_id, []) if c.id == debit.claim_id]
    if line.amount_cents == debit.amount_cents:
        # the debit's own claim; what it no longer needs (settled meanwhile) is a donation
        cents = min(line.amount_cents, own[0].open_cents) if own else 0
        claims = [(debit.claim_id, cents)] if cents > 0 else []
        donation = line.amount_cents - cents
        if own:
            own[0].open_cents -= cents
    else:  # another amount: the person's open claims, the debit's first
        claims, donation, _years_text = _allocate(ctx, debit.person_id, line.amount_cents, own)
    reason = {"e2e": line.end_to_end_id, "name": name, "years": str(debit.year)}
    return Suggestion(
        kind=MatchKind.COLLECTION,
        person_id=debit.person_id,
        claims=claims,
        donation_cents=donation,
        debit_id=debit.id,
        reason=reason,
    )


def _closest(line, ctx: Context, before: int, after: int, only_payouts: bool):
    """The unused booking of the same amount dated closest to the line within the window."""
    best = None
    for booking in ctx.bookings.get(line.amount_cents, []):
        if booking.id in ctx.used_bookings or (only_payouts and booking.payout is None):
            continue
        delta = (booking.booking_date - line.booking_date).days
        if -before <= delta <= after and (best is None or abs(delta) < best[0]):
            best = (abs(delta), booking)
    if best is None:
        return None
    ctx.used_bookings.add(best[1].id)
    return best[1]


def _payout(line, ctx: Context) -> Suggestion | None:
    """A Stripe payout arriving: its bank side was booked when Stripe reported it."""
    text = f"{line.counterparty_name or ''} {line.purpose or ''}".lower()
    if line.amount_cents <= 0 or "stripe" not in text:
        return None
    booking = _closest(line, ctx, PAYOUT_DAYS_BEFORE, PAYOUT_DAYS_AFTER, only_payouts=True)
    if booking is None:
        return None
    return Suggestion(
        kind=MatchKind.PAYOUT, booking_id=booking.id, reason={"payout": booking.payout}
    )


def _booked(line, ctx: Context) -> Suggestion | None:
    """A booking typed in by hand before the statement came: same amount, a few days apart."""
    booking = _closest(line, ctx, BOOKED_DAYS, BOOKED_DAYS, only_payouts=False)
    if booking is None:
        return None
    return Suggestion(
        kind=MatchKind.BOOKED,
        booking_id=booking.id,
        reason={"date": booking.booking_date.strftime("%d.%m.%Y")},
    )


def _mandate(line, ctx: Context) -> Suggestion | None:
    """The mandate reference of a membership: its paying person."""
    found = ctx.mandates.get((line.mandate_reference or "").upper())
    if found is None or line.amount_cents <= 0:
        return None
    member_id, paying_id, reference = found
    number = ctx.numbers.get(member_id) or ctx.names.get(member_id, "")
    reason = {"mandate": reference, "number": str(number)}
    return _person_suggestion(ctx, MatchKind.MANDATE, line, paying_id, reason)


def _member_number(line, ctx: Context) -> Suggestion | None:
    """A member number after a keyword in the purpose text: that member (or their payer)."""
    if line.amount_cents <= 0:
        return None
    for number in member_numbers_in(line.purpose):
        member_id = ctx.by_number.get(number)
        if member_id is not None:
            paying_id = ctx.payer_of.get(member_id, member_id)
            reason = {"number": str(number), "name": ctx.names.get(member_id, "")}
            return _person_suggestion(ctx, MatchKind.MEMBER_NUMBER, line, paying_id, reason)
    return None


def _iban_known(line, ctx: Context) -> Suggestion | None:
    """The counterparty IBAN is known: remembered first, then a person's, then a mandate's."""
    key = normal_iban(line.counterparty_iban)
    if key is None or line.amount_cents <= 0:
        return None
    person_id = ctx.known_ibans.get(key) or ctx.person_ibans.get(key) or ctx.mandate_ibans.get(key)
    if person_id is None:
        return None
    reason = {"name": ctx.names.get(person_id, "")}
    return _person_suggestion(ctx, MatchKind.IBAN, line, person_id, reason)


def _name_amount(line, ctx: Context) -> Suggestion | None:
    """Exactly one person has the counterparty's name, and the amount is what they owe (in
    total, or one claim)."""
    if line.amount_cents <= 0 or not line.counterparty_name:
        return None
    candidates = ctx.by_name.get(name_key(line.counterparty_name), [])
    if len(candidates) != 1:
        return None
    person_id = candidates[0]
    open_claims = [c for c in ctx.claims_of.get(person_id, []) if c.open_cents > 0]
    if sum(c.open_cents for c in open_claims) == line.amount_cents:
        chosen = open_claims
    else:
        chosen = [c for c in open_claims if c.open_cents == line.amount_cents][:1]
    if not chosen:
        return None
    claims = [(c.id, c.open_cents) for c in chosen]
    for claim in chosen:
        claim.open_cents = 0
    return Suggestion(
        kind=MatchKind.NAME_AMOUNT,
        person_id=person_id,
        claims=claims,
        reason={"name": ctx.names[person_id], "years": _years(claims, {c.id: c for c in chosen})},
    )


RULES = (
    _collection,
    _payout,
    _booked,
    _mandate,
    _member_number,
    _iban_known,
    _name_amount,
)


def suggest(line, ctx: Context) -> Suggestion:
    """The first rule's suggestion for `line`, or "keine Zuordnung"."""
    for rule in RULES:
        suggestion = rule(line, ctx)
        if suggestion is not None:
            return suggestion
    return Suggestion()


def match_lines(lines: list[StatementLine]) -> None:
    """Compute and store the suggestion of every line (in bulk; flushes nothing)."""
    lines = list(lines)
    if not lines:
        return
    ctx = load(lines)
    for line in lines:
        suggest(line, ctx).apply_to(line)


def rematch_open(lines: list[StatementLine]) -> None:
    """Recompute the suggestions of the lines still waiting for a decision."""
    match_lines([line for line in lines if line.state == LineState.OPEN])
