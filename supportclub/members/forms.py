"""Register filter, person, membership, mandate and fee forms (shape checks only)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice as C
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from supportclub.forms import MoneyField
from supportclub.ledger.models import PersonKind

KIND_LABELS = {
    PersonKind.PRIVATE: _l("Privatperson"),
    PersonKind.ORGANISATION: _l("Firma / Organisation"),
}
DATE_REQUIRED = _l("Bitte ein gültiges Datum angeben.")


MANDATE_TYPE_CHOICES = [
    C("RCUR", _l("wiederkehrend (RCUR, für jährliche Beiträge)")),
    C("OOFF", _l("einmalig (OOFF, nur ein Einzug)")),
]


def _mandate_type_field():
    return SelectField(_l("Art des Mandats"), choices=MANDATE_TYPE_CHOICES, default="RCUR")


MAX_ID = 2**31 - 1  # ids are INTEGER columns; a bigger number cannot name a row


def lenient_int(value):
    """A select value as an id; empty, junk or out-of-range becomes None (the route or
    service names what is missing)."""
    if value in (None, "", "None"):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


class PersonForm(FlaskForm):
    """A person's data: kind, name, address, contact, IBAN."""

    kind = RadioField(
        _l("Art"),
        choices=[C(k.value, v) for k, v in KIND_LABELS.items()],
        default=PersonKind.PRIVATE.value,
        validators=[DataRequired(_l("Bitte Privatperson oder Organisation wählen."))],
    )
    first_name = StringField(_l("Vorname"), validators=[Length(max=100)])
    last_name = StringField(
        _l("Nachname bzw. Name der Organisation"),
        validators=[
            DataRequired(_l("Bitte einen Namen angeben (Nachname oder Name der Organisation).")),
            Length(max=200),
        ],
    )
    street = StringField(_l("Straße und Hausnummer"), validators=[Length(max=200)])
    postal_code = StringField(_l("PLZ"), validators=[Length(max=10)])
    city = StringField(_l("Ort"), validators=[Length(max=100)])
    country = StringField(
        _l("Land"),
        default="DE",
        validators=[
            DataRequired(_l("Bitte das Land angeben (zwei Buchstaben, z. B. DE).")),
            Regexp(
                r"^[A-Za-z]{2}$",
                message=_l("Bitte das Land als zwei Buchstaben angeben (z. B. DE, AT)."),
            ),
        ],
        filters=[lambda v: (v or "").strip().upper()],
    )
    email = StringField(_l("E-Mail"), validators=[Length(max=254)])
    phone = StringField(_l("Telefon"), validators=[Length(max=50)])
    iban = StringField(_l("IBAN"), validators=[Length(max=42)])
    submit = SubmitField(_l("Speichern"))

    def person_values(self) -> dict:
        """The person fields as the services take them."""
        return {
            "kind": self.kind.data,
            "first_name": self.first_name.data or "",
            "last_name": self.last_name.data or "",
            "street": self.street.data or "",
            "postal_code": self.postal_code.data or "",
            "city": self.city.data or "",
            "country": self.country.data or "DE",
            "email": self.email.data or "",
            "phone": self.phone.data or "",
            "iban": self.iban.data or "",
        }


def _payer_field():
    return StringField(
        _l("Zahlende Person (optional)"),
        validators=[Length(max=300)],
        description=_l(
            "Wenn jemand anderes zahlt (Eltern, Firma): Namen tippen und aus der Liste wählen. "
            "Leer: das Mitglied zahlt selbst."
        ),
    )


class MemberCreateForm(PersonForm):
    """A new member: person data, the membership and an optional SEPA mandate."""

    membership_type_id = SelectField(_l("Mitgliedsart"), coerce=lenient_int, validate_choice=False)
    start_date = DateField(_l("Eintritt"), validators=[DataRequired(DATE_REQUIRED)])
    payer = _payer_field()
    mandate_reference = StringField(
        _l("Mandatsreferenz"),
        description=_l("Leer lassen: wird nach dem Anlegen vorgeschlagen (M-Nummer-Id)."),
    )
    mandate_date = DateField(_l("Mandat unterschrieben am"), validators=[Optional()])
    mandate_iban = StringField(
        _l("IBAN des Mandats"), description=_l("Leer lassen: die IBAN der Person.")
    )
    mandate_type = _mandate_type_field()
    submit = SubmitField(_l("Mitglied anlegen"))


class MembershipForm(FlaskForm):
    """Join: a further membership of a person."""

    membership_type_id = SelectField(_l("Mitgliedsart"), coerce=lenient_int, validate_choice=False)
    start_date = DateField(_l("Beginn"), validators=[DataRequired(DATE_REQUIRED)])
    payer = _payer_field()
    submit = SubmitField(_l("Mitgliedschaft anlegen"))


class LeaveForm(FlaskForm):
    """Leave: the end date and a reason."""

    end_date = DateField(_l("Austritt zum"), validators=[DataRequired(DATE_REQUIRED)])
    reason = StringField(_l("Grund (optional)"), validators=[Length(max=200)])
    submit = SubmitField(_l("Austritt eintragen"))


class MandateForm(FlaskForm):
    """Set or remove the SEPA direct debit mandate of a membership."""

    mandate_reference = StringField(
        _l("Mandatsreferenz"),
        description=_l(
            "Höchstens 35 Zeichen: A–Z, a–z, 0–9 und / ? : ( ) . , ' + - (keine Umlaute, kein &)."
        ),
    )
    mandate_date = DateField(_l("Unterschrieben am"), validators=[Optional()])
    mandate_iban = StringField(_l("IBAN"))
    mandate_type = _mandate_type_field()
    submit = SubmitField(_l("Mandat speichern"))
    remove = SubmitField(_l("Mandat entfernen"))


class PayerForm(FlaskForm):
    """Who pays the dues of a membership."""

    payer = _payer_field()
    submit = SubmitField(_l("Zahler speichern"))


class MembershipTypeForm(FlaskForm):
    """A new membership type, optionally with its first fee rate."""

    code = StringField(
        _l("Kürzel"),
        validators=[
            DataRequired(_l("Bitte ein Kürzel angeben.")),
            Length(max=32),
            Regexp(
                r"^[A-Za-z0-9_-]+$",
                message=_l(
                    "Das Kürzel darf nur Buchstaben (ohne Umlaute), Ziffern, - und _ enthalten."
                ),
            ),
        ],
        description=_l("Kurz und ohne Leerzeichen, z. B. regulaer; wird nicht mehr geändert."),
    )
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Bitte einen Namen angeben.")), Length(max=100)]
    )
    description = TextAreaField(_l("Beschreibung"), validators=[Length(max=2000)])
    sort_order = IntegerField(
        _l("Reihenfolge"),
        default=0,
        validators=[Optional(), NumberRange(min=0, max=9999)],
    )
    valid_from = DateField(_l("Erster Beitragssatz gültig ab"), validators=[Optional()])
    amount = MoneyField(
        _l("Jahresbeitrag"), allow_zero=True, required=False, description=_l("z. B. 36,00")
    )
    submit = SubmitField(_l("Mitgliedsart anlegen"))


class MembershipTypeEditForm(FlaskForm):
    """Rename or (de)activate a membership type."""

    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Bitte einen Namen angeben.")), Length(max=100)]
    )
    description = TextAreaField(_l("Beschreibung"), validators=[Length(max=2000)])
    is_active = BooleanField(_l("aktiv (für neue Mitgliedschaften wählbar)"))
    submit = SubmitField(_l("Speichern"))


class FeeRateForm(FlaskForm):
    """A new yearly fee of a membership type from a date on."""

    valid_from = DateField(_l("Gültig ab"), validators=[DataRequired(DATE_REQUIRED)])
    amount = MoneyField(_l("Jahresbeitrag"), allow_zero=True, description=_l("z. B. 48,00"))
    submit = SubmitField(_l("Beitragssatz speichern"))
