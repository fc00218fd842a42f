"""Closing forms (shape checks only)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SubmitField, TextAreaField
from wtforms.validators import Length


class CloseForm(FlaskForm):
    """Close a year: the confirmation of the warnings (when there are any) and a remark."""

    confirm = BooleanField(_l("Ich habe die Hinweise geprüft"))
    note = TextAreaField(
        _l("Bemerkung"),
        validators=[Length(max=2000)],
        description=_l("Wird mit dem Abschluss gespeichert, z. B. „Kassenprüfung am …“."),
    )
    submit = SubmitField(_l("Jahr festschreiben"))
