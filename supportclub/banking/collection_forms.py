"""Forms of the direct-debit pages: the selection of a collection, its confirmation, the
cancellation, and the direct-debit settings (shape checks only; the services decide)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice as C
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from supportclub.members.forms import lenient_int

SCHEMA_CHOICES = [
    C("pain.008.001.08", _l("pain.008.001.08 (Standard seit 2024)")),
    C("pain.008.001.02", _l("pain.008.001.02 (ältere Version, noch akzeptiert)")),
]


class CollectionForm(FlaskForm):
    """What to collect: the year's open dues (of a membership type), on which date, as which
    file version."""

    year = IntegerField(
        _l("Beitragsjahr"),
        validators=[
            InputRequired(_l("Bitte das Beitragsjahr angeben.")),
            NumberRange(min=1990, max=2200, message=_l("Bitte ein Jahr zwischen 1990 und 2200.")),
        ],
    )
    membership_type_id = SelectField(_l("Mitgliedsart"), coerce=lenient_int, validate_choice=False)
    collection_date = DateField(
        _l("Einzugsdatum (Fälligkeit)"),
        validators=[DataRequired(_l("Bitte ein gültiges Einzugsdatum angeben."))],
    )
    schema = SelectField(_l("Dateiformat"), choices=SCHEMA_CHOICES, default="pain.008.001.08")
    include_without_email = BooleanField(
        _l("Auch Zahler ohne E-Mail-Adresse einziehen (Vorabankündigung anderweitig, z. B. Brief)")
    )
    submit = SubmitField(_l("Vorschau anzeigen"))


class CollectionCreateForm(CollectionForm):
    """The previewed selection, sent again with the confirmation."""

    confirm = BooleanField(
        _l(
            "Ich habe die Vorschau geprüft; die Datei wird erstellt und die "
            "Vorabankündigungen werden versandt."
        ),
        validators=[DataRequired(_l("Bitte die Vorschau bestätigen."))],
    )
    submit = SubmitField(_l("Einzug erstellen"))


class CancelForm(FlaskForm):
    """Cancel a collection, with the reason."""

    reason = StringField(
        _l("Grund der Stornierung"),
        validators=[DataRequired(_l("Bitte einen Grund angeben.")), Length(max=500)],
    )
    submit = SubmitField(_l("Lastschrifteinzug stornieren"))


class DirectDebitSettingsForm(FlaskForm):
    """Gläubiger-ID, BIC of the creditor account and the days of pre-notification."""

    creditor_id = StringField(
        _l("Gläubiger-ID"),
        validators=[Length(max=60)],
        description=_l("Von der Bundesbank vergeben, z. B. DE98ZZZ09999999999."),
    )
    creditor_bic = StringField(
        _l("BIC des Vereinskontos (optional)"),
        validators=[Length(max=20)],
        description=_l("Nur nötig, wenn Ihre Bank sie verlangt; sonst leer lassen."),
    )
    prenotification_days = IntegerField(
        _l("Vorabankündigung (Tage vor dem Einzug)"),
        default=14,
        validators=[
            InputRequired(_l("Bitte die Anzahl der Tage angeben (1 bis 60).")),
            NumberRange(min=1, max=60, message=_l("Bitte 1 bis 60 Tage.")),
        ],
        description=_l(
            "Üblich sind 14 Tage; kürzer nur, wenn es mit den Mitgliedern vereinbart ist."
        ),
    )
    submit = SubmitField(_l("Speichern"))


__all__ = [
    "SCHEMA_CHOICES",
    "CancelForm",
    "CollectionCreateForm",
    "CollectionForm",
    "DirectDebitSettingsForm",
]
