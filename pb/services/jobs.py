"""Background jobs: ask for heavy work in a request, let the worker do it, show how it went.

Usage (see ``docs/jobs.md``)::

    from pb.services import jobs

    @jobs.job("address_register.purge")
    def purge(ctx: jobs.JobContext) -> dict[str, Any]:
        ...                     # use ctx.session (flush only), ctx.payload, ctx.owner
        ctx.progress(1, 2)      # optional: the owner's job page shows "1 of 2"
        return {"addresses": 12}  # stored as the job's result (JSON)

    job = jobs.enqueue(session, "address_register.purge", {"area_id": 3}, owner=user, subject="area:3")
    session.commit()            # only now is the worker told; a rollback drops the job

The runner commits once after the handler returns. A :class:`~pb.errors.DomainError` from the
handler ends the job as failed with its (Dutch) message; any other exception is retried by the
job runner and, after the last attempt, ends the job with a general message (the traceback goes
to the log, never to the page).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.orm import Session

from pb.db import rowcount, utcnow
from pb.errors import DomainError, NotFound
from pb.models.job import Job, JobStatus
from pb.models.user import Role, User

log = logging.getLogger(__name__)

_PENDING = "pb_jobs_pending"


@dataclass
class JobContext:
    """What a job handler gets: the worker's session, the job, its payload and owner."""

    session: Session
    job: Job
    payload: dict[str, Any]
    owner: User | None
    on_progress: Callable[[int, int | None], None] | None = field(default=None, repr=False)

    def progress(self, done: int, total: int | None = None) -> None:
        """Report progress; visible on the job page while the job still runs."""
        if not _write_progress(self.session, self.job.id, done, total):
            # SQLite while this job holds the write lock: stored with the job's own commit.
            self.job.progress_done, self.job.progress_total = done, total
        if self.on_progress is not None:
            self.on_progress(done, total)


Handler = Callable[[JobContext], "dict[str, Any] | None"]
HANDLERS: dict[str, Handler] = {}


def job(kind: str) -> Callable[[Handler], Handler]:
    """Register ``fn`` as the handler of jobs of ``kind`` (a name such as ``"results.publish"``)."""

    def register(fn: Handler) -> Handler:
        if HANDLERS.get(kind, fn) is not fn:
            raise ValueError(f"job kind {kind!r} is registered twice")
        HANDLERS[kind] = fn
        return fn

    return register


def enqueue(session: Session, kind: str, payload: dict[str, Any], *, owner: User | None = None,
            subject: str = "") -> Job:
    """Record a job in ``session``'s transaction; the worker is told only when it commits.

    Args:
        session: the request's (or command's) session; flushed, not committed.
        kind: a kind registered with :func:`job`.
        payload: JSON-serialisable arguments for the handler.
        owner: the account that asked (sees the job's page); None for the system.
        subject: what the job is about, for look-ups such as :func:`latest` (e.g. ``"round:12"``).

    Returns:
        The new job row (status queued).
    """
    row = _record(session, kind, payload, owner=owner, subject=subject)
    session.info.setdefault(_PENDING, []).append(row.id)
    return row


def _record(session: Session, kind: str, payload: dict[str, Any], *, owner: User | None, subject: str) -> Job:
    if kind not in HANDLERS:
        raise ValueError(f"unknown job kind {kind!r}")
    row = Job(kind=kind, subject=subject, status=JobStatus.QUEUED, owner_id=owner.id if owner else None,
              payload_json=json.dumps(payload, sort_keys=True), progress_done=0, attempts=0)
    session.add(row)
    session.flush()
    return row


def pop_pending(session: Session) -> list[int]:
    """The ids of the jobs enqueued in the transaction that just committed (for the dispatcher)."""
    ids: list[int] = session.info.pop(_PENDING, [])
    return ids


def drop_pending(session: Session) -> None:
    """Forget the jobs of a transaction that was rolled back."""
    session.info.pop(_PENDING, None)


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
                     on_progress=on_progress)
    try:
        result = handler(ctx)
    except DomainError as exc:
        session.rollback()
        _finish(session, job_id, JobStatus.FAILED, error=exc.message)
    except Exception:
        session.rollback()
        log.exception("job %s (%s) failed", job_id, row.kind)
        if not final:
            _finish(session, job_id, JobStatus.QUEUED, error=_("Mislukt; het wordt zo opnieuw geprobeerd."))
            raise
        _finish(session, job_id, JobStatus.FAILED,
                error=_("Er ging iets mis bij ons. Probeer het later opnieuw of neem contact op met de gemeente."))
    else:
        session.execute(update(Job).where(Job.id == job_id).values(
            status=JobStatus.DONE, result_json=json.dumps(result or {}, sort_keys=True, ensure_ascii=False),
            finished_at=utcnow(), progress_done=func.coalesce(Job.progress_total, Job.progress_done)))
        session.commit()
    return session.get(Job, job_id, populate_existing=True)


def _finish(session: Session, job_id: int, status: JobStatus, *, error: str) -> None:
    session.execute(update(Job).where(Job.id == job_id).values(
        status=status, error=error, finished_at=utcnow() if status == JobStatus.FAILED else None))
    session.commit()


def run_here(session: Session, kind: str, payload: dict[str, Any], *, owner: User | None = None,
             subject: str = "", on_progress: Callable[[int, int | None], None] | None = None) -> Job:
    """Record a job and run it in this process at once (CLI commands; recorded like any job).

    Commits. Returns the job as it ended (check ``status`` and ``error``).
    """
    row = _record(session, kind, payload, owner=owner, subject=subject)
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


# --- Look-ups for pages ---------------------------------------------------------------------------

def get_visible(session: Session, job_id: int, user: User) -> Job:
    """A job its owner (or an admin) may see.

    Raises:
        NotFound: no such job, or not this user's.
    """
    row = session.get(Job, job_id)
    if row is None or not (row.owner_id == user.id or user.has_role(Role.ADMIN)):
        raise NotFound(_("Deze taak bestaat niet."))
    return row


def for_owner(session: Session, user: User, *, limit: int = 50) -> list[Job]:
    """The user's newest jobs."""
    return list(session.scalars(select(Job).where(Job.owner_id == user.id)
                                .order_by(Job.id.desc()).limit(limit)))


def latest(session: Session, kind: str, subject: str) -> Job | None:
    """The newest job of ``kind`` about ``subject`` (any status)."""
    return session.scalar(select(Job).where(Job.kind == kind, Job.subject == subject)
                          .order_by(Job.id.desc()).limit(1))


def result_of(row: Job) -> dict[str, Any]:
    """What a finished job's handler returned."""
    data: dict[str, Any] = json.loads(row.result_json) if row.result_json else {}
    return data


def stale(session: Session, *, older_than_seconds: int = 300) -> list[int]:
    """Queued jobs never started that are older than the limit (their dispatch was lost)."""
    import datetime as dt

    limit = utcnow() - dt.timedelta(seconds=older_than_seconds)
    return list(session.scalars(select(Job.id).where(Job.status == JobStatus.QUEUED, Job.attempts == 0,
                                                    Job.created_at < limit).limit(500)))
