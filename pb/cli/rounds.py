"""Round commands: move proposals on when a phase has passed."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from pb.db import db_session, utcnow
from pb.models.round import BudgetRound
from pb.services import proposals


@click.command("advance-phases")
@with_appcontext
def advance_phases() -> None:
    """Close the support phase of every round whose support date has passed (safe to run again)."""
    session = db_session()
    now = utcnow()
    due = list(session.scalars(
        select(BudgetRound).where(BudgetRound.support_close_at <= now, BudgetRound.results_published_at.is_(None))
        .order_by(BudgetRound.id)
    ))
    total = 0
    for round_ in due:
        changed = proposals.settle_support_phase(session, round_, now)
        if changed:
            click.echo(f"Round {round_.id} ({round_.title}): {changed} proposals moved on.")
        total += changed
    session.commit()
    click.echo(f"Done: {total} proposals moved on in {len(due)} rounds checked.")


COMMANDS = (advance_phases,)
