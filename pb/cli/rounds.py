"""Round commands: move proposals on when a phase has passed; announce phases; remind non-voters (as a job)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from pb.db import db_session, utcnow
from pb.models.round import BudgetRound
from pb.services import jobs, notifications, proposals, voting_readiness


@click.command("advance-phases")
@with_appcontext
def advance_phases() -> None:
    """Close the support phase of rounds whose support date passed; postpone voting that may not open
    yet; announce the support and voting phases that have started.

    Safe to run again (each message goes once). A round whose voting opened by date while a proposal
    awaits review or its ballot cannot be filled in (and nobody voted yet) is postponed by a day,
    with the reason in its public history.
    """
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
    with current_app.test_request_context():  # the Dutch reasons need a locale
        postponed = voting_readiness.postpone_unready_openings(session, now)
    for round_, reason in postponed:
        click.echo(f"Round {round_.id} ({round_.title}): voting postponed to {round_.voting_open_at.isoformat()}: {reason}")
    announced = notifications.announce_phases(session, now)
    session.commit()
    click.echo(f"Done: {total} proposals moved on in {len(due)} rounds checked; {announced} phase messages sent.")


@click.command("remind-voters")
@click.option("--days", type=click.IntRange(1, 30), default=None,
              help="Remind when voting closes within this many days (default PB_REMIND_VOTERS_DAYS, 3).")
@with_appcontext
def remind_voters(days: int | None) -> None:
    """Remind residents who may vote and have not voted that voting closes soon.

    Runs the reminder job here (the worker runs it daily by itself); each resident gets one
    reminder per round however often it runs.
    """
    from pb.cli.jobs import run_with_progress
    from pb.jobs.notifications import REMIND_VOTERS, SUBJECT

    days = days or int(current_app.config["REMIND_VOTERS_DAYS"])
    row = run_with_progress(REMIND_VOTERS, {"days": days}, subject=SUBJECT, label="Reminders")
    click.echo(f"Done: {jobs.result_of(row).get('sent', 0)} reminders sent.")


COMMANDS = (advance_phases, remind_voters)
