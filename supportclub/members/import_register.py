"""Member import: what the register already holds, loaded once for checking every row.

``Register`` reads every person (by e-mail, IBAN, name and postal code, member number), the
membership types and the mandate references in a few queries, so checking a row asks no
database; ``ExistingPerson`` is a person already present that a row seems to describe.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.ledger.models import Person, display_name_of
from supportclub.members.models import Membership, MembershipType


@dataclass(frozen=True)
class ExistingPerson:
    """A person already in the register that a row seems to describe."""

    id: int
    name: str
    member_number: int | None

    @property
    def label(self) -> str:
        """ "bereits vorhanden: Müller, Anna (Nr. 1005)"."""
        if self.member_number is None:
            return _("bereits vorhanden: %(name)s (ohne Mitgliedsnummer)", name=self.name)
        return _(
            "bereits vorhanden: %(name)s (Nr. %(number)s)",
            name=self.name,
            number=self.member_number,
        )


def _name_key(last: str, first: str, postal_code: str) -> tuple[str, str, str]:
    return (last.strip().casefold(), first.strip().casefold(), postal_code.strip())


class Register:
    """What the database already holds, loaded once (no query per row)."""

    def __init__(self):
        self.by_email: dict[str, ExistingPerson] = {}
        self.by_iban: dict[str, ExistingPerson] = {}
        self.by_name: dict[tuple[str, str, str], ExistingPerson] = {}
        self.by_number: dict[int, ExistingPerson] = {}
        self._load_persons()
        self.types: dict[str, MembershipType] = {}
        self.type_by_id: dict[int, MembershipType] = {}
        self._load_types()
        self.mandate_references = set(
            db.session.execute(
                select(Membership.mandate_reference).where(
                    Membership.mandate_reference.is_not(None)
                )
            ).scalars()
        )

    def _load_persons(self) -> None:
        """Every person by e-mail, IBAN, name and postal code, and member number."""
        persons = db.session.execute(
            select(
                Person.id,
                Person.kind,
                Person.first_name,
                Person.last_name,
                Person.postal_code,
                Person.email,
                Person.iban,
                Person.member_number,
            ).order_by(Person.id)
        )
        for pid, kind, first, last, postal, email, iban, number in persons:
            person = ExistingPerson(pid, display_name_of(kind, first, last), number)
            if email:
                self.by_email.setdefault(email.lower(), person)
            if iban:
                self.by_iban.setdefault(iban, person)
            if postal:
                self.by_name.setdefault(_name_key(last, first, postal), person)
            if number is not None:
                self.by_number[number] = person

    def _load_types(self) -> None:
        """Membership types by id, and by code or name (a code wins over an equal name)."""
        for mtype in db.session.execute(select(MembershipType)).scalars():
            self.type_by_id[mtype.id] = mtype
            self.types[mtype.code.casefold()] = mtype
        for mtype in self.type_by_id.values():
            self.types.setdefault(mtype.name.strip().casefold(), mtype)

    def find(self, person: dict[str, Any]) -> ExistingPerson | None:
        """The person already present with the same e-mail, IBAN, or name and postal code."""
        if person.get("email") and person["email"] in self.by_email:
            return self.by_email[person["email"]]
        if person.get("iban") and person["iban"] in self.by_iban:
            return self.by_iban[person["iban"]]
        if person.get("postal_code"):
            key = _name_key(person["last_name"], person["first_name"], person["postal_code"])
            return self.by_name.get(key)
        return None

    def periods(self) -> dict[int, list[tuple[date, date | None]]]:
        """Each person's membership periods (loaded only when existing persons are reused)."""
        result = defaultdict(list)
        rows = db.session.execute(
            select(Membership.person_id, Membership.start_date, Membership.end_date)
        )
        for person_id, start, end in rows:
            result[person_id].append((start, end))
        return result
