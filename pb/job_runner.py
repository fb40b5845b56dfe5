"""Running jobs and sending the outbox: the worker's side, which commits (services never do).

:func:`execute` runs one queued job with its ``@job`` handler and records the outcome;
:func:`run_here` does the same in the current process (CLI commands, with a progress bar);
:func:`send_outbox_message` sends one queued e-mail. :mod:`pb.worker` calls them from Huey tasks.
"""

from __future__ import annotations

import datetime as dt
import email
import json
import logging
import smtplib
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Engine, func, or_, select, text, update
from sqlalchemy.orm import Session

from pb.db import rowcount, utcnow
from pb.errors import DomainError
from pb.models.job import Job, JobStatus
from pb.models.outbox import OutboxMessage
from pb.models.user import User
from pb.services import jobs, mail
from pb.services.jobs import HANDLERS, JobContext

log = logging.getLogger(__name__)

# A send that started this long ago and never finished (worker killed) may be tried again.
CLAIM_TIMEOUT = dt.timedelta(minutes=5)


def execute(session: Session, job_id: int, *, final: bool = True,
            on_progress: Callable[[int, int | None], None] | None = None) -> Job | None:
    """Run one queued job with its handler and record the outcome (commits).

    Args:
        session: a session of its own (the worker's, or the CLI command's).
        job_id: the job to run; a job that is not queued (already taken) is left alone.
        final: whether this is the last attempt; otherwise an unexpected error re-queues the job
            and is raised again so the job runner retries it later.
        on_progress: also called with each progress report (the CLI's progress bar).

    Returns:
        The job as it ended, or None when there was nothing to run.
    """
    claimed = rowcount(session.execute(
        update(Job).where(Job.id == job_id, Job.status == JobStatus.QUEUED)
        .values(status=JobStatus.RUNNING, attempts=Job.attempts + 1, started_at=utcnow(), error=None)
    ))
    session.commit()
    if claimed != 1:
        return None
    row = session.get(Job, job_id, populate_existing=True)
    assert row is not None
    handler = HANDLERS[row.kind]
    owner = session.get(User, row.owner_id) if row.owner_id is not None else None
    session.commit()  # end the read transaction (on SQLite it holds the one write lock)
    ctx = JobContext(session=session, job=row, payload=json.loads(row.payload_json), owner=owner,
                     report=_reporter(session, row, on_progress))
    try:
        result = handler(ctx)
    except DomainError as exc:
        session.rollback()
        _finish(session, job_id, JobStatus.FAILED, error=exc.message, result=_after_failure(session, ctx))
    except Exception:
        session.rollback()
        log.exception("job %s (%s) failed", job_id, row.kind)
        if not final:
            _finish(session, job_id, JobStatus.QUEUED, error=_("Mislukt; het wordt zo opnieuw geprobeerd."))
            raise
        _finish(session, job_id, JobStatus.FAILED,
                error=_("Er ging iets mis bij ons. Probeer het later opnieuw of neem contact op met de gemeente."),
                result=_after_failure(session, ctx))
    else:
        session.execute(update(Job).where(Job.id == job_id).values(
            status=JobStatus.DONE, result_json=json.dumps(result or {}, sort_keys=True, ensure_ascii=False),
            finished_at=utcnow(), progress_done=func.coalesce(Job.progress_total, Job.progress_done)))
        session.commit()
    return session.get(Job, job_id, populate_existing=True)


def _after_failure(session: Session, ctx: JobContext) -> dict[str, Any] | None:
    """Run the handler's failure hooks (after the rollback); their results, merged (None: none)."""
    merged: dict[str, Any] | None = None
    for hook in ctx.failure_hooks:
        try:
            outcome = hook(session)
        except Exception:  # noqa: BLE001 - a failing hook must not leave the job running
            session.rollback()
            log.exception("failure hook of job %s failed", ctx.job.id)
            continue
        merged = {**(merged or {}), **(outcome or {})}
    return merged


def _finish(session: Session, job_id: int, status: JobStatus, *, error: str,
            result: dict[str, Any] | None = None) -> None:
    values: dict[str, Any] = {"status": status, "error": error,
                              "finished_at": utcnow() if status == JobStatus.FAILED else None}
    if result is not None:
        values["result_json"] = json.dumps(result, sort_keys=True, ensure_ascii=False)
    session.execute(update(Job).where(Job.id == job_id).values(**values))
    session.commit()


def run_here(session: Session, kind: str, payload: dict[str, Any], *, owner: User | None = None,
             subject: str = "", on_progress: Callable[[int, int | None], None] | None = None) -> Job:
    """Record a job and run it in this process at once (CLI commands; recorded like any job).

    Commits. Returns the job as it ended (check ``status`` and ``error``).
    """
    row = jobs._record(session, kind, payload, owner=owner, subject=subject)
    session.commit()
    ended = execute(session, row.id, final=True, on_progress=on_progress)
    assert ended is not None
    return ended


def _write_progress(session: Session, job_id: int, done: int, total: int | None) -> bool:
    """Store progress outside the job's own transaction, so other requests see it now.

    Returns False when SQLite's write lock is taken (by the job itself) and nothing was stored.
    """
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    values = {"done": done, "total": total, "id": job_id}
    sql = "UPDATE jobs SET progress_done = :done, progress_total = :total WHERE id = :id"
    if engine.dialect.name != "sqlite":
        with engine.connect() as conn:
            conn.execute(text(sql), values)
            conn.commit()
        return True
    # SQLite has one writer: while the job's own transaction holds the lock, progress would wait
    # for it; try briefly in autocommit mode and skip this report when the database is busy.
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        assert driver is not None
        driver.execute("PRAGMA busy_timeout=50")
        try:
            driver.execute(sql, values)
            return True
        except Exception:  # noqa: BLE001 - "database is locked": progress is a comfort, not a duty
            return False
        finally:
            driver.execute("PRAGMA busy_timeout=30000")
    finally:
        raw.close()


def _reporter(session: Session, row: Job, on_progress: Callable[[int, int | None], None] | None
              ) -> Callable[[int, int | None], None]:
    def report(done: int, total: int | None) -> None:
        if not _write_progress(session, row.id, done, total):
            # SQLite while this job holds the write lock: stored with the job's own commit.
            row.progress_done, row.progress_total = done, total
        if on_progress is not None:
            on_progress(done, total)

    return report


def send_outbox_message(session: Session, message_id: int) -> bool:
    """Send one outbox message (worker). Commits.

    Returns:
        True when sent now, False when there was nothing to do (already sent, or another worker
        is sending it right now).

    Raises:
        DeliveryFailed: the backend refused or could not be reached (the attempt is recorded).
    """
    now = utcnow()
    claimed = rowcount(session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None),
               or_(OutboxMessage.last_attempt_at.is_(None), OutboxMessage.last_attempt_at < now - CLAIM_TIMEOUT,
                   OutboxMessage.last_error.is_not(None)))
        .values(attempts=OutboxMessage.attempts + 1, last_attempt_at=now, last_error=None)
    ))
    session.commit()
    if claimed != 1:
        return False
    raw = session.scalar(select(OutboxMessage.message).where(OutboxMessage.id == message_id))
    assert raw is not None
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    try:
        mail.deliver(msg)
    except (OSError, smtplib.SMTPException) as exc:
        session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                        .values(last_error=f"{type(exc).__name__}: {exc}"[:500]))
        session.commit()
        raise mail.DeliveryFailed(str(exc)) from exc
    # Sent: keep the metadata, drop the text (it may hold a reset link).
    session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                    .values(sent_at=utcnow(), message=None))
    session.commit()
    return True
