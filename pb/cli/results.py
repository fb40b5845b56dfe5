"""Results commands: import a past round from a pabulib file, publish a round's result."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from pb.db import by_id, db_session
from pb.errors import DomainError
from pb.models.area import Area
from pb.cli.jobs import run_with_progress
from pb.jobs import results as results_jobs
from pb.models.round import BudgetRound
from pb.services import areas, pabulib_import
from pb.services import results as result_service


@click.command("import-pabulib")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--area", "slug", required=True, help="Slug of the area the round belongs to.")
@click.option("--create-area", is_flag=True, help="Create the area when it does not exist.")
@with_appcontext
def import_pabulib_command(file: Path, slug: str, create_area: bool) -> None:
    """Import a pabulib .pb file as a closed round; the last line printed is the new round id."""
    session = db_session()
    with current_app.test_request_context():  # Dutch messages from the services need a locale
        _import(session, file, slug, create_area)


def _import(session: Session, file: Path, slug: str, create_area: bool) -> None:
    try:
        area = session.scalar(select(Area).where(Area.slug == slug))
        if area is None:
            if not create_area:
                raise click.ClickException(f"Gebied {slug!r} bestaat niet (gebruik --create-area).")
            area = areas.create_area(session, actor=None, data=areas.AreaData(
                name=slug.replace("-", " ").title(), slug=slug, description="", postcodes=[], manager_ids=[]))
        summary = pabulib_import.import_pabulib(session, file, area=area)
    except DomainError as exc:
        session.rollback()
        raise click.ClickException(exc.message) from exc
    session.commit()
    click.echo(f"Geïmporteerd: {summary.projects} projecten, {summary.ballots} stembiljetten, "
               f"regel {summary.rule}, gebied {area.slug}.")
    click.echo(str(summary.round.id))


@click.command("publish")
@click.argument("round_id", type=int)
@with_appcontext
def publish_command(round_id: int) -> None:
    """Count a closed round with its rule and publish the result (progress bar; recorded as a job)."""
    session = db_session()
    round_ = by_id(session, BudgetRound, round_id)
    if round_ is None:
        raise click.ClickException(f"Ronde {round_id} bestaat niet.")
    run_with_progress(results_jobs.PUBLISH, {"round_id": round_.id}, subject=results_jobs.subject(round_),
                      label="Tellen")
    result = result_service.latest_result(session, round_)
    assert result is not None
    outcome = result_service.outcome_of(result)
    click.echo(f"Uitslag van ronde {round_id} gepubliceerd (versie {result.version}, regel {result.rule}): "
               f"{len(outcome['selected'])} projecten gekozen, {result.ballots_total} stembiljetten.")
    click.echo(f"ballots.pb sha256 {result.ballots_sha256}")
    click.echo(f"hash chain head  {result.chain_head}")


COMMANDS = (import_pabulib_command, publish_command)
