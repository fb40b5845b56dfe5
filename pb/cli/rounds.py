"""Round commands: move proposals on when a phase has passed."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from pb.db import db_session, utcnow
from pb.models.round import BudgetRound
from pb.services import proposals, voting_readiness


@click.command("advance-phases")
@with_appcontext
def advance_phases() -> None:
    """Close the support phase of rounds whose support date passed; postpone voting that may not open yet.

    Safe to run again. A round whose voting opened by date while a proposal awaits review or its
    ballot cannot be filled in (and nobody voted yet) is postponed by a day, with the reason in
    its public history.
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
    session.commit()
    click.echo(f"Done: {total} proposals moved on in {len(due)} rounds checked.")


COMMANDS = (advance_phases,)
