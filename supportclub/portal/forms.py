"""The member's own contact and bank data (shape checks only; the service checks content)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import Length

from supportclub.members.services import SELF_SERVICE_FIELDS


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class OwnDataForm(FlaskForm):
    """Address, e-mail, phone and IBAN: exactly what a member may change about themself."""

    street = StringField(
        _l("Straße und Hausnummer"),
        filters=[_strip],
        validators=[Length(max=200, message=_l("Höchstens 200 Zeichen."))],
    )
    postal_code = StringField(
        _l("Postleitzahl"),
        filters=[_strip],
        validators=[Length(max=10, message=_l("Höchstens 10 Zeichen."))],
    )
    city = StringField(
        _l("Ort"),
        filters=[_strip],
        validators=[Length(max=100, message=_l("Höchstens 100 Zeichen."))],
    )
    email = StringField(
        _l("E-Mail"),
        filters=[_strip],
        validators=[Length(max=254, message=_l("Höchstens 254 Zeichen."))],
        description=_l(
            "An diese Adresse schreibt Ihnen der Verein, z. B. Zahlungserinnerungen. Ihre "
            "Anmeldeadresse ändert sich dadurch nicht."
        ),
    )
    phone = StringField(
        _l("Telefon"),
        filters=[_strip],
        validators=[Length(max=50, message=_l("Höchstens 50 Zeichen."))],
    )
    iban = StringField(
        _l("IBAN"),
        filters=[_strip],
        validators=[Length(max=42, message=_l("Höchstens 34 Zeichen (ohne Leerzeichen)."))],
        description=_l(
            "Ein bestehendes Lastschriftmandat ändert sich dadurch nicht; dafür wenden Sie sich "
            "bitte an die Kasse des Vereins."
        ),
    )
    submit = SubmitField(_l("Speichern"))

    def values(self) -> dict:
        """The submitted self-service fields, by name."""
        return {name: getattr(self, name).data or "" for name in SELF_SERVICE_FIELDS}
