"""CLI: flask --app supportclub users create EMAIL --role treasurer."""

import click
from flask.cli import AppGroup

from supportclub.auth.models import Role
from supportclub.errors import DomainError
from supportclub.extensions import db

users_cli = AppGroup("users", help="Zugänge verwalten.")


@users_cli.command("create")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    required=True,
    help="Rolle des Zugangs.",
)
@click.option(
    "--password",
    prompt="Passwort",
    hide_input=True,
    confirmation_prompt="Passwort wiederholen",
    help="Passwort (wird sonst abgefragt).",
)
def create_user_command(email: str, role: str, password: str) -> None:
    """Create a login with a role."""
    from supportclub.auth.services import create_user

    try:
        user = create_user(email=email, password=password, role=role, actor=None)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"Zugang {user.email} ({role}) angelegt.")
