"""Project forms: application, decisions, allocations, payouts, documents, list filter.

Shape checks only; the rules (free money, what is approved and unpaid, dates) live in the
services, whose messages the routes put on the field named here.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice as C
from wtforms.validators import DataRequired, Email, Length, Optional

from supportclub.forms import MoneyField, int_or_none
from supportclub.ledger.person_picker import PersonPickerFields
from supportclub.projects.labels import STAGE_BADGES, STAGE_LABELS  # noqa: F401  (re-exported)
from supportclub.projects.models import DocumentKind

KIND_LABELS = {
    DocumentKind.APPLICATION: _l("Antrag"),
    DocumentKind.RESOLUTION: _l("Beschluss"),
    DocumentKind.PROOF: _l("Verwendungsnachweis"),
    DocumentKind.OTHER: _l("Sonstiges"),
}

DATE_MESSAGE = _l("Bitte ein gültiges Datum angeben.")
FILE_HELP = _l("PDF oder Bild (PNG, JPEG, WebP), höchstens 10 MB.")


def _date(label) -> DateField:
    """A required date field with a German message."""
    return DateField(label, validators=[DataRequired(DATE_MESSAGE)])


def _note(label, required_message=None, max_length: int = 2000) -> TextAreaField:
    """A note or reason (required when a message is given)."""
    validators = [Length(max=max_length)]
    if required_message:
        validators.insert(0, DataRequired(required_message))
    return TextAreaField(label, validators=validators)


class ProjectFilterForm(FlaskForm):
    """Filter the project list (GET, no CSRF)."""

    class Meta:
        csrf = False

    stage = SelectField(
        _l("Stand"),
        choices=[C("", _l("alle"))] + [C(s.value, label) for s, label in STAGE_LABELS.items()],
        validators=[Optional()],
    )
    year = SelectField(_l("Antragsjahr"), coerce=int_or_none, validators=[Optional()])
    q = StringField(_l("Suche"), validators=[Optional(), Length(max=100)])


class ProjectEditForm(FlaskForm):
    """The details of an application (the applicant is fixed once recorded)."""

    title = StringField(
        _l("Titel"),
        validators=[
            DataRequired(_l("Bitte einen Titel für das Projekt angeben.")),
            Length(max=200),
        ],
    )
    purpose = TextAreaField(
        _l("Zweck"),
        validators=[Length(max=5000)],
        description=_l("Wofür die Förderung verwendet werden soll."),
    )
    contact_name = StringField(_l("Ansprechperson"), validators=[Length(max=200)])
    contact_email = StringField(
        _l("E-Mail der Ansprechperson"),
        validators=[
            Optional(),
            Length(max=254),
            Email(_l("Bitte eine gültige E-Mail-Adresse angeben.")),
        ],
    )
    contact_phone = StringField(_l("Telefon der Ansprechperson"), validators=[Length(max=50)])
    requested_cents = MoneyField(_l("Beantragter Betrag"))
    applied_on = _date(_l("Antrag vom"))
    is_public = BooleanField(_l("auf der Transparenzseite zeigen"), default=True)
    submit = SubmitField(_l("Speichern"))


class ProjectForm(PersonPickerFields, ProjectEditForm):
    """Record an application: the applicant (picked or new), its details, a first document."""

    person = StringField(
        _l("Antragsteller (Organisation oder Person)"),
        validators=[Length(max=300)],
        description=_l("Namen tippen und aus der Liste wählen, oder unten neu anlegen."),
    )
    file = FileField(_l("Antrag als Datei (optional)"), description=FILE_HELP)
    submit = SubmitField(_l("Antrag erfassen"))


class ApproveForm(FlaskForm):
    """The board's resolution: date, amount, note, and the reason for going beyond free money."""

    resolution_date = _date(_l("Datum des Beschlusses"))
    amount = MoneyField(_l("Bewilligter Betrag"))
    note = _note(_l("Notiz zum Beschluss"))
    override_reason = TextAreaField(
        _l("Begründung für die Überschreitung"),
        validators=[Length(max=2000)],
        description=_l(
            "Nur nötig, wenn die Bewilligung die freien Mittel übersteigt: Dann ist sie nur "
            "mit einer Begründung möglich (z. B. Vorstandsbeschluss, erwartete Einnahmen). "
            "Die Begründung wird mit der Bewilligung gespeichert."
        ),
    )
    submit = SubmitField(_l("Bewilligung erfassen"))


class RejectForm(FlaskForm):
    """The board's rejection of an application."""

    decided_on = _date(_l("Datum der Entscheidung"))
    note = _note(_l("Begründung / Notiz"))
    submit = SubmitField(_l("Ablehnen"))


class RevokeForm(FlaskForm):
    """Revoke a resolution, with a reason."""

    revoked_on = _date(_l("Datum der Rücknahme"))
    reason = _note(_l("Grund"), _l("Bitte einen Grund für die Rücknahme angeben."))
    submit = SubmitField(_l("Bewilligung zurücknehmen"))


class AllocateForm(FlaskForm):
    """Move money from the general fund to the project's fund."""

    booking_date = _date(_l("Datum"))
    amount = MoneyField(_l("Betrag"))
    text = StringField(_l("Buchungstext"), validators=[Length(max=500)])
    submit = SubmitField(_l("Mittel zuweisen"))


class PayoutForm(FlaskForm):
    """Pay (part of) the grant out of the project's fund."""

    booking_date = _date(_l("Datum"))
    account_id = SelectField(_l("Konto"), coerce=int_or_none)
    amount = MoneyField(_l("Betrag"))
    text = StringField(_l("Buchungstext"), validators=[Length(max=500)])
    submit = SubmitField(_l("Auszahlung buchen"))


class ReleaseForm(FlaskForm):
    """Book money the project will not use back into the general fund."""

    amount = MoneyField(_l("Betrag"))
    booking_date = _date(_l("Datum"))
    reason = _note(_l("Grund"), _l("Bitte einen Grund für die Rückbuchung angeben."), 400)
    submit = SubmitField(_l("Zurückbuchen"))


class ProofForm(FlaskForm):
    """The proof of use has arrived (optionally with the document)."""

    received_on = _date(_l("Eingegangen am"))
    note = _note(_l("Notiz"))
    file = FileField(_l("Verwendungsnachweis als Datei (optional)"), description=FILE_HELP)
    submit = SubmitField(_l("Nachweis erfassen"))


class CloseForm(FlaskForm):
    """Close the project; its fund must be empty (the rest goes back on request)."""

    closed_on = _date(_l("Abgeschlossen am"))
    note = _note(_l("Notiz"))
    release_rest = BooleanField(_l("Restmittel in den allgemeinen Fonds zurückbuchen"))
    submit = SubmitField(_l("Projekt abschließen"))


class DocumentForm(FlaskForm):
    """Upload a document to a project."""

    file = FileField(
        _l("Datei"),
        validators=[FileRequired(_l("Bitte eine Datei auswählen."))],
        description=FILE_HELP,
    )
    kind = SelectField(
        _l("Art"),
        choices=[C(k.value, label) for k, label in KIND_LABELS.items()],
        default=DocumentKind.OTHER.value,
    )
    submit = SubmitField(_l("Hochladen"))
