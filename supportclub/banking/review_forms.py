"""Forms of the review queue: the filter, the bulk confirmation, the correction of one line."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice as C
from wtforms.validators import Length, NumberRange, Optional

from supportclub.forms import int_or_none
from supportclub.ledger.person_picker import PersonPickerFields

# "Zuordnen als": the radio values; both claim variants book through TargetKind.CLAIMS
TARGET_CHOICES = [
    C("claims", _l("Beitrag/Beiträge")),
    C("claims_donation", _l("Beitrag + Spende")),
    C("donation", _l("Spende")),
    C("campaign", _l("Aktion")),
    C("payout", _l("Förderung (Auszahlung)")),
    C("other", _l("Kosten oder sonstige Einnahme")),
    C("booking", _l("vorhandene Buchung")),
]


class ReviewFilterForm(FlaskForm):
    """The filter of the review queue (GET, no CSRF)."""

    class Meta:
        csrf = False

    import_ = SelectField(_l("Import"), coerce=int_or_none, validate_choice=False, name="import")
    art = SelectField(_l("Art"), validate_choice=False)
    status = SelectField(
        _l("Status"),
        choices=[C("open", _l("zu prüfen")), C("done", _l("erledigt"))],
        default="open",
        validate_choice=False,
    )
    q = StringField(
        _l("Suche"),
        validators=[Length(max=200)],
        description=_l("Name, Verwendungszweck oder IBAN"),
    )


class ConfirmForm(FlaskForm):
    """ "Ausgewählte bestätigen" / "Alle Vorschläge bestätigen" (line ids come as line_id)."""

    next = HiddenField()
    scope = HiddenField(default="selected")  # "selected" or "all" (the buttons' values)
    submit = SubmitField(_l("Ausgewählte bestätigen"))


class AssignForm(PersonPickerFields, FlaskForm):
    """The correction of one line: what it is, for whom, on what."""

    target = RadioField(_l("Zuordnen als"), choices=TARGET_CHOICES, default="claims")
    claims = HiddenField()  # errors about the chosen claims are shown here
    fund_id = SelectField(_l("Fonds / Zweck"), coerce=int_or_none, validate_choice=False)
    project_id = SelectField(_l("Projekt"), coerce=int_or_none, validate_choice=False)
    campaign_id = SelectField(_l("Aktion"), coerce=int_or_none, validate_choice=False)
    category_id = SelectField(_l("Kategorie"), coerce=int_or_none, validate_choice=False)
    booking_id = IntegerField(
        _l("Buchungsnummer"),
        validators=[Optional(), NumberRange(min=1, max=2**31 - 1)],
        description=_l("Die Buchung, die diesen Umsatz schon enthält (gleicher Betrag)."),
    )
    text = StringField(_l("Buchungstext"), validators=[Length(max=500)])
    next = HiddenField()
    submit = SubmitField(_l("Zuordnen und buchen"))
