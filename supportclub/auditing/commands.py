"""CLI: flask --app supportclub audit verify | audit export YEAR PATH."""

import shutil
from pathlib import Path

import click
from flask.cli import AppGroup

from supportclub.audit import ChainReport, verify_chain
from supportclub.auditing.export import discard, export_filename, export_year
from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.i18n import _

audit_cli = AppGroup("audit", help="Protokoll und Prüfung.")


def chain_summary(report: ChainReport) -> str:
    """One German paragraph on the result of a chain check."""
    if report.ok:
        return _(
            "Protokoll: %(count)s Einträge geprüft, Kette intakt. Letzter Hash: %(head)s",
            count=report.checked,
            head=report.head_hash,
        )
    broken = report.broken
    return _(
        "Protokoll: Kette gebrochen bei Eintrag %(id)s vom %(time)s (%(action)s): %(reason)s. "
        "%(explanation)s %(count)s Einträge geprüft.",
        id=broken.id,
        time=broken.created_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
        action=broken.action,
        reason=broken.reason,
        explanation=broken.explanation,
        count=report.checked,
    )


@audit_cli.command("verify", help="Prüft die Hash-Kette des Protokolls (Exit-Code 1 bei Bruch).")
@click.option("--batch", default=5000, show_default=True, help="Einträge je Abfrage.")
@click.pass_context
def verify_command(ctx: click.Context, batch: int) -> None:
    """Check the audit trail's hash chain; name the first broken entry."""
    report = verify_chain(batch=max(batch, 1))
    click.echo(chain_summary(report))
    if not report.ok:
        ctx.exit(1)


def _parse_year(ctx, param, value: str) -> int:
    """The YEAR argument as a number, with a German message otherwise."""
    text = (value or "").strip()
    if not text.isdigit() or len(text) > 4:
        raise click.BadParameter(_("„%(value)s“ ist keine Jahreszahl.", value=value))
    return int(text)


def _target(path: str, year: int) -> Path:
    """Where the ZIP goes: PATH itself, or the standard name inside PATH when it is a folder."""
    target = Path(path)
    if target.is_dir():
        target = target / export_filename(year)
    if target.exists():
        raise click.UsageError(
            _("Die Datei %(path)s gibt es schon; sie wird nicht überschrieben.", path=target)
        )
    if not target.parent.is_dir():
        raise click.UsageError(_("Den Ordner %(path)s gibt es nicht.", path=target.parent))
    return target


@audit_cli.command(
    "export",
    help="Schreibt den Datenexport des Jahres YEAR (ZIP für Kassenprüfer und Finanzamt) nach "
    "PATH (Datei oder Ordner).",
)
@click.argument("year", callback=_parse_year)
@click.argument("path")
def export_command(year: int, path: str) -> None:
    """Write the year's export ZIP to PATH."""
    target = _target(path, year)
    try:
        made = export_year(year, actor=None)
    except DomainError as exc:
        db.session.rollback()
        raise click.UsageError(exc.message) from exc
    try:
        shutil.move(made, target)
    finally:
        discard(made)
    db.session.commit()
    click.echo(_("Export %(year)s geschrieben: %(path)s", year=year, path=target))
