"""Donation forms: money, in kind, waiver, the donation box, the list filter (shape checks only)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice as C
from wtforms.validators import DataRequired, Length, Optional

from supportclub.donations.labels import KIND_LABELS  # noqa: F401  (re-exported)
from supportclub.donations.models import DonationKind, InKindOrigin
from supportclub.forms import MoneyField, int_or_none
from supportclub.ledger.person_picker import PersonPickerFields

BATCH_ROWS = 30

ORIGIN_LABELS = {
    InKindOrigin.BUSINESS: _l("aus dem Betriebsvermögen"),
    InKindOrigin.PRIVATE: _l("aus dem Privatvermögen"),
    InKindOrigin.UNKNOWN: _l("keine Angabe trotz Aufforderung"),
}


def kind_or_none(value):
    """Coerce the kind select to a DonationKind, or None for "all"; unknown values fail."""
    if value in (None, "", "None"):
        return None
    return DonationKind(value)


class DonationBaseForm(PersonPickerFields, FlaskForm):
    """Date, donor, earmark and campaign: what every kind of donation asks."""

    person = StringField(
        _l("Spender (Person oder Organisation)"),
        validators=[Length(max=300)],
        description=_l("Namen tippen und aus der Liste wählen, oder unten neu anlegen."),
    )
    booking_date = DateField(
        _l("Datum der Zuwendung"),
        validators=[DataRequired(_l("Bitte ein gültiges Datum angeben."))],
    )
    # the services check earmark, campaign, account and category, with a message that names
    # the problem (a closed project, an inactive account) instead of "not a valid choice"
    fund_id = SelectField(_l("Zweck"), coerce=int_or_none, validate_choice=False)
    campaign_id = SelectField(_l("Aktion (optional)"), coerce=int_or_none, validate_choice=False)


class MoneyDonationForm(DonationBaseForm):
    """A money donation to the bank account or the cash box."""

    amount = MoneyField(_l("Betrag"))
    account_id = SelectField(_l("Konto"), coerce=int_or_none, validate_choice=False)
    text = StringField(
        _l("Buchungstext"),
        validators=[Length(max=500)],
        description=_l("Leer lassen für „Spende“."),
    )
    submit = SubmitField(_l("Geldspende buchen"))


class InKindForm(DonationBaseForm):
    """A donation in kind (Sachspende) with what Anlage 4 of the receipt must state."""

    value = MoneyField(_l("Wert der Sachspende"))
    description = TextAreaField(
        _l("Genaue Bezeichnung der Sache"),
        validators=[
            DataRequired(
                _l("Bitte die Sache genau bezeichnen (mit Alter, Zustand, Kaufpreis usw.).")
            ),
            Length(max=2000),
        ],
        description=_l("Mit Alter, Zustand, Kaufpreis usw."),
    )
    origin = RadioField(
        _l("Herkunft (nach Angabe des Spenders)"),
        choices=[C(o.value, label) for o, label in ORIGIN_LABELS.items()],
        validators=[DataRequired(_l("Bitte die Herkunft der Sachspende angeben."))],
    )
    value_basis = TextAreaField(
        _l("Grundlage der Bewertung"),
        validators=[
            DataRequired(
                _l("Bitte angeben, worauf der Wert beruht (z. B. Rechnung, Gutachten, Marktpreis).")
            ),
            Length(max=2000),
        ],
        description=_l("Worauf beruht der Wert? Zum Beispiel Rechnung, Gutachten, Marktpreis."),
    )
    documents_present = BooleanField(
        _l("Unterlagen zur Wertermittlung (Rechnung, Gutachten) liegen vor")
    )
    use_category_id = SelectField(_l("Verwendet als"), coerce=int_or_none, validate_choice=False)
    submit = SubmitField(_l("Sachspende buchen"))


class WaiverForm(DonationBaseForm):
    """A waived reimbursement (Aufwandsspende)."""

    amount = MoneyField(_l("Betrag des Erstattungsanspruchs"))
    description = TextAreaField(
        _l("Aufwendungen"),
        validators=[
            DataRequired(_l("Bitte angeben, welche Aufwendungen erstattet würden.")),
            Length(max=2000),
        ],
        description=_l("Welche Aufwendungen wären zu erstatten (z. B. Fahrtkosten am 12.05.)?"),
    )
    claim_date = DateField(
        _l("Anspruch entstanden am"),
        validators=[DataRequired(_l("Bitte ein gültiges Datum angeben."))],
    )
    claim_basis = StringField(
        _l("Grundlage des Anspruchs"),
        validators=[
            DataRequired(
                _l(
                    "Bitte angeben, worauf der Erstattungsanspruch beruht "
                    "(Satzung, Vertrag oder Vorstandsbeschluss)."
                )
            ),
            Length(max=500),
        ],
        description=_l("Satzung, Vertrag oder Vorstandsbeschluss (mit Datum)."),
    )
    expense_category_id = SelectField(
        _l("Art der Aufwendungen (Kategorie)"), coerce=int_or_none, validate_choice=False
    )
    submit = SubmitField(_l("Aufwandsspende buchen"))


class BatchRowForm(Form):
    """One amount of the donation box with an optional note."""

    amount = MoneyField(_l("Betrag"), required=False)
    text = StringField(_l("Notiz"), validators=[Length(max=200)])


class BatchForm(FlaskForm):
    """Many small anonymous cash donations as one booking: check first, then book."""

    booking_date = DateField(
        _l("Datum"), validators=[DataRequired(_l("Bitte ein gültiges Datum angeben."))]
    )
    campaign_id = SelectField(_l("Aktion (optional)"), coerce=int_or_none, validate_choice=False)
    fund_id = SelectField(_l("Zweck"), coerce=int_or_none, validate_choice=False)
    text = StringField(
        _l("Buchungstext"),
        validators=[Length(max=500)],
        description=_l("Leer lassen für „Sammelbuchung Bargeldspenden“."),
    )
    rows = FieldList(FormField(BatchRowForm), min_entries=BATCH_ROWS, max_entries=BATCH_ROWS)
    # the total the treasurer saw after "Prüfen"; "Buchen" only books exactly this
    checked_cents = HiddenField()
    check = SubmitField(_l("Prüfen"))
    book = SubmitField(_l("Buchen"))


class DonationFilterForm(FlaskForm):
    """Filter the donations list (GET, no CSRF)."""

    class Meta:
        csrf = False

    year = SelectField(_l("Jahr"), coerce=int_or_none, validators=[Optional()])
    person = StringField(_l("Spender"), validators=[Length(max=300)])
    fund_id = SelectField(_l("Zweck"), coerce=int_or_none, validators=[Optional()])
    kind = SelectField(_l("Art"), coerce=kind_or_none, validators=[Optional()])
    campaign_id = SelectField(_l("Aktion"), coerce=int_or_none, validators=[Optional()])
