"""Member import, step 3: checking every row before anything is written.

``validate_rows`` checks every row against the mapping and collects all errors (row, column,
value, reason). It finds duplicates within the file (e-mail, member number, mandate reference)
and against the register: persons already present (same e-mail, IBAN, or name and postal code)
are marked, member numbers and mandate references already taken are errors. What the register
holds is loaded once by ``import_register.Register``.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from supportclub.clock import today
from supportclub.errors import ValidationError
from supportclub.i18n import _
from supportclub.ledger.models import PersonKind
from supportclub.members.import_files import ParsedFile, cell_text
from supportclub.members.import_mapping import (
    FIELDS,
    ImportOptions,
    check_mapping,
    normalize_header,
)
from supportclub.members.import_register import ExistingPerson, Register
from supportclub.members.models import MembershipType
from supportclub.members.services import clean_person_values
from supportclub.members.validation import (
    check_date_range,
    check_mandate_reference,
    normalize_iban,
)


@dataclass(frozen=True)
class RowError:
    """One problem: row number as in the file, column name, the value found, the reason."""

    row: int
    column: str
    value: str
    message: str
    field: str = ""


@dataclass
class PlannedRow:
    """A row without errors: the person and membership it will create."""

    row: int
    person: dict[str, Any]
    member_number: int | None
    membership: dict[str, Any]
    existing: ExistingPerson | None = None


@dataclass
class Validation:
    """The outcome of checking every row."""

    total: int
    rows: list[PlannedRow]
    errors: list[RowError]
    warnings: list[str] = field(default_factory=list)
    register: Register | None = field(default=None, repr=False)

    @property
    def error_row_count(self) -> int:
        """How many rows have at least one error."""
        return len({error.row for error in self.errors})

    @property
    def existing_rows(self) -> list[PlannedRow]:
        """Rows that describe a person already present."""
        return [row for row in self.rows if row.existing is not None]

    @property
    def new_count(self) -> int:
        """Rows that will create a new person."""
        return sum(1 for row in self.rows if row.existing is None)


LENGTHS = {
    "first_name": 100,
    "last_name": 200,
    "organisation": 200,
    "street": 200,
    "postal_code": 10,
    "city": 100,
    "phone": 50,
    "email": 254,
}
KINDS = {
    **dict.fromkeys(
        ["privatperson", "privat", "person", "p", "natuerlicheperson", "private", "individual"],
        PersonKind.PRIVATE,
    ),
    **dict.fromkeys(
        [
            "organisation",
            "organization",
            "o",
            "org",
            "firma",
            "unternehmen",
            "verein",
            "institution",
            "juristischeperson",
            "company",
        ],
        PersonKind.ORGANISATION,
    ),
}
COUNTRIES = {
    "deutschland": "DE",
    "germany": "DE",
    "d": "DE",
    "brd": "DE",
    "oesterreich": "AT",
    "austria": "AT",
    "a": "AT",
    "schweiz": "CH",
    "switzerland": "CH",
    "luxemburg": "LU",
    "luxembourg": "LU",
    "niederlande": "NL",
    "netherlands": "NL",
    "frankreich": "FR",
    "france": "FR",
    "belgien": "BE",
    "belgium": "BE",
    "daenemark": "DK",
    "polen": "PL",
    "tschechien": "CZ",
    "italien": "IT",
}
EARLIEST_DATE = date(1900, 1, 1)
DATE_DE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})")
DATE_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?")


def parse_date(text: str) -> date:
    """A date from "dd.mm.yyyy", "dd.mm.yy" or "yyyy-mm-dd"; ValueError otherwise."""
    text = text.strip()
    match = DATE_DE.fullmatch(text)
    if match:
        day, month, year = (int(part) for part in match.groups())
        if len(match.group(3)) == 2:  # "85" is 1985, "24" is 2024
            year += 2000 if 2000 + year <= today().year else 1900
        return date(year, month, day)
    match = DATE_ISO.fullmatch(text)
    if match:
        year, month, day = (int(part) for part in match.groups())
        return date(year, month, day)
    raise ValueError(text)


class _Row:
    """One data row being checked: its cells by field, and the errors found so far."""

    def __init__(self, number: int, cells: list[Any], checker: "_RowChecker"):
        self.number, self.cells, self.checker = number, cells, checker
        self.errors: list[RowError] = []

    def raw(self, key: str) -> Any:
        index = self.checker.index.get(key)
        if index is None or index >= len(self.cells):
            return None
        return self.cells[index]

    def text(self, key: str) -> str:
        return cell_text(self.raw(key))

    def fail(self, key: str, message: str, value: str | None = None) -> None:
        column = self.checker.mapping.get(key) or _(FIELDS[key])
        shown = self.text(key) if value is None else value
        self.errors.append(RowError(self.number, column, shown, message, key))


class _RowChecker:
    """Checks rows one after another, remembering what earlier rows used."""

    def __init__(self, headers, mapping, options: ImportOptions, register: Register, kind):
        self.mapping = {key: header for key, header in mapping.items() if header}
        self.index = {key: headers.index(header) for key, header in self.mapping.items()}
        self.options, self.register, self._xlsx = options, register, kind == "xlsx"
        self.seen_emails: dict[str, int] = {}
        self.seen_numbers: dict[int, int] = {}
        self.seen_references: dict[str, int] = {}
        self.latest = today() + timedelta(days=366)

    def check(self, number: int, cells: list[Any]) -> tuple[PlannedRow | None, list[RowError]]:
        """The planned row, or the row's errors (all of them)."""
        row = _Row(number, cells, self)
        person = self._person(row)
        member_number = self._member_number(row)
        membership = self._membership(row)
        membership.update(self._mandate(row, person.get("iban")))
        existing = self.register.find(person) if "last_name" in person else None
        self._unique_in_file(row, person, member_number)
        self._number_free(row, member_number, existing)
        if row.errors:
            order = list(FIELDS)
            return None, sorted(row.errors, key=lambda e: order.index(e.field))
        return PlannedRow(number, person, member_number, membership, existing), []

    # persons

    def _clean(self, row: _Row, key: str, values: dict) -> Any:
        """One value through members.services.clean_person_values; None after an error."""
        try:
            return clean_person_values(values)[next(iter(values))]
        except ValidationError as error:
            row.fail(key, error.message)
            return None

    def _length(self, row: _Row, key: str, value: str) -> str:
        if len(value) > LENGTHS[key]:
            row.fail(
                key,
                _(
                    "%(field)s ist zu lang (%(length)s Zeichen, höchstens %(max)s).",
                    field=_(FIELDS[key]),
                    length=len(value),
                    max=LENGTHS[key],
                ),
            )
        return value

    def _person(self, row: _Row) -> dict[str, Any]:
        kind = self._kind(row)
        organisation, last = row.text("organisation"), row.text("last_name")
        if kind is None:
            kind = PersonKind.ORGANISATION if organisation and not last else PersonKind.PRIVATE
        name_key = "organisation" if kind == PersonKind.ORGANISATION and organisation else None
        name_key = name_key or ("last_name" if "last_name" in self.mapping else "organisation")
        name = row.text(name_key)
        person: dict[str, Any] = {"kind": kind}
        if self._clean(row, name_key, {"last_name": name}) is not None:
            person["last_name"] = self._length(row, name_key, name)
        first = row.text("first_name") if kind == PersonKind.PRIVATE else ""
        person["first_name"] = self._length(row, "first_name", first)
        for key in ("street", "city", "phone"):
            person[key] = self._length(row, key, row.text(key))
        person["country"] = self._country(row)
        person["postal_code"] = self._postal_code(row, person["country"])
        person["email"] = self._clean(row, "email", {"email": row.text("email")})
        person["iban"] = self._clean(row, "iban", {"iban": row.text("iban")})
        return person

    def _kind(self, row: _Row) -> PersonKind | None:
        text = row.text("kind")
        if not text:
            return None
        kind = KINDS.get(normalize_header(text))
        if kind is None:
            row.fail(
                "kind",
                _(
                    "Die Art „%(value)s“ ist unbekannt; erlaubt sind Privatperson und "
                    "Organisation.",
                    value=text,
                ),
            )
        return kind

    def _country(self, row: _Row) -> str:
        text = row.text("country")
        if not text:
            return "DE"
        if re.fullmatch(r"[A-Za-z]{2}", text):
            return text.upper()
        code = COUNTRIES.get(normalize_header(text))
        if code is None:
            row.fail(
                "country",
                _(
                    "Das Land „%(value)s“ ist unbekannt; bitte das Länderkürzel angeben "
                    "(z. B. DE, AT, CH).",
                    value=text,
                ),
            )
            return "DE"
        return code

    def _postal_code(self, row: _Row, country: str) -> str:
        raw, text = row.raw("postal_code"), row.text("postal_code")
        if isinstance(raw, int | float) and country == "DE" and len(text) == 4:
            text = text.zfill(5)  # Excel dropped the leading zero of "07743"
        checked = self._clean(row, "postal_code", {"postal_code": text, "country": country})
        return self._length(row, "postal_code", checked or "")

    def _member_number(self, row: _Row) -> int | None:
        text = row.text("member_number")
        if not text:
            return None
        if re.fullmatch(r"\d{1,9}", text) and int(text) > 0:
            return int(text)
        row.fail(
            "member_number",
            _("Die Mitgliedsnummer „%(value)s“ ist keine positive ganze Zahl.", value=text),
        )
        return None

    # memberships

    def _membership(self, row: _Row) -> dict[str, Any]:
        mtype = self._type(row)
        start = self._date(row, "entry_date")
        if start is None and not row.text("entry_date"):
            start = self.options.default_entry_date
            if start is None:
                row.fail("entry_date", _("Bitte das Eintrittsdatum angeben."))
        end = self._date(row, "exit_date")
        if start is not None and end is not None:
            try:
                check_date_range(start, end)
            except ValidationError as error:
                row.fail("exit_date", error.message)
        return {
            "membership_type_id": mtype.id if mtype else None,
            "start_date": start,
            "end_date": end,
        }

    def _type(self, row: _Row) -> MembershipType | None:
        text = row.text("membership_type")
        if not text:
            if self.options.default_type_id is not None:
                return self.register.type_by_id.get(self.options.default_type_id)
            row.fail("membership_type", _("Bitte die Mitgliedsart angeben."))
            return None
        mtype = self.register.types.get(text.casefold())
        if mtype is None:
            known = sorted(t.code for t in self.register.type_by_id.values() if t.is_active)
            row.fail(
                "membership_type",
                _(
                    "Die Mitgliedsart „%(value)s“ ist unbekannt (bekannt: %(known)s).",
                    value=text,
                    known=", ".join(known) or "–",
                ),
            )
        elif not mtype.is_active:
            row.fail(
                "membership_type",
                _("Die Mitgliedsart „%(value)s“ ist nicht mehr aktiv.", value=text),
            )
            return None
        return mtype

    def _date(self, row: _Row, key: str) -> date | None:
        raw = row.raw(key)
        if isinstance(raw, datetime):
            value = raw.date()
        elif isinstance(raw, date):
            value = raw
        elif isinstance(raw, int | float) and not isinstance(raw, bool) and self._xlsx:
            from openpyxl.utils.datetime import from_excel

            try:  # an Excel date serial in a cell not formatted as a date
                value = from_excel(raw).date()
            except (ValueError, OverflowError, AttributeError):
                value = date.min
        else:
            text = cell_text(raw)
            if not text:
                return None
            try:
                value = parse_date(text)
            except ValueError:
                row.fail(
                    key, _("„%(value)s“ ist kein gültiges Datum (erwartet TT.MM.JJJJ).", value=text)
                )
                return None
        if not EARLIEST_DATE <= value <= self.latest:
            row.fail(
                key,
                _(
                    "Das Datum %(value)s ist nicht plausibel (vor 1900 oder mehr als ein Jahr "
                    "in der Zukunft).",
                    value=row.text(key),
                ),
            )
            return None
        return value

    def _mandate(self, row: _Row, person_iban: str | None) -> dict[str, Any]:
        none = {"mandate_reference": None, "mandate_date": None, "mandate_iban": None}
        reference, bad_reference = None, False
        try:
            reference = check_mandate_reference(row.text("mandate_reference"))
        except ValidationError as error:
            row.fail("mandate_reference", error.message)
            bad_reference = True
        signed_on = self._date(row, "mandate_date")
        try:
            iban = normalize_iban(row.text("mandate_iban"), field="mandate_iban")
        except ValidationError as error:
            row.fail("mandate_iban", error.message)
            iban = None
        if bad_reference:
            return none
        if reference is None:
            if signed_on is not None or iban is not None:
                row.fail("mandate_reference", _("Bitte die Mandatsreferenz angeben."))
            return none
        if signed_on is None and not row.text("mandate_date"):
            row.fail("mandate_date", _("Bitte das Datum der Unterschrift angeben."))
        iban = iban or person_iban
        if iban is None and not row.text("mandate_iban") and not row.text("iban"):
            row.fail("mandate_iban", _("Bitte die IBAN des Mandats angeben."))
        self._reference_free(row, reference)
        return {"mandate_reference": reference, "mandate_date": signed_on, "mandate_iban": iban}

    # uniqueness

    def _reference_free(self, row: _Row, reference: str) -> None:
        """A mandate reference is used once: not in the register, not in an earlier row."""
        if reference in self.register.mandate_references:
            row.fail(
                "mandate_reference",
                _("Die Mandatsreferenz %(reference)s ist schon vergeben.", reference=reference),
            )
        elif reference in self.seen_references:
            row.fail(
                "mandate_reference",
                _(
                    "Die Mandatsreferenz %(reference)s steht schon in Zeile %(row)s.",
                    reference=reference,
                    row=self.seen_references[reference],
                ),
            )
        else:
            self.seen_references[reference] = row.number

    def _unique_in_file(self, row: _Row, person: dict, member_number: int | None) -> None:
        email = person.get("email")
        if email:
            if email in self.seen_emails:
                row.fail(
                    "email",
                    _(
                        "Die E-Mail-Adresse %(email)s steht schon in Zeile %(row)s.",
                        email=email,
                        row=self.seen_emails[email],
                    ),
                )
            else:
                self.seen_emails[email] = row.number
        if member_number is not None:
            if member_number in self.seen_numbers:
                row.fail(
                    "member_number",
                    _(
                        "Die Mitgliedsnummer %(number)s steht schon in Zeile %(row)s.",
                        number=member_number,
                        row=self.seen_numbers[member_number],
                    ),
                )
            else:
                self.seen_numbers[member_number] = row.number

    def _number_free(self, row: _Row, number: int | None, existing) -> None:
        owner = self.register.by_number.get(number) if number is not None else None
        if owner is not None and (existing is None or existing.id != owner.id):
            row.fail(
                "member_number",
                _(
                    "Die Mitgliedsnummer %(number)s ist schon vergeben (%(name)s).",
                    number=number,
                    name=owner.name,
                ),
            )


def validate_rows(
    parsed: ParsedFile, mapping: dict[str, str | None], options: ImportOptions
) -> Validation:
    """Check every row against the mapping; collect all errors, mark persons already present."""
    problems = check_mapping(mapping, parsed.headers, options)
    if problems:
        key, message = next(iter(problems.items()))
        raise ValidationError(message, field=key)
    register = Register()
    if options.default_type_id is not None:
        mtype = register.type_by_id.get(options.default_type_id)
        if mtype is None or not mtype.is_active:
            raise ValidationError(
                _("Die Mitgliedsart ist unbekannt oder nicht mehr aktiv."),
                field="membership_type",
            )
    checker = _RowChecker(parsed.headers, mapping, options, register, parsed.kind)
    planned, errors = [], []
    for number, cells in parsed.rows:
        row, row_errors = checker.check(number, cells)
        if row is not None:
            planned.append(row)
        errors.extend(row_errors)
    return Validation(len(parsed.rows), planned, errors, list(parsed.warnings), register)
