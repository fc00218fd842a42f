"""Booking, reversal and filter forms (shape checks only)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice as C
from wtforms.validators import DataRequired, Length, Optional

from supportclub.forms import MoneyField, int_or_none
from supportclub.ledger.person_picker import PersonPickerFields


class LineForm(Form):
    """One line of a booking: category, fund, optional amount and text."""

    category_id = SelectField(_l("Kategorie"), coerce=int_or_none)
    fund_id = SelectField(_l("Fonds"), coerce=int_or_none)
    amount = MoneyField(_l("Betrag der Position"), allow_negative=True, required=False)
    text = StringField(_l("Text der Position"), validators=[Length(max=500)])


class BookingForm(PersonPickerFields, FlaskForm):
    """Record an income or an expense; one line is the common case."""

    kind = RadioField(
        _l("Art"),
        choices=[C("income", _l("Einnahme")), C("expense", _l("Ausgabe"))],
        default="income",
        validators=[DataRequired(_l("Bitte Einnahme oder Ausgabe wählen."))],
    )
    booking_date = DateField(
        _l("Datum"), validators=[DataRequired(_l("Bitte ein gültiges Datum angeben."))]
    )
    amount = MoneyField(_l("Betrag"))
    account_id = SelectField(_l("Konto"), coerce=int_or_none)
    text = StringField(_l("Buchungstext"), validators=[Length(max=500)])
    lines = FieldList(FormField(LineForm), min_entries=1, max_entries=20)
    add_line = SubmitField(_l("Weitere Position"))
    submit = SubmitField(_l("Buchung speichern"))


class ReversalForm(FlaskForm):
    """Reverse a booking with a reason."""

    reason = TextAreaField(
        _l("Grund der Stornierung"),
        validators=[
            DataRequired(_l("Bitte einen Grund für die Stornierung angeben.")),
            Length(min=3, max=1000, message=_l("Bitte einen Grund (mindestens 3 Zeichen).")),
        ],
    )
    reversal_date = DateField(_l("Datum der Stornobuchung"), validators=[Optional()])
    submit = SubmitField(_l("Buchung stornieren"))


class BookingFilterForm(FlaskForm):
    """Filter the bookings list (GET, no CSRF)."""

    class Meta:
        csrf = False

    year = SelectField(_l("Jahr"), coerce=int_or_none, validators=[Optional()])
    date_from = DateField(_l("Von"), validators=[Optional()])
    date_to = DateField(_l("Bis"), validators=[Optional()])
    category_id = SelectField(_l("Kategorie"), coerce=int_or_none, validators=[Optional()])
    fund_id = SelectField(_l("Fonds"), coerce=int_or_none, validators=[Optional()])
    account_id = SelectField(_l("Konto"), coerce=int_or_none, validators=[Optional()])
    person = StringField(_l("Person"))
