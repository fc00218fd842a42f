"""CLI: flask --app supportclub receipts issue-year YEAR [--dry-run] [--no-mail] | worker."""

import click
from flask import current_app
from flask.cli import AppGroup

from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.money import format_cents
from supportclub.receipts.batch import YearPlan, check_year, plan_year, run_batch, start_batch
from supportclub.receipts.content import ReceiptKind
from supportclub.receipts.models import ReceiptBatch

receipts_cli = AppGroup("receipts", help="Zuwendungsbestätigungen.")


def _parse_year(ctx, param, value: str) -> int:
    """The YEAR argument: a number from 2000 to this year, with a German message otherwise."""
    text = (value or "").strip()
    if not text.isdigit():
        raise click.BadParameter(_("„%(value)s“ ist keine Jahreszahl.", value=value))
    try:
        check_year(int(text))
    except DomainError as exc:
        raise click.BadParameter(exc.message) from exc
    return int(text)


def kind_label(kind: ReceiptKind) -> str:
    """What the donor gets, in words."""
    if kind == ReceiptKind.COLLECTIVE:
        return _("Sammelbestätigung")
    return _("Einzelbestätigung")


def _table(rows: list[tuple[str, ...]], numeric: set[int]) -> list[str]:
    """Rows as aligned text columns (numbers right-aligned)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ).rstrip()
        for row in rows
    ]


def echo_plan(plan: YearPlan, *, send_mail: bool) -> None:
    """The preview: gate problems, who gets what, who is skipped and why, totals."""
    for problem in plan.gate.problems:
        click.echo(_("Achtung: %(problem)s", problem=problem))
    if plan.receipts:
        header = (_("Name"), _("Art"), _("Zuwendungen"), _("Summe"), _("Versand"))
        rows = [
            (
                r.name,
                kind_label(r.kind),
                str(r.count),
                format_cents(r.total_cents),
                _("E-Mail") if send_mail and r.by_mail else _("Druck"),
            )
            for r in plan.receipts
        ]
        for line in _table([header, *rows], numeric={2, 3}):
            click.echo(line)
    else:
        click.echo(_("Niemand erhält eine neue Zuwendungsbestätigung."))
    click.echo(_("Übersprungen: %(count)s", count=len(plan.skipped)))
    for skip in plan.skipped:
        click.echo(f"  - {skip.name}: {skip.reason}")
    click.echo(
        _(
            "Zusammen: %(count)s Bestätigungen (%(collective)s Sammel-, %(single)s "
            "Einzelbestätigungen) über %(contributions)s Zuwendungen, %(total)s",
            count=len(plan.receipts),
            collective=plan.collective_count,
            single=plan.single_count,
            contributions=plan.contribution_count,
            total=format_cents(plan.total_cents),
        )
    )


def echo_summary(batch: ReceiptBatch) -> None:
    """What a finished batch did."""
    from supportclub.receipts.batch import BatchLog

    log = BatchLog.of(batch)
    click.echo(_("Ausgestellt: %(count)s", count=batch.issued))
    click.echo(_("Per E-Mail versendet: %(count)s", count=batch.emailed))
    click.echo(_("Zum Drucken: %(count)s", count=batch.to_print))
    if batch.print_storage_key:
        from supportclub.receipts import storage

        click.echo(_("Druckdatei: %(path)s", path=storage.path_for(batch.print_storage_key)))
    click.echo(_("Übersprungen: %(count)s", count=batch.skipped))
    for entry in log.skipped:
        click.echo(f"  - {entry['name']}: {entry['reason']}")
    for error in log.errors:
        click.echo(_("Fehler: %(error)s", error=error))


@receipts_cli.command(
    "issue-year",
    help="Erstellt die Zuwendungsbestätigungen des Jahres YEAR für alle Zuwendenden und "
    "versendet sie (E-Mail, wo erlaubt; sonst eine Druckdatei). Ein unterbrochener Lauf wird "
    "beim nächsten Start fortgesetzt.",
)
@click.argument("year", callback=_parse_year)
@click.option("--dry-run", is_flag=True, help="Nur anzeigen, wer was erhielte; nichts speichern.")
@click.option("--no-mail", is_flag=True, help="Nichts per E-Mail versenden; alles in den Druck.")
def issue_year_command(year: int, dry_run: bool, no_mail: bool) -> None:
    """Issue and deliver the year's receipts, with a progress bar."""
    if dry_run:
        click.echo(_("Zuwendungsbestätigungen %(year)s (Probelauf)", year=year))
        echo_plan(plan_year(year), send_mail=not no_mail)
        db.session.rollback()
        click.echo(_("Probelauf: es wurde nichts gespeichert."))
        return
    try:
        batch = start_batch(year, actor=None, send_mail=not no_mail)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    batch_id = batch.id
    click.echo(_("Zuwendungsbestätigungen %(year)s, Lauf Nr. %(id)s", year=year, id=batch_id))
    seen = {"done": 0}
    with click.progressbar(length=max(batch.total, 1), label=_("Fortschritt")) as bar:

        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(max(done - seen["done"], 0))
            seen["done"] = done

        try:
            result = run_batch(batch_id, progress=progress)
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
        except Exception as exc:
            failed = db.session.get(ReceiptBatch, batch_id)
            raise click.ClickException(failed.error or str(exc)) from exc
    if result is None:
        raise click.ClickException(
            _("Lauf Nr. %(id)s wird gerade von einem anderen Worker bearbeitet.", id=batch_id)
        )
    echo_summary(result)


@receipts_cli.command(
    "worker",
    help="Arbeitet die Warteschlange „supportclub“ ab (nur mit REDIS_URL); mehrere Worker, "
    "auch auf mehreren Rechnern, teilen sie sich.",
)
@click.option("--burst", is_flag=True, help="Nur die wartenden Aufträge erledigen, dann enden.")
def worker_command(burst: bool) -> None:
    """Run an RQ worker on the queue of this app."""
    from supportclub.receipts.jobs import run_worker

    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException(
            _(
                "REDIS_URL ist nicht gesetzt: ohne Redis laufen die Läufe im Prozess der "
                "Anwendung, ein Worker ist nicht nötig."
            )
        )
    run_worker(burst=burst)
