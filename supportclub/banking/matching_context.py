"""What the matcher looks at, loaded once per call with a constant number of queries: persons
and their names, memberships and mandates, remembered IBANs, open claims, our direct debits and the
bank bookings of the period; and how names and IBANs are compared."""

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import aliased

from supportclub.banking.models import (
    CollectionStatus,
    DebitCollection,
    DirectDebit,
    KnownIban,
    LineState,
    MatchKind,
    StatementLine,
)
from supportclub.chunks import chunked
from supportclub.dues.models import DuesClaim
from supportclub.dues.queries import OPEN
from supportclub.extensions import db
from supportclub.ledger.models import Account, Booking, Channel, Person, full_name_of
from supportclub.members.models import Membership

CHUNK = 5000  # values per IN (...) list: far below the parameter limits of SQLite and PostgreSQL
BOOKED_DAYS = 5  # a hand-entered booking may be dated this many days before or after the line
PAYOUT_DAYS_BEFORE = 7  # a payout is booked on its arrival date, up to a week before the line
PAYOUT_DAYS_AFTER = 3

_MEMBER_NUMBER_RE = re.compile(
    r"\b(?:mitgliedsnummer|mitgl\.-nr\.?|mitglieds-nr\.?|mitgliedsnr\.?|mitglied|mitgl\.?"
    r"|mnr\.?|nr\.)[\s:.]*(\d{1,9})\b",
    re.IGNORECASE,
)
_TITLES = frozenset(
    {"dr", "prof", "herr", "frau", "hr", "fr", "dipl", "ing", "med", "phil", "rer", "nat", "jur"}
)
_TOKEN_RE = re.compile(r"[a-z0-9]+")
_FOLD = str.maketrans(
    {"ä": "a", "ö": "o", "ü": "u", "ß": "ss", "ı": "i", "ø": "o", "ł": "l", "æ": "ae", "œ": "oe"}
)


def name_key(name: str) -> str:
    """A person's name in a form that compares equal however the bank wrote it.

    "Anna Schmidt", "Schmidt, Anna", "SCHMIDT ANNA" and "Dr. Anna Schmidt" give the same key;
    umlauts fold to their base letter both ways ("Müller", "Mueller", "Muller").
    """
    text = (name or "").lower().translate(_FOLD)
    if not text.isascii():  # accents: "Çelik" -> "celik"
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    tokens = [t for t in _TOKEN_RE.findall(text) if t not in _TITLES]
    tokens = [t.replace("ae", "a").replace("oe", "o").replace("ue", "u") for t in tokens]
    return " ".join(sorted(tokens))


def member_numbers_in(purpose: str) -> list[int]:
    """The numbers written after a member-number keyword in a purpose text, in order."""
    return [int(m.group(1)) for m in _MEMBER_NUMBER_RE.finditer(purpose or "")]


def normal_iban(value: str | None) -> str | None:
    """An IBAN compared the same way everywhere: capitals, no spaces."""
    if not value:
        return None
    return "".join(value.split()).upper() or None


# What the rules look at, loaded once per call ----------------------------------------------------


@dataclass
class Claim:
    id: int
    year: int
    due_date: date
    open_cents: int  # lowered as lines of this run are given the claim


@dataclass
class Debit:
    id: int
    person_id: int
    claim_id: int
    year: int
    amount_cents: int
    submitted: bool
    paid_line_id: int | None
    returned_line_id: int | None


@dataclass
class BookingRow:
    id: int
    booking_date: date
    amount_cents: int
    payout: str | None  # the po_ id of a Stripe payout's bank side


@dataclass
class Context:
    names: dict[int, str] = field(default_factory=dict)  # person id -> "Anna Schmidt"
    numbers: dict[int, int] = field(default_factory=dict)  # person id -> member number
    by_number: dict[int, int] = field(default_factory=dict)  # member number -> person id
    by_name: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    payer_of: dict[int, int] = field(default_factory=dict)  # member -> who pays for them
    mandates: dict[str, tuple[int, int, str]] = field(default_factory=dict)
    known_ibans: dict[str, int] = field(default_factory=dict)
    person_ibans: dict[str, int] = field(default_factory=dict)
    mandate_ibans: dict[str, int] = field(default_factory=dict)
    claims_of: dict[int, list[Claim]] = field(default_factory=lambda: defaultdict(list))
    debits: dict[str, Debit] = field(default_factory=dict)
    bookings: dict[int, list[BookingRow]] = field(default_factory=lambda: defaultdict(list))
    used_bookings: set[int] = field(default_factory=set)
    locked: set[int] = field(default_factory=set)  # erased persons (DSGVO): not matched


def _load_persons(ctx: Context) -> None:
    rows = db.session.execute(
        select(
            Person.id,
            Person.kind,
            Person.first_name,
            Person.last_name,
            Person.member_number,
            Person.iban,
            Person.locked_at,
        ).order_by(Person.id)
    )
    for pid, kind, first, last, number, iban, locked_at in rows:
        full = full_name_of(kind, first, last)
        ctx.names[pid] = full
        if locked_at is not None:  # erased (DSGVO): never matched by name, number or IBAN
            ctx.locked.add(pid)
            continue
        ctx.by_name[name_key(full)].append(pid)
        if number is not None:
            ctx.numbers[pid] = number
            ctx.by_number[number] = pid
        key = normal_iban(iban)
        if key and key not in ctx.person_ibans:
            ctx.person_ibans[key] = pid


def _load_memberships(ctx: Context) -> None:
    rows = db.session.execute(
        select(
            Membership.person_id,
            Membership.payer_id,
            Membership.mandate_reference,
            Membership.mandate_iban,
        ).order_by(Membership.start_date, Membership.id)
    )
    for person_id, payer_id, reference, mandate_iban in rows:
        paying = payer_id or person_id
        if payer_id:
            ctx.payer_of[person_id] = payer_id  # the latest membership's payer wins
        if reference:
            ctx.mandates[reference.upper()] = (person_id, paying, reference)
        key = normal_iban(mandate_iban)
        if key and paying not in ctx.locked:
            ctx.mandate_ibans.setdefault(key, paying)


def _load_known_ibans(ctx: Context) -> None:
    rows = db.session.execute(
        select(KnownIban.iban, KnownIban.person_id).order_by(
            KnownIban.confirmed_count.desc(), KnownIban.last_confirmed_at.desc(), KnownIban.id
        )
    )
    for iban, person_id in rows:
        if person_id not in ctx.locked:
            ctx.known_ibans.setdefault(normal_iban(iban), person_id)


def _load_open_claims(ctx: Context) -> None:
    inner = (
        select(
            DuesClaim.id,
            DuesClaim.year,
            DuesClaim.due_date,
            Membership.person_id,
            Membership.payer_id,
            OPEN.label("open_cents"),
        )
        .join(Membership, DuesClaim.membership_id == Membership.id)
        .subquery()
    )
    rows = db.session.execute(
        select(inner)
        .where(inner.c.open_cents > 0)
        .order_by(inner.c.year, inner.c.due_date, inner.c.id)
    )
    for claim_id, year, due_date, person_id, payer_id, open_cents in rows:
        claim = Claim(claim_id, year, due_date, int(open_cents))
        ctx.claims_of[person_id].append(claim)
        if payer_id and payer_id != person_id:
            ctx.claims_of[payer_id].append(claim)


def _load_debits(ctx: Context, lines: list[StatementLine]) -> None:
    e2e_ids = sorted({line.end_to_end_id for line in lines if line.end_to_end_id})
    for chunk in chunked(e2e_ids, CHUNK):
        rows = db.session.execute(
            select(
                DirectDebit.id,
                DirectDebit.end_to_end_id,
                DirectDebit.person_id,
                DirectDebit.claim_id,
                DuesClaim.year,
                DirectDebit.amount_cents,
                DebitCollection.status,
                DirectDebit.paid_line_id,
                DirectDebit.returned_line_id,
            )
            .join(DebitCollection, DirectDebit.collection_id == DebitCollection.id)
            .join(DuesClaim, DirectDebit.claim_id == DuesClaim.id)
            .where(DirectDebit.end_to_end_id.in_(chunk))
        )
        for row in rows:
            ctx.debits[row.end_to_end_id] = Debit(
                id=row.id,
                person_id=row.person_id,
                claim_id=row.claim_id,
                year=row.year,
                amount_cents=row.amount_cents,
                submitted=row.status == CollectionStatus.SUBMITTED,
                paid_line_id=row.paid_line_id,
                returned_line_id=row.returned_line_id,
            )


def _load_bookings(ctx: Context, lines: list[StatementLine]) -> None:
    """Bank bookings of the period not yet linked to a line, not reversed, not typed in from a
    line (their external reference is no line's key), and not proposed to another open line."""
    bank_id = db.session.scalar(select(Account.id).where(Account.code == "bank"))
    if bank_id is None or not lines:
        return
    days = [line.booking_date for line in lines]
    first = min(days) - timedelta(days=max(BOOKED_DAYS, PAYOUT_DAYS_BEFORE))
    last = max(days) + timedelta(days=max(BOOKED_DAYS, PAYOUT_DAYS_AFTER))
    reversal = aliased(Booking)
    rows = db.session.execute(
        select(Booking.id, Booking.booking_date, Booking.amount_cents, Booking.channel)
        .add_columns(Booking.external_ref)
        .where(
            Booking.account_id == bank_id,
            Booking.booking_date.between(first, last),
            Booking.reversal_of_id.is_(None),
            ~exists().where(StatementLine.booking_id == Booking.id),
            ~exists().where(reversal.reversal_of_id == Booking.id),
            or_(
                Booking.external_ref.is_(None),
                ~exists().where(
                    and_(
                        StatementLine.account_id == bank_id,
                        StatementLine.entry_key == Booking.external_ref,
                    )
                ),
            ),
        )
        .order_by(Booking.booking_date, Booking.id)
    )
    for booking_id, day, cents, channel, ref in rows:
        payout = None
        if channel == Channel.STRIPE and ref and "/bank" in ref:
            payout = ref.split("/", 1)[0]
        ctx.bookings[cents].append(BookingRow(booking_id, day, cents, payout))
    # bookings already proposed to open lines outside this run stay theirs
    ours = {line.id for line in lines if line.id is not None}
    proposed = db.session.execute(
        select(StatementLine.id, StatementLine.match_data).where(
            StatementLine.state == LineState.OPEN,
            StatementLine.match_kind.in_((MatchKind.PAYOUT, MatchKind.BOOKED)),
        )
    )
    for line_id, data in proposed:
        if line_id not in ours and (data or {}).get("booking_id") is not None:
            ctx.used_bookings.add(int(data["booking_id"]))


def load(lines: list[StatementLine]) -> Context:
    ctx = Context()
    _load_persons(ctx)
    _load_memberships(ctx)
    _load_known_ibans(ctx)
    _load_open_claims(ctx)
    _load_debits(ctx, lines)
    _load_bookings(ctx, lines)
    return ctx
