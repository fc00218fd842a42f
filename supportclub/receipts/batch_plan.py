"""The year's batch, before it starts: who gets which receipt, who is skipped and why.

`plan_year` is one aggregate query over the year's contributions (contributions.donors_of_year);
the preview page, the CLI's --dry-run and the batch itself plan from it.
"""

from dataclasses import dataclass

from supportclub.admin.models import AssociationSettings
from supportclub.admin.services import get_settings
from supportclub.clock import today
from supportclub.errors import ValidationError
from supportclub.i18n import _
from supportclub.money import format_cents
from supportclub.receipts.content import ReceiptKind
from supportclub.receipts.contributions import donors_of_year
from supportclub.receipts.issuer import GateResult, check_gate

FIRST_YEAR = 2000

# The preview ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedReceipt:
    """A donor who gets a receipt: which kind, for how many contributions, how much."""

    person_id: int
    name: str
    kind: ReceiptKind
    count: int
    total_cents: int
    email: str | None
    waiver: bool
    by_mail: bool  # machine-made and e-mailed (if the batch sends mail), else printed


@dataclass(frozen=True)
class SkippedDonor:
    """A donor (or part of their contributions) the batch leaves out, and why."""

    person_id: int
    name: str
    code: str  # "receipted", "address", "minimum", "in_kind"
    reason: str
    count: int = 0
    total_cents: int = 0


@dataclass(frozen=True)
class YearPlan:
    """What "Zuwendungsbestätigungen <year> erstellen" would do now."""

    year: int
    min_cents: int
    receipts: tuple[PlannedReceipt, ...]
    skipped: tuple[SkippedDonor, ...]
    gate: GateResult

    @property
    def total_cents(self) -> int:
        """The sum of all planned receipts."""
        return sum(r.total_cents for r in self.receipts)

    @property
    def contribution_count(self) -> int:
        """The contributions on the planned receipts."""
        return sum(r.count for r in self.receipts)

    @property
    def collective_count(self) -> int:
        """Planned Sammelbestätigungen."""
        return sum(1 for r in self.receipts if r.kind == ReceiptKind.COLLECTIVE)

    @property
    def single_count(self) -> int:
        """Planned single receipts (donors with one contribution)."""
        return sum(1 for r in self.receipts if r.kind == ReceiptKind.SINGLE)

    @property
    def mail_count(self) -> int:
        """Planned receipts that may go by e-mail."""
        return sum(1 for r in self.receipts if r.by_mail)

    @property
    def person_ids(self) -> set[int]:
        """Every donor the plan names (receipt or skipped)."""
        return {r.person_id for r in self.receipts} | {s.person_id for s in self.skipped}


def _mail_allowed(settings: AssociationSettings) -> bool:
    """Machine-made receipts (facsimile, e-mail) are allowed by the settings."""
    return bool(settings.machine_receipts and settings.facsimile_key)


def plan_year(year: int, min_cents: int | None = None) -> YearPlan:
    """Preview the year's batch: per donor what they get, who is skipped and why, totals."""
    settings = get_settings()
    if min_cents is None:
        min_cents = settings.receipt_min_cents or 0
    mail_allowed = _mail_allowed(settings)
    receipts, skipped = [], []
    for donor in donors_of_year(year, dues_deductible=settings.dues_deductible):
        open_count = donor.money_count + donor.in_kind_count
        if not open_count:
            skipped.append(
                SkippedDonor(
                    donor.person_id,
                    donor.name,
                    "receipted",
                    _(
                        "Alle Zuwendungen %(year)s sind bereits bestätigt (%(count)s).",
                        year=year,
                        count=donor.receipted_count,
                    ),
                    donor.receipted_count,
                )
            )
            continue
        if not donor.has_address:
            skipped.append(
                SkippedDonor(
                    donor.person_id,
                    donor.name,
                    "address",
                    _(
                        "Keine Postanschrift: bitte bei der Person Straße, PLZ und Ort ergänzen, "
                        "dann den Lauf erneut starten."
                    ),
                    open_count,
                    donor.money_cents + donor.in_kind_cents,
                )
            )
            continue
        if donor.money_count and donor.money_cents < min_cents:
            skipped.append(
                SkippedDonor(
                    donor.person_id,
                    donor.name,
                    "minimum",
                    _(
                        "Summe %(total)s liegt unter dem Mindestbetrag von %(min)s.",
                        total=format_cents(donor.money_cents),
                        min=format_cents(min_cents),
                    ),
                    donor.money_count,
                    donor.money_cents,
                )
            )
        elif donor.money_count:
            receipts.append(
                PlannedReceipt(
                    person_id=donor.person_id,
                    name=donor.name,
                    kind=ReceiptKind.COLLECTIVE if donor.money_count > 1 else ReceiptKind.SINGLE,
                    count=donor.money_count,
                    total_cents=donor.money_cents,
                    email=donor.email,
                    waiver=donor.waiver_count > 0,
                    by_mail=mail_allowed and bool(donor.email) and not donor.waiver_count,
                )
            )
        if donor.in_kind_count:
            skipped.append(
                SkippedDonor(
                    donor.person_id,
                    donor.name,
                    "in_kind",
                    _(
                        "Sachzuwendungen (%(count)s, zusammen %(total)s) brauchen je eine eigene "
                        "Bestätigung über Sachzuwendungen mit Unterschrift: bitte einzeln "
                        "ausstellen.",
                        count=donor.in_kind_count,
                        total=format_cents(donor.in_kind_cents),
                    ),
                    donor.in_kind_count,
                    donor.in_kind_cents,
                )
            )
    return YearPlan(year, min_cents, tuple(receipts), tuple(skipped), check_gate(settings, today()))


def check_year(year: int) -> None:
    """Refuse a year before 2000 or in the future."""
    if not FIRST_YEAR <= year <= today().year:
        raise ValidationError(
            _(
                "Das Jahr %(year)s ist nicht möglich: bitte ein Jahr von %(first)s bis %(last)s "
                "angeben.",
                year=year,
                first=FIRST_YEAR,
                last=today().year,
            ),
            field="year",
        )
