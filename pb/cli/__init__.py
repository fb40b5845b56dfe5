"""Flask CLI: ``flask --app wsgi pb ...``. Commands call services and commit."""

from __future__ import annotations

from flask import Flask
from flask.cli import AppGroup


def register_cli(app: Flask) -> None:
    """Attach the ``pb`` command group with every feature's commands."""
    from pb.cli import core, jobs, residency, results, rounds, storage, voting

    group = AppGroup("pb", help="Buurtbudget beheer (database, demo, accounts, ...).")
    for module in (core, rounds, voting, residency, results, storage, jobs):
        for command in module.COMMANDS:
            group.add_command(command)
    app.cli.add_command(group)


def main() -> None:
    """The ``buurtbudget`` console script: ``flask --app wsgi`` for an installed package."""
    from flask.cli import FlaskGroup

    from pb import create_app

    FlaskGroup(create_app=create_app, help="Buurtbudget (flask commands for the installed package).")()
