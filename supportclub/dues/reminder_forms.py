"""Reminder forms: the preview filter, the send form and the reminder texts (shape checks)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.validators import ValidationError as FieldError

from supportclub import MAX_DB_INT
from supportclub.dues.reminder_texts import PLACEHOLDERS, check_text
from supportclub.errors import ValidationError
from supportclub.forms import int_or_none

PLACEHOLDER_HELP = " ".join("{" + name + "}" for name in PLACEHOLDERS)


class ReminderFilterForm(FlaskForm):
    """Which open dues the preview covers (GET, no CSRF)."""

    class Meta:
        csrf = False

    year = SelectField(_l("Jahr"), coerce=int_or_none, validators=[Optional()])
    person_id = IntegerField(validators=[Optional(), NumberRange(min=1, max=MAX_DB_INT)])


class ReminderSendForm(FlaskForm):
    """The rows chosen in the preview; the server plans them again before sending."""

    # "<recipient id>-<member id>"; rows that vanished since the preview are reported, not refused
    keys = SelectMultipleField(validate_choice=False)
    year = HiddenField()
    person_id = HiddenField()
    submit = SubmitField(_l("Erinnerungen senden"))


def _placeholders_known(form, field) -> None:
    """A text may use only the known placeholders, with braces that pair up."""
    try:
        check_text(field.data or "")
    except ValidationError as error:
        raise FieldError(error.message) from error


class ReminderTextsForm(FlaskForm):
    """The texts of the Zahlungserinnerung and the Mahnung, and the days between reminders."""

    reminder_subject = StringField(
        _l("Betreff der Zahlungserinnerung"),
        validators=[
            DataRequired(_l("Bitte einen Betreff angeben.")),
            Length(max=200),
            _placeholders_known,
        ],
    )
    reminder_text = TextAreaField(
        _l("Text der Zahlungserinnerung"),
        validators=[DataRequired(_l("Bitte einen Text angeben.")), _placeholders_known],
        render_kw={"rows": 14},
    )
    dunning_subject = StringField(
        _l("Betreff der Mahnung"),
        validators=[
            DataRequired(_l("Bitte einen Betreff angeben.")),
            Length(max=200),
            _placeholders_known,
        ],
    )
    dunning_text = TextAreaField(
        _l("Text der Mahnung"),
        validators=[DataRequired(_l("Bitte einen Text angeben.")), _placeholders_known],
        render_kw={"rows": 14},
    )
    reminder_interval_days = IntegerField(
        _l("Mindestabstand zwischen zwei Erinnerungen (Tage)"),
        validators=[
            InputRequired(_l("Bitte eine Zahl von Tagen angeben.")),
            NumberRange(
                min=1,
                max=365,
                message=_l("Der Abstand muss zwischen 1 und 365 Tagen liegen."),
            ),
        ],
        description=_l(
            "Erst nach so vielen Tagen folgt auf eine Zahlungserinnerung die Mahnung "
            "(und auf eine Mahnung die nächste)."
        ),
    )
    preview = SubmitField(_l("Vorschau"))
    submit = SubmitField(_l("Speichern"))
