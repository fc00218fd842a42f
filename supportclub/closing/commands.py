"""CLI: flask --app supportclub closing check YEAR | close YEAR [--note T] [--confirm-warnings]."""

import sys

import click
from flask.cli import AppGroup

from supportclub.closing.checklist import Checklist, State, checklist
from supportclub.closing.services import check_year, close_year
from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.money import format_cents

closing_cli = AppGroup("closing", help="Jahresabschluss.")

STATE_LABELS = {
    State.OK: "OK",
    State.INFO: "INFO",
    State.WARNING: "HINWEIS",
    State.BLOCKING: "BLOCKIERT",
}


def _parse_year(ctx, param, value: str) -> int:
    """The YEAR argument as a year number, with a German message otherwise."""
    text = (value or "").strip()
    if not text.isdigit():
        raise click.BadParameter(_("„%(value)s“ ist keine Jahreszahl.", value=value))
    try:
        return check_year(int(text))
    except DomainError as exc:
        raise click.BadParameter(exc.message) from exc


def _print(reviewed: Checklist) -> None:
    """The checklist as text, one item per block."""
    click.echo(_("Checkliste Jahresabschluss %(year)s", year=reviewed.year))
    for item in reviewed.items:
        click.echo(f"[{STATE_LABELS[item.state]}] {item.title}: {item.text}")
        for figure in item.figures:
            value = format_cents(figure.cents) if figure.cents is not None else figure.number
            click.echo(f"    {figure.label}: {value}")


@closing_cli.command(
    "check", help="Zeigt die Checkliste des Jahres YEAR (Exit-Code 1 bei blockierenden Punkten)."
)
@click.argument("year", callback=_parse_year)
def check_command(year: int) -> None:
    """Print the checklist of YEAR; exit 1 when an item blocks the closing."""
    reviewed = checklist(year)
    db.session.rollback()
    _print(reviewed)
    if reviewed.blocking:
        click.echo(
            _("%(count)s Punkte verhindern den Abschluss.", count=len(reviewed.blocking)),
            err=True,
        )
        sys.exit(1)


@closing_cli.command(
    "close", help="Schreibt das Jahr YEAR fest (Jahresabschluss, nicht umkehrbar)."
)
@click.argument("year", callback=_parse_year)
@click.option("--note", default="", help="Bemerkung zum Abschluss.")
@click.option("--confirm-warnings", is_flag=True, help="Die Hinweise der Checkliste sind geprüft.")
def close_command(year: int, note: str, confirm_warnings: bool) -> None:
    """Close YEAR as the system actor."""
    try:
        closed = close_year(year, None, note=note, confirm_warnings=confirm_warnings)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(
        _(
            "Das Jahr %(year)s ist festgeschrieben (%(count)s Bestände gespeichert).",
            year=year,
            count=len(closed.balances),
        )
    )
