"""Forms of the member import: upload, column mapping, confirmation (shape checks only)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, RadioField, SelectField, SubmitField
from wtforms.fields.choices import SelectChoice as C
from wtforms.validators import Optional

from supportclub.forms import int_or_none
from supportclub.members.import_files import DEFAULT_ENCODING
from supportclub.members.import_mapping import EXISTING_SKIP, EXISTING_USE, FIELDS


class UploadForm(FlaskForm):
    """The file and, for CSV, its encoding."""

    file = FileField(
        _l("Datei (CSV oder Excel .xlsx)"),
        validators=[FileRequired(_l("Bitte eine Datei auswählen."))],
        description=_l(
            "Die erste Zeile muss die Spaltenüberschriften enthalten. CSV mit Semikolon, Komma "
            "oder Tabulator getrennt, oder Excel (.xlsx); höchstens 10 MB und 20.000 Zeilen."
        ),
    )
    encoding = SelectField(
        _l("Kodierung (nur für CSV)"),
        choices=[
            C(DEFAULT_ENCODING, _l("UTF-8 (Standard)")),
            C("Windows-1252", _l("Windows-1252 (ältere CSV-Dateien aus Excel)")),
        ],
        default=DEFAULT_ENCODING,
    )
    submit = SubmitField(_l("Hochladen und weiter"))


class MappingForm(FlaskForm):
    """Which column feeds which field; values for rows without them. Fields map_<key> are
    added per target field by `mapping_form`."""

    sheet = SelectField(_l("Tabellenblatt"), validate_choice=False)
    change_sheet = SubmitField(_l("Blatt wechseln"))
    default_type_id = SelectField(
        _l("Mitgliedsart für Zeilen ohne Angabe"), coerce=int_or_none, validate_choice=False
    )
    default_entry_date = DateField(
        _l("Eintrittsdatum für Zeilen ohne Angabe"),
        validators=[Optional()],
        format="%Y-%m-%d",
    )
    submit = SubmitField(_l("Weiter zur Prüfung"))

    def mapping_fields(self):
        """(field key, select field) for every target field, in page order."""
        return [(key, self[f"map_{key}"]) for key in FIELDS]

    def mapping(self) -> dict[str, str | None]:
        """{field key: column header or None}."""
        return {key: (field.data or None) for key, field in self.mapping_fields()}


def mapping_form(headers: list[str], sheets: list[str], types, **kwargs) -> MappingForm:
    """A mapping form with one select per target field offering the file's columns."""

    class Form(MappingForm):
        pass

    for key, label in FIELDS.items():
        setattr(Form, f"map_{key}", SelectField(_l(label), validate_choice=False, default=""))
    form = Form(**kwargs)
    columns = [C("", _l("– nicht zuordnen –"))] + [C(header, header) for header in headers]
    for _key, field in form.mapping_fields():
        field.choices = columns
    form.sheet.choices = [C(name, name) for name in sheets]
    form.default_type_id.choices = [C("", _l("– keine –"))] + [
        C(mtype.id, f"{mtype.name} ({mtype.code})") for mtype in types
    ]
    return form


class PreviewForm(FlaskForm):
    """Start the import; what to do with persons already present."""

    existing = RadioField(
        _l("Personen, die schon vorhanden sind"),
        choices=[
            C(EXISTING_SKIP, _l("Zeile überspringen")),
            C(
                EXISTING_USE,
                _l("vorhandene Person verwenden (nur Mitgliedschaft anlegen, wenn sie fehlt)"),
            ),
        ],
        default=EXISTING_SKIP,
    )
    submit = SubmitField(_l("Import ausführen"))
