"""The demo's memberships: types with fee rates, who pays late or by mandate, the yearly dues.

`choose_extras` decides without the database who has an alternate payer, who pays by SEPA
direct debit and who pays late; it draws from its own random generator, so the books planned
with the main one stay as they were. `record_dues_year` records a year's joining and leaving
members through the members services and runs that year's dues before the year's payments
are booked against the claims.
"""

import random
from datetime import date

from schwifty import IBAN
from sqlalchemy import select

from supportclub import demo_data as data
from supportclub.demo_books import Cast, Member
from supportclub.demo_plan import fee_cents
from supportclub.dues.models import DuesClaim
from supportclub.dues.services import run_dues
from supportclub.extensions import db
from supportclub.members.models import Membership, MembershipType
from supportclub.members.services import (
    add_fee_rate,
    create_membership_type,
    default_mandate_reference,
    join,
    leave,
    set_mandate,
    update_person,
)

DUES_RUN_DAY = (1, 15)  # the treasurer runs the year's dues in mid-January


def create_membership_types() -> dict[str, MembershipType]:
    """The four membership types with their fee rates, by code."""
    types = {}
    for order, (code, (name, description, rates)) in enumerate(data.MEMBERSHIP_TYPES.items()):
        mtype = create_membership_type(
            code=code, name=name, description=description, sort_order=order + 1, actor=None
        )
        for valid_from, cents in rates:
            add_fee_rate(mtype, valid_from=valid_from, amount_cents=cents, actor=None)
        types[code] = mtype
    return types


# Planning (no database) ------------------------------------------------------------------------


def choose_extras(rng: random.Random, cast: Cast, members: list[Member], years: list[int]) -> None:
    """Give two memberships an alternate payer, some a mandate, and plan the late payers.

    The login member (the first private person) pays nothing in the last year: "Mein Konto"
    shows paid years and one open claim. One member owes the last two years (a case for a
    dunning letter); three more owe the last year, two paid only half of it.
    """
    login = cast.privates[0]
    last, before = years[-1], years[-2]
    staying = [
        m for m in members if m.left is None and m.kind != "corporate" and m.person is not login
    ]
    recent = [m for m in staying if years[-8] <= m.joined < last]
    child = next(m for m in reversed(recent) if m.kind == "reduced")
    child.payer = _parent_of(rng, child, cast, members)
    employee = next(m for m in recent if m.kind == "regular")
    employee.payer = cast.companies[data.EMPLOYER_PAYS]

    def candidates(year: int) -> list[Member]:
        return [m for m in staying if m.payer is None and not m.late and m.joined < year]

    login_member = next(m for m in members if m.person is login)
    login_member.late[last] = 0
    two_years = rng.choice(candidates(before))
    two_years.late.update({before: 0, last: 0})
    for member in rng.sample(candidates(last), data.UNPAID_LAST_YEAR - 2):
        member.late[last] = 0
    for member in rng.sample(candidates(last), data.PARTLY_PAID_LAST_YEAR):
        member.late[last] = fee_cents(member.kind, last) // 2
    for member in rng.sample(candidates(last), data.MANDATES):
        member.mandate = True


def _parent_of(rng, child: Member, cast: Cast, members: list[Member]):
    """The parent: someone with the child's last name, else someone who is not a member."""
    others = [p for p in cast.privates if p is not child.person]
    same_name = [p for p in others if p.last_name == child.person.last_name]
    in_club = {id(m.person) for m in members}
    return rng.choice(same_name or [p for p in others if id(p) not in in_club] or others)


# Recording (through the services) --------------------------------------------------------------


def record_dues_year(
    rng: random.Random, year: int, members: list[Member], types: dict[str, MembershipType]
) -> dict[int, int]:
    """Record who left and who joined in `year`, run its dues; return claim id by membership.

    Members leave at the end of the year before their first unpaid year; new members join in
    the order of their joining day, so the member numbers follow it.
    """
    for member in members:
        if member.left == year and member.membership_id:
            leave(
                db.session.get(Membership, member.membership_id),
                end_date=date(year - 1, 12, 31),
                reason="Austritt zum Jahresende",
                actor=None,
            )
    newcomers = sorted((m for m in members if m.joined == year), key=lambda m: m.start)
    for member in newcomers:
        _join(rng, member, types)
    run_dues(year, actor=None, run_date=date(year, *DUES_RUN_DAY))
    claims = dict(
        db.session.execute(
            select(DuesClaim.membership_id, DuesClaim.id).where(DuesClaim.year == year)
        ).all()
    )
    expected = {m.membership_id for m in members if m.active(year)}
    if set(claims) != expected:
        raise RuntimeError(f"The dues run {year} does not match the demo's members.")
    return claims


def _join(rng: random.Random, member: Member, types: dict[str, MembershipType]) -> None:
    """Record one membership (with its payer and mandate) through the members services."""
    payer_id = member.payer.id if member.payer is not None else None
    membership = join(
        member.person,
        membership_type_id=types[member.kind].id,
        start_date=member.start,
        payer_id=payer_id,
        actor=None,
    )
    member.membership_id = membership.id
    if member.mandate:
        account = f"{rng.randrange(10**9, 10**10)}"
        iban = IBAN.generate("DE", bank_code=data.MANDATE_BANK_CODE, account_code=account).compact
        update_person(member.person, actor=None, iban=iban)
        reference = default_mandate_reference(membership)
        set_mandate(membership, reference=reference, signed_on=member.start, iban=iban, actor=None)
