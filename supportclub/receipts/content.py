"""What a receipt says: a plain snapshot taken at issue time, rendered to PDF without the database.

`ReceiptContent` holds every value the PDF prints (donor and association as they were when the
receipt was issued). It is stored as JSON on the receipt row, so rendering is a pure function
of it (`receipts.pdf.render_receipt(content)`), which lets worker processes render in parallel.
"""

import enum
import json
from dataclasses import dataclass, field, fields
from datetime import date


class ReceiptKind(enum.StrEnum):
    """The four documents a donor can get."""

    SINGLE = "single"  # Anlage 3: one money donation or dues payment (also a waiver)
    IN_KIND = "in_kind"  # Anlage 4: one donation in kind
    COLLECTIVE = "collective"  # Anlage 14: all money donations and dues of a period, with a list
    SLIP = "slip"  # vereinfachter Zuwendungsnachweis, § 50 Abs. 4 EStDV (up to 300 €)


class ContributionKind(enum.StrEnum):
    """Art der Zuwendung."""

    DONATION = "donation"  # Geldzuwendung
    DUES = "dues"  # Mitgliedsbeitrag


class Origin(enum.StrEnum):
    """Herkunft einer Sachzuwendung (Anlage 4)."""

    BUSINESS = "business"
    PRIVATE = "private"
    UNKNOWN = "unknown"


class Exemption(enum.StrEnum):
    """Which exemption passage: (a) Freistellungsbescheid, (b) § 60a notice."""

    FREISTELLUNGSBESCHEID = "freistellungsbescheid"
    FESTSTELLUNG_60A = "feststellung_60a"


@dataclass(frozen=True)
class Item:
    """One contribution (a booking line) on a receipt."""

    date: date
    kind: ContributionKind
    waiver: bool
    amount_cents: int


@dataclass(frozen=True)
class ReceiptContent:
    """Everything a receipt prints, as it was at issue time."""

    number: str  # "2025-0001"
    kind: ReceiptKind
    issued_on: date
    # the association (Aussteller)
    issuer_name: str
    issuer_address: tuple[str, ...]  # ("Schulstraße 1", "07743 Jena")
    place: str  # Ort of the signature line ("Jena")
    # exemption data (exactly one passage is printed, chosen by `exemption`)
    exemption: Exemption
    tax_office: str  # "Jena"
    tax_number: str  # "161/141/12345"
    exemption_date: date
    exemption_period: str  # Veranlagungszeitraum, passage (a) only: "2021 bis 2023"
    purposes: str  # "der Jugend- und Altenhilfe sowie der Erziehung"
    dues_block: bool  # print the "kein Mitgliedsbeitrag, dessen Abzug ... ausgeschlossen" line
    # the donor (Zuwendender) as at issue time
    donor_name: str
    donor_address: tuple[str, ...]
    # the amount
    total_cents: int
    # SINGLE, IN_KIND, SLIP: the contribution's date; COLLECTIVE: the period
    contribution_date: date | None = None
    period_start: date | None = None
    period_end: date | None = None
    # SINGLE and SLIP: Verzicht auf Erstattung von Aufwendungen (SINGLE: Ja/Nein box)
    waiver: bool = False
    # SINGLE and SLIP: donation or dues
    contribution_kind: ContributionKind = ContributionKind.DONATION
    # COLLECTIVE: every contribution, in date order; their sum is total_cents
    items: tuple[Item, ...] = ()
    # IN_KIND
    in_kind_description: str = ""
    origin: Origin | None = None
    documents_present: bool = False
    # signature: facsimile only where the tax office was notified of machine receipts, never for
    # IN_KIND and never when any waiver is on the receipt; `machine_notice` prints the sentence
    # "Die maschinelle Erstellung ... dem zuständigen Finanzamt <tax_office> angezeigt."
    machine_notice: bool = False
    facsimile: bool = False
    signatory: str = ""  # printed under the signature line, e.g. "Anna Muster, Schatzmeisterin"
    # the facsimile signature image (PNG/JPEG bytes are read from storage by this key)
    facsimile_key: str = ""
    # the donor's person id (not printed; lets storage and mail find the donor)
    person_id: int | None = field(default=None, compare=False)

    @property
    def year(self) -> int:
        """The calendar year the receipt's contributions belong to."""
        day = self.contribution_date or self.period_start
        return day.year

    def to_json(self) -> str:
        """The snapshot as JSON (dates as ISO strings, enums as their values)."""
        raw = {name: getattr(self, name) for name in _FIELDS}  # asdict() deep-copies: slow
        raw["items"] = [
            {
                "date": item.date,
                "kind": item.kind,
                "waiver": item.waiver,
                "amount_cents": item.amount_cents,
            }
            for item in self.items
        ]
        return json.dumps(raw, default=_encode, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "ReceiptContent":
        """The snapshot back from `to_json`."""
        raw = json.loads(text)
        for key in (
            "issued_on",
            "exemption_date",
            "contribution_date",
            "period_start",
            "period_end",
        ):
            raw[key] = date.fromisoformat(raw[key]) if raw.get(key) else None
        raw["kind"] = ReceiptKind(raw["kind"])
        raw["exemption"] = Exemption(raw["exemption"])
        raw["contribution_kind"] = ContributionKind(raw["contribution_kind"])
        raw["origin"] = Origin(raw["origin"]) if raw.get("origin") else None
        raw["issuer_address"] = tuple(raw["issuer_address"])
        raw["donor_address"] = tuple(raw["donor_address"])
        raw["items"] = tuple(
            Item(
                date=date.fromisoformat(item["date"]),
                kind=ContributionKind(item["kind"]),
                waiver=item["waiver"],
                amount_cents=item["amount_cents"],
            )
            for item in raw["items"]
        )
        return cls(**raw)


_FIELDS = tuple(f.name for f in fields(ReceiptContent))


def _encode(value):
    """JSON for dates and enums."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
