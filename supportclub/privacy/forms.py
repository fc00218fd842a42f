"""Forms of privacy: the erasure with its reason and confirmation."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from supportclub.privacy.erasure import REASON_MAX


class EraseForm(FlaskForm):
    """Erase a person: why (the request, the decision), and the treasurer's confirmation."""

    reason = StringField(
        _l("Grund der Löschung"),
        description=_l(
            "Zum Beispiel „Antrag per E-Mail vom 03.03.2026“ oder „Vorstandsbeschluss“."
        ),
        validators=[
            DataRequired(_l("Bitte den Grund der Löschung angeben (z. B. „Antrag vom …“).")),
            Length(max=REASON_MAX),
        ],
    )
    confirm = BooleanField(
        _l("Ich habe geprüft, was gelöscht und was gesperrt wird, und möchte löschen."),
        validators=[DataRequired(_l("Bitte die Löschung bestätigen."))],
    )
    submit = SubmitField(_l("Endgültig löschen und sperren"))
