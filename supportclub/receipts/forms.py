"""Receipt forms: the list filter, issuing, revoking, and the receipt settings (shape checks only;
the rules live in the services)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice as C
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from supportclub.forms import MoneyField, int_or_none
from supportclub.receipts.labels import KIND_LABELS, STATUS_LABELS

YEAR_RANGE = NumberRange(min=1990, max=2200, message=_l("Bitte ein Jahr zwischen 1990 und 2200."))


class ReceiptFilterForm(FlaskForm):
    """The list's filter (GET, no CSRF)."""

    class Meta:
        csrf = False

    jahr = SelectField(_l("Jahr"), coerce=int_or_none, validate_choice=False)
    art = SelectField(
        _l("Art"),
        choices=[C("", _l("alle"))] + [C(k.value, v) for k, v in KIND_LABELS.items()],
    )
    status = SelectField(
        _l("Status"), choices=[C("", _l("alle"))] + [C(k, v) for k, v in STATUS_LABELS.items()]
    )
    person = IntegerField(_l("Person"), validators=[Optional()])
    q = StringField(_l("Nummer oder Name"), validators=[Optional(), Length(max=100)])


class IssueSingleForm(FlaskForm):
    """Issue a receipt for one contribution (booking line): Anlage 3/4 or the slip."""

    line_id = IntegerField(
        validators=[
            InputRequired(_l("Welche Zuwendung? (fehlt)")),
            NumberRange(min=1, max=2**31 - 1, message=_l("Diese Zuwendung gibt es nicht.")),
        ]
    )
    slip = HiddenField(default="0")
    next = HiddenField()


class CollectiveForm(FlaskForm):
    """Issue the Sammelbestätigung of a donor's year (optionally a period within it)."""

    person_id = IntegerField(
        validators=[
            InputRequired(_l("Für wen? (fehlt)")),
            NumberRange(min=1, max=2**31 - 1, message=_l("Diese Person gibt es nicht.")),
        ]
    )
    year = IntegerField(
        _l("Jahr"), validators=[InputRequired(_l("Bitte das Jahr angeben.")), YEAR_RANGE]
    )
    start = DateField(_l("Zeitraum von"), validators=[Optional()])
    end = DateField(_l("bis"), validators=[Optional()])
    next = HiddenField()

    def validate(self, extra_validators=None) -> bool:
        """The fields, and both ends of a period or neither."""
        ok = super().validate(extra_validators)
        if ok and bool(self.start.data) != bool(self.end.data):
            self.end.errors = [_l("Bitte Beginn und Ende des Zeitraums angeben (oder keins).")]
            return False
        return ok


class RevokeForm(FlaskForm):
    """Revoke a receipt with a reason; optionally issue its replacement right away."""

    reason = TextAreaField(
        _l("Grund der Stornierung"),
        validators=[
            DataRequired(_l("Bitte den Grund der Stornierung angeben.")),
            Length(max=500, message=_l("Höchstens 500 Zeichen.")),
        ],
        description=_l("z. B. „Anschrift falsch“ oder „Betrag gehört zu einer anderen Person“"),
    )
    reissue = BooleanField(_l("Gleich neu ausstellen (über dieselben Zuwendungen)"))
    submit = SubmitField(_l("Stornieren"))


class ReceiptSettingsForm(FlaskForm):
    """The receipt settings of the association."""

    dues_deductible = BooleanField(
        _l("Mitgliedsbeiträge sind steuerlich abziehbar"),
        description=_l(
            "Nicht abziehbar sind Beiträge an Vereine, die Sport, kulturelle Betätigungen der "
            "Freizeitgestaltung, Heimatpflege, Zwecke nach § 52 Abs. 2 S. 1 Nr. 23 AO oder "
            "Zwecke der Öffnungsklausel fördern (§ 10b Abs. 1 S. 8 EStG) – schon einer dieser "
            "Zwecke genügt. Ein Förderverein für Jugend- und Altenhilfe, Erziehung, Bildung oder "
            "mildtätige Zwecke darf Beiträge bestätigen. Ohne Haken druckt jede Bestätigung den "
            "Satz, dass es sich nicht um einen solchen Mitgliedsbeitrag handelt, und Beiträge "
            "werden nicht bestätigt."
        ),
    )
    machine_receipts = BooleanField(
        _l("Maschinelle Erstellung dem Finanzamt angezeigt"),
        description=_l(
            "Erst dann dürfen Bestätigungen eine gedruckte Unterschrift tragen und per E-Mail "
            "verschickt werden (nie für Sachzuwendungen und Aufwandsspenden)."
        ),
    )
    machine_receipts_notified_on = DateField(
        _l("Angezeigt am"),
        validators=[Optional()],
        description=_l("Pflicht, wenn die maschinelle Erstellung angezeigt wurde."),
    )
    receipt_signatory = StringField(
        _l("Unterzeichner"),
        validators=[Length(max=200)],
        description=_l(
            "steht unter der Unterschriftszeile, z. B. „Petra Kassner, Schatzmeisterin“"
        ),
    )
    receipt_min = MoneyField(
        _l("Mindestbetrag für die Jahresbestätigungen"),
        allow_zero=True,
        description=_l(
            "Spender mit weniger im Jahr werden beim Jahreslauf übersprungen (0 = alle)."
        ),
    )
    receipt_mail_subject = StringField(
        _l("Betreff der E-Mail"),
        validators=[DataRequired(_l("Bitte einen Betreff angeben.")), Length(max=200)],
    )
    receipt_mail_text = TextAreaField(
        _l("Text der E-Mail"),
        validators=[DataRequired(_l("Bitte einen Text angeben."))],
        description=_l("Platzhalter: {anrede_name} {nummer} {betrag} {zeitraum} {verein}"),
        render_kw={"rows": 8},
    )
    receipt_thanks = BooleanField(_l("Dankschreiben als Deckblatt beilegen"))
    receipt_thanks_text = TextAreaField(
        _l("Text des Dankschreibens"),
        description=_l("Platzhalter: {anrede_name} {nummer} {betrag} {zeitraum} {verein}"),
        render_kw={"rows": 8},
    )
    submit = SubmitField(_l("Speichern"))


class SignatureForm(FlaskForm):
    """Upload the facsimile signature (PNG or JPEG), or remove it."""

    file = FileField(
        _l("Bild der Unterschrift"),
        description=_l("PNG oder JPEG, höchstens 1 MB; am besten schwarz auf weißem Grund."),
    )
    upload = SubmitField(_l("Unterschrift hochladen"))
    remove = SubmitField(_l("Unterschrift entfernen"))


class ReportYearForm(FlaskForm):
    """The year of the reconciliation report (GET, no CSRF)."""

    class Meta:
        csrf = False

    jahr = IntegerField(_l("Jahr"), validators=[Optional(), YEAR_RANGE])
