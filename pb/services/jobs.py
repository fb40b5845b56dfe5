"""Background jobs: ask for heavy work in a request, let the worker do it, show how it went.

Usage (see ``docs/jobs.md``)::

    from pb.services import jobs

    @jobs.job("address_register.purge")
    def purge(ctx: jobs.JobContext) -> dict[str, Any]:
        ...                     # use ctx.session (flush only), ctx.payload, ctx.owner
        ctx.progress(1, 2)      # optional: the owner's job page shows "1 of 2"
        return {"addresses": 12}  # stored as the job's result (JSON)

    job = jobs.enqueue(session, "address_register.purge", {"area_id": 3}, owner=user, subject="area:3")
    # the view commits: only then is the worker told; a rollback drops the job

The runner (:mod:`pb.job_runner`) commits once after the handler returns. A
:class:`~pb.errors.DomainError` from the handler ends the job as failed with its (Dutch) message; any other exception is retried by the
job runner and, after the last attempt, ends the job with a general message (the traceback goes
to the log, never to the page).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from pb.db import utcnow
from pb.errors import NotFound
from pb.models.job import Job, JobStatus
from pb.models.user import Role, User

_PENDING = "pb_jobs_pending"


FailureHook = Callable[[Session], "dict[str, Any] | None"]


@dataclass
class JobContext:
    """What a job handler gets: the worker's session, the job, its payload and owner."""

    session: Session
    job: Job
    payload: dict[str, Any]
    owner: User | None
    report: Callable[[int, int | None], None] = field(default=lambda _done, _total: None, repr=False)
    failure_hooks: list[FailureHook] = field(default_factory=list, repr=False)

    def progress(self, done: int, total: int | None = None) -> None:
        """Report progress; visible on the job page while the job still runs (see pb.job_runner)."""
        self.report(done, total)

    def on_failure(self, hook: FailureHook) -> None:
        """Run ``hook(session)`` if the job ends failed, after its work was rolled back.

        For what must happen even then (remove an uploaded file, keep an error report). The hook
        writes in a fresh transaction that the runner commits with the failed status; what it
        returns (a dict or None) is stored as the job's result. Not run before a retry.
        """
        self.failure_hooks.append(hook)


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
