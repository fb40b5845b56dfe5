"""Voting commands: seal closed rounds (destroy re-vote pointers and their keys)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from pb.db import db_session
from pb.errors import DomainError
from pb.services import ballot_seal, rounds


@click.command("seal-rounds")
@click.option("--round", "round_id", type=int, default=None, help="Only this round (must be closed).")
@with_appcontext
def seal_rounds(round_id: int | None) -> None:
    """Destroy the sealed ballot pointers and keys of rounds whose voting has closed (idempotent;
    run it from cron shortly after each close)."""
    session = db_session()
    try:
        if round_id is not None:
            round_ = rounds.get_round(session, round_id)
            sealed = [round_] if ballot_seal.seal_round(session, round_) else []
        else:
            sealed = ballot_seal.seal_closed_rounds(session)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    session.commit()
    if sealed:
        for r in sealed:
            click.echo(f"Sealed round {r.id}: {r.title}")
    else:
        click.echo("Nothing to seal.")


COMMANDS = (seal_rounds,)
