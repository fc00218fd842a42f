"""Forms of the treasurer's online-payment pages and the online-payment settings (shape
checks only; the services check the rules)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from supportclub.forms import MoneyField, int_or_none

NEW_PERSON = "neu"


class PaymentFilterForm(FlaskForm):
    """The list's filter (GET, no CSRF token)."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), validate_choice=False)
    purpose = SelectField(_l("Zweck"), validate_choice=False)
    attention = BooleanField(_l("nur mit Handlungsbedarf"))
    q = StringField(
        _l("Suche"),
        validators=[Optional(), Length(max=200)],
        description=_l("Name, E-Mail oder Stripe-ID (cs_…, pi_…, ch_…)"),
    )


class EventFilterForm(FlaskForm):
    """The webhook events' filter (GET, no CSRF token)."""

    class Meta:
        csrf = False

    outcome = SelectField(_l("Ergebnis"), validate_choice=False)
    type = SelectField(_l("Ereignistyp"), validate_choice=False)


class AssignPayerForm(FlaskForm):
    """Who the unclear payer is: one of the candidates, or a new person."""

    person = RadioField(
        _l("Zahler"),
        validators=[DataRequired(_l("Bitte eine Person wählen oder „neue Person anlegen“."))],
        validate_choice=False,
    )
    submit = SubmitField(_l("Zahler zuordnen und buchen"))


class RefundForm(FlaskForm):
    """How much to refund."""

    amount = MoneyField(
        _l("Betrag der Erstattung"),
        validators=[InputRequired(_l("Bitte einen Betrag eingeben."))],
        description=_l(
            "Vorbelegt ist der ganze noch erstattbare Betrag; für eine Teilerstattung ändern."
        ),
    )
    submit = SubmitField(_l("Erstatten"))


class ResolveForm(FlaskForm):
    """How an attention item was resolved."""

    resolution = TextAreaField(
        _l("Wie wurde es geklärt?"),
        validators=[
            DataRequired(_l("Bitte kurz notieren, wie es geklärt wurde.")),
            Length(max=500),
        ],
    )
    submit = SubmitField(_l("Erledigt"))


class DonationSettingsForm(FlaskForm):
    """The public donation page: suggested amounts and its text."""

    donation_amounts = StringField(
        _l("Vorgeschlagene Beträge (ganze Euro, durch Kommas getrennt)"),
        validators=[Length(max=100)],
        description=_l("Zum Beispiel 25,50,100,250 – höchstens 8 Beträge von 1 bis 25.000 Euro."),
    )
    donation_page_text = TextAreaField(
        _l("Text über dem Spendenformular"),
        validators=[Length(max=2000)],
        render_kw={"rows": 5},
    )
    submit = SubmitField(_l("Speichern"))


class SnippetForm(FlaskForm):
    """Options of the link for the association's website (GET, no CSRF token)."""

    class Meta:
        csrf = False

    projekt = SelectField(_l("Projekt vorauswählen"), coerce=int_or_none, validate_choice=False)
    betrag = StringField(_l("Betrag vorauswählen (ganze Euro, optional)"), validators=[Optional()])
