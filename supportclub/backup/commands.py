"""CLI: flask --app supportclub backup PATH [--overwrite] | restore PATH."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import OperationalError

from supportclub import audit
from supportclub.backup.archive import BackupError, write_backup
from supportclub.backup.restore import restore_backup
from supportclub.backup.tables import upload_base
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.projects.documents import format_size


def _fail(text: str) -> None:
    """Say why on stderr and end with exit code 1."""
    click.echo(text, err=True)
    raise click.exceptions.Exit(1)


@click.command("backup")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--overwrite", is_flag=True, help="Eine vorhandene Sicherung unter PATH ersetzen.")
def backup_command(path: str, overwrite: bool) -> None:
    """Write a backup archive (ZIP) of the database and the stored files to PATH."""
    target = Path(path)
    if target.exists() and not overwrite:
        _fail(
            _(
                "Unter %(path)s liegt schon eine Datei. Einen anderen Namen wählen oder "
                "--overwrite angeben.",
                path=target,
            )
        )
    try:
        summary = write_backup(target, engine=db.engine, upload_dir=upload_base())
    except BackupError as exc:
        _fail(exc.message)
    except OperationalError as exc:
        _fail(_("Die Datenbank ist nicht erreichbar: %(error)s", error=exc.orig))
    click.echo(_("Sicherung geschrieben: %(path)s", path=summary.path))
    click.echo(_("Datenbankstand: %(revision)s", revision=summary.revision))
    click.echo(
        _("Tabellen: %(tables)s, Zeilen: %(rows)s", tables=summary.tables, rows=summary.rows)
    )
    click.echo(
        _(
            "Dateien: %(files)s (%(size)s)",
            files=summary.files,
            size=format_size(summary.file_bytes),
        )
    )
    click.echo(_("SHA-256 des Archivs: %(sha)s", sha=summary.sha256))
    # recorded after the snapshot, in its own transaction: the backup itself only reads
    try:
        audit.record(
            None,
            "backup.created",
            None,
            {
                "path": str(summary.path.resolve()),
                "revision": summary.revision,
                "tables": summary.tables,
                "rows": summary.rows,
                "files": summary.files,
                "sha256": summary.sha256,
            },
        )
        db.session.commit()
    except Exception as exc:  # noqa: BLE001 - the archive is complete either way
        db.session.rollback()
        click.echo(
            _("Hinweis: Die Sicherung wurde nicht protokolliert (%(error)s).", error=exc), err=True
        )


def _migrate(revision: str) -> None:
    """Create the schema of an empty database up to `revision`."""
    from flask_migrate import upgrade

    upgrade(revision=revision)


@click.command("restore")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False))
def restore_command(path: str) -> None:
    """Restore the backup archive PATH into an empty database and verify it."""
    try:
        summary = restore_backup(
            path,
            engine=db.engine,
            upload_dir=upload_base(),
            migrations=current_app.extensions["migrate"].directory,
            migrate=_migrate,
        )
    except BackupError as exc:
        _fail(exc.message)
    except OperationalError as exc:
        _fail(_("Die Datenbank ist nicht erreichbar: %(error)s", error=exc.orig))
    click.echo(
        _(
            "Wiederhergestellt aus %(path)s (Sicherung vom %(created)s, Quelle: %(dialect)s, "
            "Datenbankstand %(revision)s).",
            path=path,
            created=summary.created_at,
            dialect=summary.source_dialect,
            revision=summary.revision,
        )
    )
    click.echo(
        _(
            "Tabellen: %(tables)s, Zeilen: %(rows)s, Dateien: %(files)s",
            tables=summary.tables,
            rows=summary.rows,
            files=summary.files,
        )
    )
    if summary.problems:
        for problem in summary.problems:
            click.echo(problem, err=True)
        _fail(_("Prüfung: FEHLER"))
    click.echo(_("Prüfung: OK"))
    audit.record(
        None,
        "backup.restored",
        None,
        {
            "path": str(Path(path).resolve()),
            "created_at": summary.created_at,
            "source": summary.source_dialect,
            "revision": summary.revision,
            "tables": summary.tables,
            "rows": summary.rows,
            "files": summary.files,
        },
    )
    db.session.commit()
