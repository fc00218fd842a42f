"""Settings and user forms (shape checks only; rules live in the services)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice as C
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from supportclub.admin.models import ExemptionKind
from supportclub.auth.models import Role
from supportclub.forms import MoneyField, int_or_none

ROLE_LABELS = {
    Role.ADMIN: _l("Administration"),
    Role.TREASURER: _l("Kasse (Schatzmeister)"),
    Role.BOARD: _l("Vorstand (nur lesen)"),
    Role.AUDITOR: _l("Kassenprüfung (nur lesen, mit Protokoll und Jahresexport)"),
    Role.MEMBER: _l("Mitglied"),
}

EXEMPTION_LABELS = {
    ExemptionKind.FREISTELLUNGSBESCHEID: _l(
        "Freistellungsbescheid / Anlage zum Körperschaftsteuerbescheid"
    ),
    ExemptionKind.FESTSTELLUNG_60A: _l("Feststellungsbescheid nach § 60a AO"),
}


class SettingsForm(FlaskForm):
    """The association's own data."""

    name = StringField(
        _l("Name des Vereins"),
        validators=[DataRequired(_l("Bitte Namen angeben.")), Length(max=200)],
    )
    street = StringField(_l("Straße und Hausnummer"), validators=[Length(max=200)])
    postal_code = StringField(_l("PLZ"), validators=[Length(max=10)])
    city = StringField(_l("Ort"), validators=[Length(max=100)])
    register_court = StringField(_l("Registergericht"), validators=[Length(max=100)])
    register_number = StringField(_l("Vereinsregisternummer"), validators=[Length(max=50)])
    tax_office = StringField(
        _l("Finanzamt"),
        validators=[Length(max=100)],
        description=_l("nur der Name, wie er nach „des Finanzamtes“ steht, z. B. „Jena“"),
    )
    tax_number = StringField(_l("Steuernummer"), validators=[Length(max=50)])
    exemption_kind = SelectField(
        _l("Art des Bescheids"), choices=[C(k.value, v) for k, v in EXEMPTION_LABELS.items()]
    )
    exemption_date = DateField(
        _l("Datum des Bescheids"),
        validators=[Optional()],
        render_kw={"placeholder": _l("TT.MM.JJJJ")},
    )
    exemption_period = StringField(
        _l("Letzter Veranlagungszeitraum"),
        validators=[Length(max=50)],
        description=_l("z. B. 2021 bis 2023"),
    )
    purposes = TextAreaField(
        _l("Steuerbegünstigte Zwecke"),
        description=_l("so wie sie im Bescheid stehen, z. B. „der Jugend- und Altenhilfe“"),
    )
    founding_year = IntegerField(
        _l("Gründungsjahr"),
        validators=[Optional(), NumberRange(min=1800, max=2100, message=_l("Ungültiges Jahr."))],
    )
    bank_iban = StringField(
        _l("IBAN des Vereinskontos"),
        validators=[Length(max=42)],
        description=_l("erscheint in Zahlungserinnerungen und im Briefkopf"),
    )
    grants_before_cents = MoneyField(
        _l("Vergebene Förderungen vor Einführung der Software"), allow_zero=True
    )
    grants_before_until_year = IntegerField(
        _l("… bis einschließlich Jahr"),
        validators=[Optional(), NumberRange(min=1800, max=2100, message=_l("Ungültiges Jahr."))],
    )
    submit = SubmitField(_l("Speichern"))


class UserCreateForm(FlaskForm):
    """A new login."""

    email = StringField(_l("E-Mail"), validators=[DataRequired(_l("Bitte E-Mail angeben."))])
    role = SelectField(_l("Rolle"), choices=[C(r.value, label) for r, label in ROLE_LABELS.items()])
    person_id = IntegerField(_l("Person (Nr.)"), validators=[Optional()])
    password = PasswordField(
        _l("Anfangspasswort"),
        validators=[
            DataRequired(_l("Bitte Passwort angeben.")),
            Length(min=10, message=_l("Mindestens 10 Zeichen.")),
        ],
    )
    submit = SubmitField(_l("Zugang anlegen"))


class UserEditForm(FlaskForm):
    """Role, active flag and linked person of a login; optional new password."""

    role = SelectField(_l("Rolle"), choices=[C(r.value, label) for r, label in ROLE_LABELS.items()])
    is_active = BooleanField(_l("Aktiv"))
    person_id = IntegerField(_l("Person (Nr.)"), validators=[Optional()], filters=[int_or_none])
    new_password = PasswordField(
        _l("Neues Passwort (leer lassen, um es nicht zu ändern)"),
        validators=[Optional(), Length(min=10, message=_l("Mindestens 10 Zeichen."))],
    )
    submit = SubmitField(_l("Speichern"))


class AuditFilterForm(FlaskForm):
    """Filter the audit trail (GET form, no CSRF needed)."""

    class Meta:
        csrf = False

    action = StringField(_l("Aktion"))
    actor = StringField(_l("Wer (E-Mail)"))
    target_type = StringField(_l("Objektart"))
    target_id = IntegerField(_l("Objekt-Nr."), validators=[Optional()])
    date_from = DateField(_l("Von"), validators=[Optional()])
    date_to = DateField(_l("Bis"), validators=[Optional()])
