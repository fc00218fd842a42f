"""Campaign forms: the campaign itself, its booking rows, the list filter (shape checks only)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.i18n import translations
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from supportclub.campaigns.services import MAX_LINES, MAX_YEAR, MIN_YEAR
from supportclub.forms import MoneyField, int_or_none
from supportclub.ledger.person_picker import PersonPickerFields

# Rows shown on a fresh booking form; "Weitere Position" adds one more, up to MAX_LINES.
START_LINES = 4


def number_range(low: int, high: int, message):
    """NumberRange that stays quiet when the text was no number (that has its own message)."""
    check = NumberRange(min=low, max=high, message=message)

    def validator(form, field):
        """Check the range of a number that was parsed."""
        if field.data is not None:
            check(form, field)

    return validator


class CampaignForm(FlaskForm):
    """Create or change a campaign; an empty name becomes "<series> <year>"."""

    series = StringField(
        _l("Reihe"),
        validators=[DataRequired(_l("Bitte die Reihe angeben.")), Length(max=100)],
        description=_l("Dieselbe Aktion über die Jahre, z. B. Familienwandertag."),
    )
    year = IntegerField(
        _l("Jahr"),
        validators=[
            InputRequired(_l("Bitte ein Jahr angeben.")),
            number_range(MIN_YEAR, MAX_YEAR, _l("Das Jahr muss zwischen 1990 und 2200 liegen.")),
        ],
    )
    name = StringField(
        _l("Name"),
        validators=[Length(max=200)],
        description=_l("Leer lassen für „Reihe Jahr“, z. B. „Familienwandertag 2025“."),
    )
    event_date = DateField(_l("Datum der Aktion"), validators=[Optional()])
    description = TextAreaField(_l("Beschreibung"), validators=[Length(max=5000)])
    submit = SubmitField(_l("Speichern"))


class CampaignLineForm(Form):
    """One row: category, amount or quantity × unit price, text. An empty row is skipped."""

    class Meta:
        """A plain sub-form: give it WTForms' messages in the request's language, as FlaskForm."""

        def get_translations(self, form):
            """Flask-WTF's translations (German "Keine gültige Auswahl.")."""
            return translations

    category_id = SelectField(_l("Kategorie"), coerce=int_or_none)
    amount = MoneyField(_l("Betrag"), required=False)
    quantity = IntegerField(
        _l("Stückzahl"),
        validators=[
            Optional(),
            number_range(1, 1_000_000, _l("Bitte eine Stückzahl von 1 bis 1.000.000 angeben.")),
        ],
    )
    unit_price = MoneyField(_l("Stückpreis"), required=False)
    text = StringField(_l("Text"), validators=[Length(max=500)])

    def is_empty(self) -> bool:
        """True when nothing was typed or chosen in the row."""
        raw = (self.amount.raw_data, self.quantity.raw_data, self.unit_price.raw_data)
        typed = any(values and str(values[0]).strip() for values in raw)
        return self.category_id.data is None and not typed and not (self.text.data or "").strip()


class CampaignBookingForm(PersonPickerFields, FlaskForm):
    """A campaign booking: date, account, optional person, text, up to MAX_LINES rows."""

    booking_date = DateField(
        _l("Datum"), validators=[DataRequired(_l("Bitte ein gültiges Datum angeben."))]
    )
    account_id = SelectField(_l("Konto"), coerce=int_or_none)
    text = StringField(
        _l("Buchungstext"),
        validators=[Length(max=500)],
        description=_l("Leer lassen für den Namen der Aktion."),
    )
    lines = FieldList(FormField(CampaignLineForm), min_entries=START_LINES, max_entries=MAX_LINES)
    add_line = SubmitField(_l("Weitere Position"))
    submit = SubmitField(_l("Buchung speichern"))


class CampaignFilterForm(FlaskForm):
    """Filter the campaign list by year and series (GET, no CSRF)."""

    class Meta:
        csrf = False

    year = SelectField(_l("Jahr"), coerce=int_or_none, validators=[Optional()])
    series = SelectField(_l("Reihe"), validators=[Optional()])
