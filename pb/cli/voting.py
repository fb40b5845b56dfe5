"""Voting commands: mix sealed ballots (cron), seal closed rounds (final mix, destroy the keys)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from pb.db import db_session
from pb.errors import DomainError
from pb.services import ballot_mixing, rounds


@click.command("seal-rounds")
@click.option("--round", "round_id", type=int, default=None, help="Only this round (must be closed).")
@with_appcontext
def seal_rounds(round_id: int | None) -> None:
    """Seal rounds whose voting has closed: mix the last ballots, re-mix the round, destroy its key
    and re-vote pointers (idempotent; ``pb mix-ballots`` from cron does this too)."""
    session = db_session()
    try:
        if round_id is not None:
            round_ = rounds.get_round(session, round_id)
            sealed = [round_] if ballot_mixing.seal_round(session, round_) else []
        else:
            sealed = ballot_mixing.seal_closed_rounds(session)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    session.commit()
    if sealed:
        for r in sealed:
            click.echo(f"Sealed round {r.id}: {r.title}")
    else:
        click.echo("Nothing to seal.")


@click.command("mix-ballots")
@with_appcontext
def mix_ballots() -> None:
    """Mix sealed ballots into the ballot table (run it from cron, e.g. every 10 minutes).

    Open rounds: only when at least MIX_MIN_BATCH ballots wait (default 100; smaller rounds are
    mixed when they close). Closed rounds: mix the rest, re-mix the round, destroy its key.
    """
    session = db_session()
    try:
        done = ballot_mixing.mix_ready_rounds(session)
    except DomainError as exc:
        session.rollback()
        raise click.ClickException(exc.message) from exc
    session.commit()
    for round_, moved in done:
        if moved < 0:
            click.echo(f"Sealed round {round_.id}: {round_.title}")
        else:
            click.echo(f"Mixed {moved} ballots of round {round_.id}: {round_.title}")
    if not done:
        click.echo("Nothing to mix.")


COMMANDS = (seal_rounds, mix_ballots)
