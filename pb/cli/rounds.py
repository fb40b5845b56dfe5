"""Round commands: move proposals on when a phase has passed; announce phases; remind non-voters."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from pb.db import db_session, utcnow
from pb.models.round import BudgetRound
from pb.services import notifications, proposals


@click.command("advance-phases")
@with_appcontext
def advance_phases() -> None:
    """Close the support phase of every round whose support date has passed, and announce the
    support and voting phases that have started (safe to run again: each message goes once)."""
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
    announced = notifications.announce_phases(session, now)
    session.commit()
    click.echo(f"Done: {total} proposals moved on in {len(due)} rounds checked; {announced} phase messages sent.")


@click.command("remind-voters")
@click.option("--days", type=click.IntRange(1, 30), default=3, show_default=True,
              help="Remind when voting closes within this many days.")
@with_appcontext
def remind_voters(days: int) -> None:
    """Remind verified residents who have not voted that voting closes soon (run daily from cron)."""
    session = db_session()
    sent = notifications.remind_non_voters(session, days=days)
    session.commit()
    click.echo(f"Done: {sent} reminders sent.")


COMMANDS = (advance_phases, remind_voters)
