"""Dues forms: dues run, payment, write-off, settings, open-claims filter (shape checks only)."""

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice as C
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from supportclub.dues.queries import ClaimRow
from supportclub.forms import MoneyField, int_or_none
from supportclub.money import MoneyError, format_input, parse_amount


class RunPreviewForm(FlaskForm):
    """The year of the dues run to preview (GET, no CSRF)."""

    class Meta:
        csrf = False

    year = IntegerField(_l("Jahr"), validators=[InputRequired(_l("Bitte ein Jahr angeben."))])


class RunForm(FlaskForm):
    """Execute the dues run of a year; the server plans it again."""

    year = IntegerField(_l("Jahr"), validators=[InputRequired(_l("Bitte ein Jahr angeben."))])
    submit = SubmitField(_l("Beitragslauf ausführen"))


class OpenClaimsFilterForm(FlaskForm):
    """Filter the open-dues list (GET, no CSRF)."""

    class Meta:
        csrf = False

    year = SelectField(_l("Jahr"), coerce=int_or_none, validators=[Optional()])
    membership_type_id = SelectField(
        _l("Mitgliedsart"), coerce=int_or_none, validators=[Optional()]
    )
    overdue = BooleanField(_l("nur überfällige"))
    q = StringField(_l("Suche (Name oder Mitgliedsnummer)"), validators=[Length(max=100)])


class PayerForm(FlaskForm):
    """Pick the person who paid (GET, no CSRF)."""

    class Meta:
        csrf = False

    person = StringField(
        _l("Zahler (Person oder Organisation)"),
        validators=[Length(max=300)],
        description=_l("Namen oder Mitgliedsnummer tippen und aus der Liste wählen."),
    )


class PaymentForm(FlaskForm):
    """A dues payment; the claim rows (checkbox and amount each) are read by `read_allocations`."""

    person_id = HiddenField()
    booking_date = DateField(
        _l("Buchungsdatum"), validators=[DataRequired(_l("Bitte ein gültiges Datum angeben."))]
    )
    account_id = SelectField(_l("Konto"), coerce=int_or_none)
    amount = MoneyField(_l("Gezahlter Betrag"))
    text = StringField(
        _l("Buchungstext"),
        validators=[Length(max=500)],
        description=_l("Leer lassen für „Mitgliedsbeitrag“ und den Namen des Zahlers."),
    )
    # the remainder the treasurer was asked about; "book as donation" only confirms exactly this
    donation_cents = HiddenField()
    submit = SubmitField(_l("Zahlung buchen"))
    donate_rest = SubmitField(_l("Rest als Spende buchen"))


class WaiveForm(FlaskForm):
    """Write off what is open on a claim, with a reason."""

    reason = TextAreaField(
        _l("Grund für den Erlass"),
        validators=[
            DataRequired(_l("Bitte einen Grund für den Erlass angeben.")),
            Length(min=3, max=1000, message=_l("Bitte einen Grund (mindestens 3 Zeichen).")),
        ],
    )
    submit = SubmitField(_l("Forderung erlassen"))


class DuesSettingsForm(FlaskForm):
    """Pro-rata dues and the payment term."""

    dues_pro_rata = RadioField(
        _l("Beitrag bei Eintritt im Laufe des Jahres"),
        choices=[
            C("1", _l("Anteilig nach Monaten bei Eintritt im Laufe des Jahres")),
            C("0", _l("Immer der volle Jahresbeitrag")),
        ],
        validators=[InputRequired(_l("Bitte eine Möglichkeit wählen."))],
    )
    dues_payment_days = IntegerField(
        _l("Zahlungsziel in Tagen"),
        validators=[
            InputRequired(_l("Bitte eine Zahl von Tagen angeben.")),
            NumberRange(
                min=0, max=365, message=_l("Das Zahlungsziel muss zwischen 0 und 365 Tagen liegen.")
            ),
        ],
        description=_l("Eine neue Forderung ist so viele Tage nach dem Beitragslauf fällig."),
    )
    submit = SubmitField(_l("Speichern"))


# The claim rows of the payment form ---------------------------------------------------------


@dataclass
class PaymentRow:
    """One open claim on the payment page: chosen or not, the amount typed, its error."""

    row: ClaimRow
    checked: bool = False
    amount_text: str = ""
    error: str | None = None

    @property
    def claim_id(self) -> int:
        """The claim's id (names the row's inputs)."""
        return self.row.claim.id


def amount_input_name(claim_id: int) -> str:
    """The name of a claim row's amount input."""
    return f"betrag_{claim_id}"


def payment_rows(open_rows: list[ClaimRow], chosen: list[int], data=None) -> list[PaymentRow]:
    """The rows to show: every open claim, pre-filled with its open amount or the typed text."""
    result = []
    for row in open_rows:
        text = format_input(row.open_cents)
        if data is not None:
            text = data.get(amount_input_name(row.claim.id), text)
        result.append(PaymentRow(row, row.claim.id in chosen, text))
    return result


def chosen_claim_ids(values: list[str]) -> list[int]:
    """The claim ids of the checked rows (or the claim_id query arguments), in order."""
    # ASCII digits only ("²".isdigit() is true) and no more than an INTEGER column holds
    return [int(v) for v in values if re.fullmatch(r"[0-9]{1,9}", v.strip())]


def read_allocations(chosen: list[int], data, rows: list[PaymentRow]) -> tuple[dict, dict]:
    """Parse the amount of every chosen claim: ({claim_id: cents}, {claim_id: error})."""
    by_id = {r.claim_id: r for r in rows}
    amounts, errors = {}, {}
    for claim_id in chosen:
        text = data.get(amount_input_name(claim_id), "")
        try:
            amounts[claim_id] = parse_amount(text)
        except MoneyError as exc:
            errors[claim_id] = exc.message
            if claim_id in by_id:
                by_id[claim_id].error = exc.message
    return amounts, errors
