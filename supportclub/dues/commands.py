"""CLI: flask --app supportclub dues run YEAR [--dry-run]."""

import click
from flask.cli import AppGroup

from supportclub.dues.services import DuesRunPlan, plan_dues_run, run_dues
from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.money import format_cents

dues_cli = AppGroup("dues", help="Mitgliedsbeiträge.")


def run_summary(plan: DuesRunPlan, *, dry_run: bool = False) -> str:
    """One sentence on what a dues run created (or, with dry_run, would create)."""
    if plan.count:
        total = format_cents(plan.total_cents)
        # two msgids instead of ngettext: the catalog tests and both languages need no plural rules
        if dry_run:
            if plan.count == 1:
                return _("1 Forderung über %(total)s würde angelegt.", total=total)
            return _(
                "%(num)s Forderungen über %(total)s würden angelegt.", num=plan.count, total=total
            )
        if plan.count == 1:
            return _("1 Forderung über %(total)s angelegt.", total=total)
        return _("%(num)s Forderungen über %(total)s angelegt.", num=plan.count, total=total)
    if plan.existing:
        message = _(
            "Alle Mitgliedschaften haben ihre Forderung für %(year)s bereits; "
            "es wurde nichts angelegt.",
            year=plan.year,
        )
        if plan.skipped:
            message += " " + _("Übersprungen: %(count)s.", count=len(plan.skipped))
        return message
    if plan.skipped:
        return _("Es wurde nichts angelegt; übersprungen: %(count)s.", count=len(plan.skipped))
    return _(
        "Im Jahr %(year)s läuft keine Mitgliedschaft; es wurde nichts angelegt.", year=plan.year
    )


def _parse_year(ctx, param, value: str) -> int:
    """The YEAR argument as a number, with a German message otherwise."""
    text = (value or "").strip()
    if not text.isdigit():
        raise click.BadParameter(_("„%(value)s“ ist keine Jahreszahl.", value=value))
    return int(text)


@dues_cli.command(
    "run",
    help="Legt die Beitragsforderungen des Jahres YEAR an. Ein zweiter Lauf legt nur an, "
    "was fehlt.",
)
@click.argument("year", callback=_parse_year)
@click.option("--dry-run", is_flag=True, help="Nur anzeigen, was angelegt würde; nichts speichern.")
def run_command(year: int, dry_run: bool) -> None:
    """Create the dues claims of YEAR (running it again creates nothing new)."""
    try:
        plan = plan_dues_run(year) if dry_run else run_dues(year, actor=None)
    except DomainError as exc:
        db.session.rollback()
        raise click.UsageError(exc.message) from exc
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    click.echo(_("Beitragslauf %(year)s", year=year) + (_(" (Probelauf)") if dry_run else ""))
    click.echo(
        _(
            "Neue Forderungen: %(count)s, Summe %(total)s",
            count=plan.count,
            total=format_cents(plan.total_cents),
        )
    )
    click.echo(_("Bereits vorhanden: %(count)s", count=plan.existing))
    click.echo(_("Übersprungen: %(count)s", count=len(plan.skipped)))
    for item in plan.skipped:
        number = _(" (Nr. %(number)s)", number=item.member_number) if item.member_number else ""
        click.echo(f"  - {item.person_name}{number}: {item.reason}")
    click.echo(run_summary(plan, dry_run=dry_run))
    if dry_run:
        click.echo(_("Probelauf: es wurde nichts gespeichert."))
