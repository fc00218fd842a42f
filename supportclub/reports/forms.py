"""Report forms: the export period, transparency switch and tax thresholds (shape checks only)."""

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField, SelectField, SubmitField
from wtforms.fields.choices import SelectChoice as C
from wtforms.validators import DataRequired, InputRequired, ValidationError

from supportclub.admin.models import ThresholdKind
from supportclub.forms import MoneyField
from supportclub.reports.services import KIND_LABELS

EXPORT_KINDS = (
    C("bookings", _l("Buchungen (eine Zeile je Buchungsposition)")),
    C("donations", _l("Spenden")),
    C("grants", _l("Förderungen")),
)
EXPORT_FORMATS = (C("xlsx", _l("Excel (.xlsx)")), C("csv", _l("CSV für Excel (.csv)")))
DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]  # what a date input sends, and what people type
DATE_MESSAGE = _l("Bitte ein gültiges Datum angeben (TT.MM.JJJJ).")


class ExportForm(FlaskForm):
    """What to export for which period (GET, no CSRF; the export is read-only)."""

    class Meta:
        csrf = False

    von = DateField(_l("Von"), format=DATE_FORMATS, validators=[DataRequired(DATE_MESSAGE)])
    bis = DateField(_l("Bis"), format=DATE_FORMATS, validators=[DataRequired(DATE_MESSAGE)])
    kind = RadioField(
        _l("Was"),
        choices=EXPORT_KINDS,
        default="bookings",
        validators=[InputRequired(_l("Bitte wählen, was exportiert wird."))],
    )
    fmt = RadioField(
        _l("Format"),
        choices=EXPORT_FORMATS,
        default="xlsx",
        validators=[InputRequired(_l("Bitte ein Format wählen."))],
    )
    submit = SubmitField(_l("Exportieren"))

    def validate_bis(self, field) -> None:
        """The period ends on or after its start."""
        if self.von.data and field.data and field.data < self.von.data:
            raise ValidationError(_l("„Bis“ darf nicht vor „Von“ liegen."))

    def validate_von(self, field) -> None:
        """No period before the earliest date the ledger accepts."""
        if field.data and field.data < date(1990, 1, 1):
            raise ValidationError(_l("Das Datum ist zu weit in der Vergangenheit."))


class TransparencyForm(FlaskForm):
    """The public transparency page: shown or not."""

    public = RadioField(
        _l("Öffentliche Transparenzseite"),
        choices=(
            C("1", _l("öffentlich (ohne Anmeldung sichtbar)")),
            C("0", _l("nicht öffentlich")),
        ),
        validators=[InputRequired(_l("Bitte „öffentlich“ oder „nicht öffentlich“ wählen."))],
    )
    submit = SubmitField(_l("Speichern"))


class ThresholdAddForm(FlaskForm):
    """A new row: from year X on, the threshold of a kind is amount Y."""

    kind = SelectField(
        _l("Grenze"),
        choices=[C(str(kind), _l(label)) for kind, label in KIND_LABELS.items()],
        validators=[InputRequired(_l("Bitte eine Art der Grenze wählen."))],
    )
    valid_from_year = IntegerField(
        _l("gilt ab Jahr"),
        validators=[InputRequired(_l("Bitte ein Jahr angeben (z. B. 2026)."))],
    )
    amount = MoneyField(_l("Betrag"))
    submit = SubmitField(_l("Grenze hinzufügen"))

    def validate_kind(self, field) -> None:
        """Only the known kinds."""
        if field.data not in {str(kind) for kind in ThresholdKind}:
            raise ValidationError(_l("Bitte eine Art der Grenze wählen."))


class ThresholdChangeForm(FlaskForm):
    """A new amount for an existing row."""

    threshold_id = IntegerField(validators=[InputRequired(_l("Diese Grenze gibt es nicht."))])
    amount = MoneyField(_l("Betrag"))
    submit = SubmitField(_l("Ändern"))
