"""Job commands: run the worker; helpers that run a job here with a progress bar."""

from __future__ import annotations

import sys
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from pb.db import db_session
from pb.models.job import Job, JobStatus
from pb import job_runner
from pb.worker import get_worker


@click.command("worker")
@click.option("--workers", type=int, default=None, help="Worker threads (default PB_JOBS_WORKERS, 2).")
@with_appcontext
def worker_command(workers: int | None) -> None:
    """Run the job runner: background jobs and outgoing mail (stop with Ctrl+C)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config["JOBS_URL"] == "immediate://":
        raise click.ClickException("PB_JOBS_URL=immediate:// runs each job at once where it is asked; "
                                   "there is no queue for a worker.")
    click.echo(f"Worker on {app.config['JOBS_URL'].split('@')[-1]} (stop with Ctrl+C)", err=True)
    get_worker(app).run_consumer(workers or int(app.config["JOBS_WORKERS"]))


def run_with_progress(kind: str, payload: dict[str, Any], *, subject: str, label: str) -> Job:
    """Run a job in this process, recorded like any job, with a progress bar on the terminal.

    Raises:
        click.ClickException: the job failed (its message).
    """
    bar: Any = None

    def progress(done: int, total: int | None) -> None:
        nonlocal bar
        if total is None:
            return
        if bar is None:
            bar = click.progressbar(length=total, label=label, file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)

    try:
        with current_app.test_request_context():  # Dutch messages from the services need a locale
            row = job_runner.run_here(db_session(), kind, payload, subject=subject, on_progress=progress)
    finally:
        if bar is not None:
            bar.update(bar.length - bar.pos)
            bar.__exit__(None, None, None)
    if row.status != JobStatus.DONE:
        raise click.ClickException(row.error or "failed")
    return row


COMMANDS = (worker_command,)
