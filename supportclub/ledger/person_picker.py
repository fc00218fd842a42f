"""The person picker every booking-like form shares: pick a known person or create one.

A form class mixes in `PersonPickerFields`; its template includes
`ledger/_person_picker.html`; its route calls `resolve_person(form, actor=...)`, which returns
(ok, person_id) and puts its messages on the form's fields.
"""

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import RadioField, StringField
from wtforms.fields.choices import SelectChoice as C
from wtforms.validators import Email, Length, Optional

from supportclub.extensions import db
from supportclub.ledger.models import Person, PersonKind
from supportclub.ledger.services import create_person, find_persons

PERSON_ID_SUFFIX = re.compile(r"#(\d+)\s*$")


class PersonPickerFields:
    """Form fields: a search field for a known person, or the data of a new one."""

    person = StringField(
        _l("Gegenüber (Person oder Organisation)"),
        validators=[Length(max=300)],
        description=_l("Namen tippen und aus der Liste wählen, oder unten neu anlegen."),
    )
    new_person_kind = RadioField(
        _l("Art der neuen Person"),
        choices=[
            C(PersonKind.PRIVATE.value, _l("Privatperson")),
            C(PersonKind.ORGANISATION.value, _l("Firma / Organisation")),
        ],
        default=PersonKind.PRIVATE.value,
    )
    new_first_name = StringField(_l("Vorname"), validators=[Length(max=100)])
    new_last_name = StringField(
        _l("Nachname bzw. Name der Organisation"), validators=[Length(max=200)]
    )
    new_street = StringField(_l("Straße und Hausnummer"), validators=[Length(max=200)])
    new_postal_code = StringField(_l("PLZ"), validators=[Length(max=10)])
    new_city = StringField(_l("Ort"), validators=[Length(max=100)])
    new_email = StringField(
        _l("E-Mail"),
        validators=[Optional(), Email(_l("Bitte eine gültige E-Mail-Adresse angeben."))],
    )


def person_id_from_choice(text: str | None) -> int | None:
    """The person id at the end of a picked entry ("Müller, Anna (Jena) #12" -> 12)."""
    match = PERSON_ID_SUFFIX.search(text or "")
    return int(match.group(1)) if match else None


def person_label(person: Person) -> str:
    """How a person appears in the search list: name, city and number."""
    city = f" ({person.city})" if person.city else ""
    return f"{person.display_name}{city} #{person.id}"


def resolve_person(form, *, actor, required: bool = False) -> tuple[bool, int | None]:
    """Find the picked person or create the new one; (ok, person_id).

    With `required`, an empty choice is an error on the person field.
    """
    text = (form.person.data or "").strip()
    new_name = (form.new_last_name.data or "").strip()
    if text and new_name:
        form.person.errors.append(
            _("Bitte entweder eine vorhandene Person wählen oder eine neue anlegen, nicht beides.")
        )
        return False, None
    if new_name:
        person = create_person(
            actor=actor,
            kind=PersonKind(form.new_person_kind.data),
            first_name=form.new_first_name.data,
            last_name=new_name,
            street=form.new_street.data,
            postal_code=form.new_postal_code.data,
            city=form.new_city.data,
            email=form.new_email.data,
        )
        return True, person.id
    if not text:
        if form.new_first_name.data or form.new_city.data or form.new_street.data:
            form.new_last_name.errors.append(
                _("Bitte einen Namen angeben (Nachname oder Name der Organisation).")
            )
            return False, None
        if required:
            form.person.errors.append(_("Bitte eine Person wählen oder neu anlegen."))
            return False, None
        return True, None
    person_id = person_id_from_choice(text)
    picked = db.session.get(Person, person_id) if person_id is not None else None
    if picked is not None and picked.locked_at is None:  # a locked person cannot be picked
        return True, person_id
    matches = find_persons(text, limit=2)
    if len(matches) == 1:
        return True, matches[0].id
    if not matches:
        form.person.errors.append(
            _("Keine Person gefunden. Bitte aus der Liste wählen oder neu anlegen.")
        )
    else:
        form.person.errors.append(_("Mehrere Personen passen. Bitte aus der Liste wählen."))
    return False, None
