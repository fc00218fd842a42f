"""The bank benchmark's association and statement: persons with memberships, mandates and open
dues, loaded in bulk; and a camt.053.001.08 statement whose entries pay them in every way the
matcher knows (our own debits, member numbers, known IBANs, names), plus strangers and costs.

Deterministic by seed. Amounts are integer cents.
"""

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import sqlalchemy as sa
from ledger_data import FIRST_NAMES, LAST_NAMES
from schwifty import IBAN

BANK_CODE = "37040044"
YEAR = 2026
SEPA_TYPE = "sepa"  # the membership type whose members are collected (5,000 by default)
OTHER_TYPE = "regular"
FEES = {SEPA_TYPE: 6000, OTHER_TYPE: 3600}
SYLLABLES = ("ka", "lo", "mi", "ne", "ru", "ta", "be", "do", "fi", "gu", "ha", "je", "wo", "zu")


def iban_of(n: int) -> str:
    """A valid German IBAN, one per person number."""
    return str(IBAN.generate("DE", bank_code=BANK_CODE, account_code=str(100_000_000 + n)))


def unique_surname(n: int) -> str:
    """A surname nobody else has (for the name-and-amount matches)."""
    parts = []
    while True:
        n, r = divmod(n, len(SYLLABLES))
        parts.append(SYLLABLES[r])
        if n == 0:
            break
    return "".join(parts).capitalize() + "er"


@dataclass
class Association:
    """What was loaded: the persons by role in the statement."""

    persons: int
    sepa_members: list[int] = field(default_factory=list)  # person ids with mandates, type sepa
    number_payers: list[int] = field(default_factory=list)  # pay with their member number
    iban_payers: list[int] = field(default_factory=list)  # their IBAN is remembered
    name_payers: list[int] = field(default_factory=list)  # unique names
    numbers: dict[int, int] = field(default_factory=dict)  # person id -> member number
    names: dict[int, str] = field(default_factory=dict)  # person id -> "First Last"
    fee: dict[int, int] = field(default_factory=dict)  # person id -> open claim cents
    ibans: dict[int, str] = field(default_factory=dict)  # person id -> own IBAN


def load_association(session, *, persons: int, sepa: int, seed: int = 2026) -> Association:
    """Persons, memberships (sepa members with a mandate), this year's claims, known IBANs."""
    from supportclub.banking.models import KnownIban
    from supportclub.dues.models import DuesClaim
    from supportclub.ledger.models import Person
    from supportclub.members.models import FeeRate, Membership, MembershipType

    rng = random.Random(seed)
    now = datetime.now(UTC)
    types = {}
    for code, name in ((SEPA_TYPE, "Regulär (Lastschrift)"), (OTHER_TYPE, "Regulär")):
        mtype = MembershipType(code=code, name=name)
        session.add(mtype)
        session.flush()
        session.add(
            FeeRate(
                membership_type_id=mtype.id, valid_from=date(2009, 1, 1), amount_cents=FEES[code]
            )
        )
        types[code] = mtype.id
    first_id = (session.execute(sa.select(sa.func.max(Person.id))).scalar() or 0) + 1
    assoc = Association(persons=persons)
    person_rows, membership_rows, claim_rows, known = [], [], [], []
    share = (persons - sepa) // 4
    for i in range(persons):
        pid = first_id + i
        number = 1000 + i
        first = FIRST_NAMES[rng.randrange(len(FIRST_NAMES))]
        if sepa <= i < sepa + share * 3 and (i - sepa) // share == 2:
            last = unique_surname(i)
        else:
            last = LAST_NAMES[rng.randrange(len(LAST_NAMES))]
        code = SEPA_TYPE if i < sepa else OTHER_TYPE
        iban = iban_of(i)
        person_rows.append(
            {
                "id": pid,
                "kind": "private",
                "first_name": first,
                "last_name": last,
                "street": f"Hauptstraße {i % 200 + 1}",
                "postal_code": "07743",
                "city": "Jena",
                "country": "DE",
                "email": f"p{i}@example.org",
                "iban": None,
                "phone": "",
                "member_number": number,
                "is_active": True,
                "created_at": now,
            }
        )
        membership = {
            "id": pid,
            "person_id": pid,
            "membership_type_id": types[code],
            "start_date": date(2020, 1, 1),
            "end_date": None,
            "leave_reason": "",
            "payer_id": None,
            "mandate_reference": None,
            "mandate_date": None,
            "mandate_iban": None,
            "mandate_type": "RCUR",
            "created_at": now,
        }
        if code == SEPA_TYPE:
            membership.update(
                mandate_reference=f"M-{number}", mandate_date=date(2024, 1, 15), mandate_iban=iban
            )
            assoc.sepa_members.append(pid)
        else:
            group = (i - sepa) // share if share else 3
            if group == 0:
                assoc.number_payers.append(pid)
            elif group == 1:
                assoc.iban_payers.append(pid)
                known.append(
                    {
                        "iban": iban,
                        "person_id": pid,
                        "confirmed_count": 1,
                        "created_at": now,
                        "last_confirmed_at": now,
                    }
                )
            elif group == 2:
                assoc.name_payers.append(pid)
        membership_rows.append(membership)
        claim_rows.append(
            {
                "membership_id": pid,
                "year": YEAR,
                "amount_cents": FEES[code],
                "months": 12,
                "due_date": date(YEAR, 1, 31),
                "created_at": now,
            }
        )
        assoc.numbers[pid] = number
        assoc.names[pid] = f"{first} {last}"
        assoc.fee[pid] = FEES[code]
        assoc.ibans[pid] = iban
    session.execute(sa.insert(Person), person_rows)
    session.execute(sa.insert(Membership), membership_rows)
    session.execute(sa.insert(DuesClaim), claim_rows)
    if known:
        session.execute(sa.insert(KnownIban), known)
    if session.get_bind().dialect.name == "postgresql":
        for table in ("person", "membership"):
            session.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            )
    return assoc


def statement_entries(
    assoc: Association, debits: list[tuple[str, int, int]], *, entries: int, seed: int = 7
) -> list[dict]:
    """The statement's entries (camt_writer dicts), shuffled: `debits` are (EndToEndId,
    cents, person id) of our collection. 20 % collection credits, 1 % returns of them, then
    member numbers, known IBANs and names in equal parts, strangers' donations and costs."""
    rng = random.Random(seed)
    out: list[dict] = []
    n_collect = min(len(debits), entries // 5)
    for e2e, cents, pid in debits[:n_collect]:
        out.append(
            {
                "amount_cents": cents,
                "name": assoc.names[pid],
                "iban": assoc.ibans[pid],
                "e2e": e2e,
                "purpose": f"Mitgliedsbeitrag {YEAR}",
                "text": "SEPA-LASTSCHRIFT",
            }
        )
    n_returns = n_collect // 20
    for e2e, cents, pid in debits[:n_returns]:
        out.append(
            {
                "amount_cents": -(cents + 300),
                "fee_cents": 300,
                "name": assoc.names[pid],
                "iban": assoc.ibans[pid],
                "e2e": e2e,
                "return_reason": "MD06",
                "text": "RUECKLASTSCHRIFT",
                "booking_date": date(YEAR, 3, 5),
            }
        )
    rest = entries - len(out)
    per_group = rest // 5
    for pid in assoc.number_payers[:per_group]:
        out.append(
            {
                "amount_cents": assoc.fee[pid],
                "name": assoc.names[pid].upper(),
                "iban": iban_of(900_000 + pid),
                "purpose": f"Mitgliedsbeitrag {YEAR} Mitgliedsnummer {assoc.numbers[pid]}",
            }
        )
    for pid in assoc.iban_payers[:per_group]:  # a shortened name, but the remembered IBAN
        out.append(
            {
                "amount_cents": assoc.fee[pid],
                "name": assoc.names[pid].split()[-1],
                "iban": assoc.ibans[pid],
                "purpose": "Beitrag",
            }
        )
    for pid in assoc.name_payers[:per_group]:
        out.append(
            {
                "amount_cents": assoc.fee[pid],
                "name": assoc.names[pid],
                "iban": iban_of(800_000 + pid),
                "purpose": "Jahresbeitrag",
            }
        )
    while len(out) < entries - per_group:
        out.append(
            {
                "amount_cents": rng.choice((1000, 2500, 5000, 10000)),
                "name": f"{rng.choice(FIRST_NAMES)} Fremd{len(out)}",
                "iban": iban_of(700_000 + len(out)),
                "purpose": "Spende Schulgarten",
            }
        )
    while len(out) < entries:
        out.append(
            {
                "amount_cents": -rng.randrange(500, 50000),
                "name": "Bäckerei Öztürk",
                "iban": iban_of(600_000 + len(out)),
                "purpose": f"Rechnung {len(out)}",
                "text": "SEPA-UEBERWEISUNG",
            }
        )
    rng.shuffle(out)
    for n, entry in enumerate(out, start=1):
        entry["ref"] = f"2026030{n:09d}"
        entry.setdefault("booking_date", date(YEAR, 3, 3))
    return out
