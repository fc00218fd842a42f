"""Forms of the statement import: the upload and the confirmation to discard (shape only)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SubmitField

ACCEPT = ".xml,.zip,.csv,.txt,.sta,.mt940"


class UploadForm(FlaskForm):
    """One statement file (the format is recognised from its content)."""

    file = FileField(
        _l("Kontoauszug-Datei"),
        validators=[FileRequired(_l("Bitte eine Datei auswählen."))],
        render_kw={"accept": ACCEPT},
        description=_l(
            "camt.053 als XML oder ZIP mit Tagesauszügen, der CSV-CAMT-Export der Sparkassen "
            "oder eine ältere MT940-Datei (.sta); höchstens 20 MB."
        ),
    )
    submit = SubmitField(_l("Einlesen"))


class DiscardForm(FlaskForm):
    """Confirm that the import's lines are thrown away."""

    submit = SubmitField(_l("Ja, Import verwerfen"))
