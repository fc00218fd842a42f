"""Member import, step 2: which column of the file feeds which field of a member.

``guess_mapping`` proposes a column for each field from the header names (German and English);
``check_mapping`` names what is missing; ``ImportOptions`` holds the choices of the mapping and
preview pages.
"""

import re
from dataclasses import asdict, dataclass
from datetime import date

from supportclub.i18n import N_, _

# What to do with a row that describes a person already in the register
EXISTING_SKIP = "skip"
EXISTING_USE = "use"

# target field -> label; the order is the order of the mapping page
FIELDS = {
    "member_number": N_("Mitgliedsnummer"),
    "first_name": N_("Vorname"),
    "last_name": N_("Nachname"),
    "organisation": N_("Name der Organisation"),
    "kind": N_("Art (Privatperson/Organisation)"),
    "street": N_("Straße und Hausnummer"),
    "postal_code": N_("PLZ"),
    "city": N_("Ort"),
    "country": N_("Land"),
    "email": N_("E-Mail"),
    "phone": N_("Telefon"),
    "iban": N_("IBAN"),
    "membership_type": N_("Mitgliedsart"),
    "entry_date": N_("Eintrittsdatum"),
    "exit_date": N_("Austrittsdatum"),
    "mandate_reference": N_("Mandatsreferenz"),
    "mandate_date": N_("Datum des Mandats"),
    "mandate_iban": N_("IBAN des Mandats"),
}

# normalised header names (lower case, ß -> ss, umlauts spelled out, only letters and digits)
SYNONYMS = {
    "member_number": "mitgliedsnummer mitgliedsnr mitglnr mitgliednr mitgliedernummer "
    "mitgliedernr mitgliedernr nr nummer memberno membernumber memberid mitgliedsnummern",
    "first_name": "vorname vornamen rufname firstname givenname forename",
    "last_name": "nachname name familienname zuname lastname surname familyname",
    "organisation": "organisation organization firma firmenname unternehmen company "
    "institution verein",
    "kind": "art personenart kind persontype rechtsform privatfirma",
    "street": "strasse str strassehausnummer strasseundhausnummer strassenr strassehausnr "
    "anschrift adresse street address streetaddress",
    "postal_code": "plz postleitzahl zip zipcode postalcode postcode",
    "city": "ort wohnort stadt city town",
    "country": "land country staat",
    "email": "email emailadresse mail mailadresse emailaddress",
    "phone": "telefon tel telefonnummer telnr phone telephone phonenumber mobil handy mobile",
    "iban": "iban kontoiban bankiban",
    "membership_type": "beitragsart mitgliedsart mitgliedschaftsart mitgliedschaft "
    "beitragsgruppe tarif membershiptype membership",
    "entry_date": "eintritt eintrittsdatum eintrittam beitritt beitrittsdatum mitgliedseit "
    "entrydate joined joindate startdate memberssince membersince",
    "exit_date": "austritt austrittsdatum austrittam ausgetreten ausgetretenam exitdate "
    "leavedate left enddate",
    "mandate_reference": "mandatsreferenz mandatsref mandatreferenz mandat sepamandat "
    "mandatereference mandateref mandate",
    "mandate_date": "mandatsdatum mandatdatum datummandat mandatvom unterschriftsdatum "
    "mandatunterschrieben mandatedate mandatesigned",
    "mandate_iban": "mandatsiban mandatiban ibanmandat mandateiban",
}
_SYNONYM_FIELD = {word: key for key, words in SYNONYMS.items() for word in words.split()}


def normalize_header(name: str) -> str:
    """A header name reduced to lower-case letters and digits ("Mitgl.-Nr." -> "mitglnr")."""
    name = name.casefold().replace("ß", "ss")
    for umlaut, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue")):
        name = name.replace(umlaut, spelled)
    return re.sub(r"[^a-z0-9]", "", name)


def guess_mapping(headers: list[str]) -> dict[str, str | None]:
    """Propose a column for each field from the header names (German and English)."""
    mapping: dict[str, str | None] = dict.fromkeys(FIELDS)
    for header in headers:
        key = _SYNONYM_FIELD.get(normalize_header(header))
        if key is not None and mapping[key] is None:
            mapping[key] = header
    return mapping


@dataclass
class ImportOptions:
    """Choices of the mapping and preview pages."""

    default_type_id: int | None = None
    default_entry_date: date | None = None
    existing: str = EXISTING_SKIP  # what to do with persons already present

    def to_json(self) -> dict:
        """A JSON-able dict (stored beside the upload)."""
        values = asdict(self)
        if self.default_entry_date:
            values["default_entry_date"] = self.default_entry_date.isoformat()
        return values

    @classmethod
    def from_json(cls, values: dict | None) -> "ImportOptions":
        """The options back from `to_json`."""
        values = dict(values or {})
        if values.get("default_entry_date"):
            values["default_entry_date"] = date.fromisoformat(values["default_entry_date"])
        return cls(**values)


def check_mapping(
    mapping: dict[str, str | None], headers: list[str], options: ImportOptions
) -> dict[str, str]:
    """Problems of a mapping as {field: message}; empty when the import can go on."""
    problems, used = {}, {}
    for key, header in mapping.items():
        if not header:
            continue
        if key not in FIELDS or header not in headers:
            problems[key] = _("Die Spalte „%(header)s“ gibt es in der Datei nicht.", header=header)
        elif header in used:
            problems[key] = _(
                "Die Spalte „%(header)s“ ist schon dem Feld %(field)s zugeordnet.",
                header=header,
                field=_(FIELDS[used[header]]),
            )
        else:
            used[header] = key
    if not mapping.get("last_name") and not mapping.get("organisation"):
        problems.setdefault("last_name", _missing(FIELDS["last_name"]))
    if not mapping.get("membership_type") and options.default_type_id is None:
        problems.setdefault("membership_type", _missing(FIELDS["membership_type"], default=True))
    if not mapping.get("entry_date") and options.default_entry_date is None:
        problems.setdefault("entry_date", _missing(FIELDS["entry_date"], default=True))
    return problems


def _missing(label: str, *, default: bool = False) -> str:
    if default:
        return _(
            "Die Spalte für %(field)s fehlt – bitte zuordnen oder unten einen Wert für alle "
            "Zeilen wählen.",
            field=_(label),
        )
    return _("Die Spalte für %(field)s fehlt.", field=_(label))
