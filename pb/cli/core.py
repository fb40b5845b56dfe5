"""Core commands: database migrations, demo data, accounts."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from pb import db, migrate
from pb.db import db_session
from pb.demo import address_register as demo_register
from pb.demo import people as demo
from pb.errors import DomainError
from pb.models.user import Role
from pb.services import accounts


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Apply all database migrations (safe to run again)."""
    migrate.upgrade(db.engine())
    click.echo("Database is up to date.")


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the demo municipality (safe to run again) and print the demo logins."""
    loaded = demo.load_demo(db_session())
    db_session().commit()
    click.echo(f"Demo data for {current_app.config['MUNICIPALITY_NAME']} is loaded.")
    click.echo("Demo logins (e-mail / password):")
    for role, email, password in loaded.logins:
        click.echo(f"  {role:<22} {email:<32} {password}")
    click.echo("Demo address register (made-up addresses; each can get a letter code):")
    for line in demo_register.register_lines():
        click.echo(line)
    click.echo("To get a letter code and become a verified resident:")
    for line in demo_register.letter_code_steps():
        click.echo(line)
    for note in loaded.notes:
        click.echo(note)


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--area", "areas", multiple=True, help="Area slug (managers; may repeat).")
@click.option("--name", default=None, help="Display name (default: the part before @).")
@with_appcontext
def create_user(email: str, role: str, areas: tuple[str, ...], name: str | None) -> None:
    """Create a confirmed account; the password comes from a prompt or stdin."""
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    if Role(role) == Role.MANAGER and not areas:
        raise click.ClickException("A manager needs at least one --area SLUG.")
    try:
        user = accounts.create_user(
            db_session(), actor=None, email=email, name=name or email.split("@")[0],
            password=password, role=Role(role), area_slugs=list(areas),
        )
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    db_session().commit()
    click.echo(f"Created {role} {user.email} (id {user.id}).")


COMMANDS = (init_db, demo_command, create_user)
