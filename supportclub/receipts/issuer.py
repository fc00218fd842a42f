"""The association's side of a receipt: its data complete and its exemption still fresh.

§ 63 Abs. 5 AO: receipts may be issued only while the Freistellungsbescheid (or the annex to
the corporation-tax notice) is at most 5 years old, or the § 60a notice at most 3 years,
counted to the day from the notice's date to the day of issue.
"""

from dataclasses import dataclass
from datetime import date

from supportclub.admin.models import AssociationSettings, ExemptionKind
from supportclub.errors import ValidationError
from supportclub.i18n import N_, _

FRESH_YEARS = {ExemptionKind.FREISTELLUNGSBESCHEID: 5, ExemptionKind.FESTSTELLUNG_60A: 3}

# the settings a receipt cannot do without, with the label of their field in the settings
REQUIRED = (
    ("name", N_("Name des Vereins")),
    ("street", N_("Straße und Hausnummer")),
    ("postal_code", N_("PLZ")),
    ("city", N_("Ort")),
    ("tax_office", N_("Finanzamt")),
    ("tax_number", N_("Steuernummer")),
    ("exemption_date", N_("Datum des Bescheids")),
    ("purposes", N_("Steuerbegünstigte Zwecke")),
)


class SettingsIncomplete(ValidationError):
    """The association's settings lack what a receipt must state."""


class ExemptionExpired(ValidationError):
    """The exemption notice is too old to issue receipts (§ 63 Abs. 5 AO)."""


def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def missing_settings(settings: AssociationSettings) -> list[str]:
    """The labels (translated) of the settings a receipt needs but that are empty."""
    missing = []
    for field, label in REQUIRED:
        value = getattr(settings, field)
        if value is None or (isinstance(value, str) and not value.strip()):
            missing.append(_(label))
    if (
        settings.exemption_kind == ExemptionKind.FREISTELLUNGSBESCHEID
        and not (settings.exemption_period or "").strip()
    ):
        missing.append(_("Letzter Veranlagungszeitraum"))
    if settings.machine_receipts and not settings.machine_receipts_notified_on:
        missing.append(_("Datum der Anzeige beim Finanzamt"))
    return missing


def exemption_valid_until(settings: AssociationSettings) -> date | None:
    """The last day receipts may be issued on the current notice, or None without a date."""
    if settings.exemption_date is None:
        return None
    return add_years(settings.exemption_date, FRESH_YEARS[settings.exemption_kind])


@dataclass(frozen=True)
class GateResult:
    """Whether receipts can be issued on a day, and if not, why (translated messages)."""

    problems: tuple[str, ...]
    valid_until: date | None

    @property
    def ok(self) -> bool:
        """True when receipts may be issued."""
        return not self.problems


def check_gate(settings: AssociationSettings, on: date) -> GateResult:
    """Everything that stops receipts being issued on `on`, without raising."""
    problems = []
    missing = missing_settings(settings)
    if missing:
        problems.append(
            _(
                "In den Vereinseinstellungen fehlt, was auf jeder Zuwendungsbestätigung stehen "
                "muss: %(fields)s. Bitte unter Verwaltung → Einstellungen ergänzen.",
                fields=", ".join(missing),
            )
        )
    until = exemption_valid_until(settings)
    if until is not None and on > until:
        problems.append(_expired_message(settings, until))
    elif until is not None and settings.exemption_date > on:
        problems.append(
            _(
                "Das Datum des Bescheids (%(date)s) liegt in der Zukunft. Bitte in den "
                "Vereinseinstellungen korrigieren.",
                date=settings.exemption_date.strftime("%d.%m.%Y"),
            )
        )
    return GateResult(tuple(problems), until)


def _expired_message(settings: AssociationSettings, until: date) -> str:
    """Tell the treasurer the notice is too old and what to enter instead."""
    if settings.exemption_kind == ExemptionKind.FREISTELLUNGSBESCHEID:
        return _(
            "Der Freistellungsbescheid vom %(date)s ist älter als 5 Jahre (Zuwendungs"
            "bestätigungen waren bis %(until)s möglich, § 63 Abs. 5 AO). Bitte tragen Sie in den "
            "Vereinseinstellungen das Datum und den Veranlagungszeitraum Ihres neuesten "
            "Freistellungsbescheids (bzw. der Anlage zum Körperschaftsteuerbescheid) ein.",
            date=settings.exemption_date.strftime("%d.%m.%Y"),
            until=until.strftime("%d.%m.%Y"),
        )
    return _(
        "Der Feststellungsbescheid nach § 60a AO vom %(date)s ist älter als 3 Jahre (Zuwendungs"
        "bestätigungen waren bis %(until)s möglich, § 63 Abs. 5 AO). Bitte tragen Sie in den "
        "Vereinseinstellungen Ihren Freistellungsbescheid oder einen neuen Feststellungsbescheid "
        "ein.",
        date=settings.exemption_date.strftime("%d.%m.%Y"),
        until=until.strftime("%d.%m.%Y"),
    )


def require_gate(settings: AssociationSettings, on: date) -> None:
    """Raise SettingsIncomplete or ExemptionExpired when receipts cannot be issued on `on`."""
    result = check_gate(settings, on)
    if result.ok:
        return
    if missing_settings(settings):
        raise SettingsIncomplete(" ".join(result.problems))
    raise ExemptionExpired(" ".join(result.problems))
