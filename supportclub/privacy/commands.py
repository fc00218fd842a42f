"""CLI: flask --app supportclub privacy anonymise [--dry-run] | due | erase PERSON_ID --reason R."""

import click
from flask.cli import AppGroup

from supportclub.clock import today
from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.ledger.models import Person
from supportclub.privacy.erasure import anonymise_due, erase_person
from supportclub.privacy.queries import candidates

privacy_cli = AppGroup("privacy", help="Datenschutz (DSGVO).")


def _day(value) -> str:
    return value.strftime("%d.%m.%Y") if value else "–"


@privacy_cli.command(
    "anonymise",
    help="Anonymisiert gesperrte Personen, deren Aufbewahrungsfrist abgelaufen ist, und löscht "
    "SEPA-Mandate gesperrter Personen 14 Monate nach der letzten Lastschrift "
    "(täglich laufen lassen).",
)
@click.option("--dry-run", is_flag=True, help="Nur anzeigen, was geschähe; nichts speichern.")
def anonymise_command(dry_run: bool) -> None:
    """Anonymise what is due; print each person (by id) and mandate."""
    result = anonymise_due(today(), actor=None, dry_run=dry_run)
    for person in result.persons:
        click.echo(
            _(
                "Person #%(id)s: aufbewahrt bis %(day)s, %(verb)s.",
                id=person.id,
                day=_day(person.retain_until),
                verb=_("würde anonymisiert") if dry_run else _("anonymisiert"),
            )
        )
    for membership in result.mandates:
        click.echo(
            _(
                "Mitgliedschaft %(id)s (Person #%(person)s): SEPA-Mandat %(verb)s.",
                id=membership.id,
                person=membership.person_id,
                verb=_("würde gelöscht") if dry_run else _("gelöscht"),
            )
        )
    if dry_run:
        db.session.rollback()
        click.echo(
            _(
                "Probelauf: %(persons)s Person(en) und %(mandates)s Mandat(e) wären fällig; "
                "nichts wurde gespeichert.",
                persons=len(result.persons),
                mandates=len(result.mandates),
            )
        )
        return
    db.session.commit()
    click.echo(
        _(
            "%(persons)s Person(en) anonymisiert, %(mandates)s Mandat(e) gelöscht.",
            persons=len(result.persons),
            mandates=len(result.mandates),
        )
    )


@privacy_cli.command(
    "due",
    help="Listet ehemalige Mitglieder, deren Aufbewahrungsfrist abgelaufen ist (Kandidaten zur "
    "Löschung; gelöscht wird nur auf Antrag oder Beschluss).",
)
def due_command() -> None:
    """Print the candidates, one per line."""
    found = candidates(today())
    for candidate in found:
        click.echo(
            _(
                "#%(id)s %(name)s: ausgetreten %(left)s, Aufbewahrung bis %(until)s",
                id=candidate.person.id,
                name=candidate.person.display_name,
                left=_day(candidate.left_on),
                until=_day(candidate.retain_until),
            )
        )
    click.echo(_("%(count)s Kandidat(en).", count=len(found)))


@privacy_cli.command("erase", help="Löscht die Daten der Person PERSON_ID und sperrt den Rest.")
@click.argument("person_id", type=int)
@click.option("--reason", required=True, help="Grund der Löschung (Antrag, Beschluss).")
def erase_command(person_id: int, reason: str) -> None:
    """Erase one person; the same service as the page."""
    person = db.session.get(Person, person_id) if 0 < person_id < 2**31 else None
    if person is None:
        raise click.ClickException(_("Keine Person mit der Nummer %(id)s.", id=person_id))
    try:
        plan = erase_person(person, actor=None, reason=reason)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    for item in plan.deleted:
        click.echo(_("gelöscht: %(item)s", item=item))
    for item in plan.locked:
        click.echo(_("gesperrt: %(item)s", item=item))
    if plan.anonymise_now:
        click.echo(_("Person #%(id)s gelöscht und sofort anonymisiert.", id=person_id))
    else:
        click.echo(
            _(
                "Person #%(id)s gelöscht und gesperrt bis %(day)s.",
                id=person_id,
                day=_day(plan.retain_until),
            )
        )
