"""The job runner: Huey, on a SQLite file by default and on Redis in production.

Why Huey: it is a small, well-kept library whose queue works on a plain SQLite file (the
embedded default needs no extra server) and on Redis (several app hosts, one or more workers),
with retries, back-off, delays and periodic tasks; tests use its immediate mode, which runs a
task synchronously when it is enqueued.

Only ids travel through the queue; the work itself is described by rows in the database (the
``jobs`` table and the mail outbox), written in the request's transaction. The dispatcher tells
Huey about them after that transaction commits. A periodic sweep re-dispatches rows whose
dispatch was lost (e.g. the queue was unreachable at that moment), so nothing is forgotten, and
removes stored files whose time is up (error reports, letters ZIPs).

``PB_JOBS_URL``: ``sqlite:///path`` (default ``instance/jobs.sqlite``), ``redis://host:6379/1``
or ``immediate://`` (tests: run each task at once, in the process that enqueued it).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import redis
from flask import Flask
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab
from sqlalchemy import event
from sqlalchemy.orm import Session

from pb import job_runner
from pb.services import jobs, mail, stored_files

log = logging.getLogger(__name__)

JOB_RETRIES = 2
JOB_RETRY_DELAY = 60  # seconds, doubled per retry
MAIL_RETRIES = 8
MAIL_RETRY_DELAY = 30  # seconds, doubled per retry: 30 s, 1 min, 2 min, ... about 2 hours in all


class Worker:
    """The app's job runner: a Huey instance (made on first use) and its tasks."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._huey: Huey | None = None
        self.run_job: Any = None
        self.send_mail: Any = None
        self.remind_voters: Any = None
        self.sweep: Any = None

    @property
    def huey(self) -> Huey:
        """The Huey instance; built lazily, so creating the app does no I/O."""
        if self._huey is None:
            self._huey = self._make_huey()
            self._register_tasks(self._huey)
        return self._huey

    def _make_huey(self) -> Huey:
        url: str = self.app.config["JOBS_URL"]
        name = self.app.config["JOBS_QUEUE_NAME"]
        if url == "immediate://":
            return MemoryHuey(name, immediate=True, results=False)
        if url.startswith(("redis://", "rediss://", "unix://")):
            # Short timeouts: a request that enqueues after its commit must not hang on a dead Redis
            # (the sweep re-dispatches later); longer than the consumer's 1 s blocking read.
            pool = redis.ConnectionPool.from_url(url, socket_connect_timeout=1, socket_timeout=5)
            return RedisHuey(name, connection_pool=pool, results=False)
        if url.startswith("sqlite:///"):
            path = Path(url.removeprefix("sqlite:///"))
            path.parent.mkdir(parents=True, exist_ok=True)
            return SqliteHuey(name, filename=str(path), results=False)
        raise ValueError(f"PB_JOBS_URL {url!r}: use sqlite:///PATH, redis://HOST:PORT/DB or immediate://")

    def _register_tasks(self, huey: Huey) -> None:
        app = self.app

        def run_job(job_id: int, task: Any = None) -> None:
            final = task is None or not task.retries
            # A fresh app context (its own session), even when run inside a request (immediate
            # mode); a request context too, for the services' Dutch messages.
            with app.app_context(), app.test_request_context():
                from pb.db import db_session

                job_runner.execute(db_session(), job_id, final=final)

        def send_mail(message_id: int) -> None:
            with app.app_context():
                from pb.db import db_session

                job_runner.send_outbox_message(db_session(), message_id)

        def sweep() -> None:
            with app.app_context():
                from pb.db import db_session

                session = db_session()
                # Expired files go (error reports quoting addresses, letters ZIPs with codes).
                stored_files.forget_expired(session)
                session.commit()
                for job_id in jobs.stale(session):
                    self.run_job(job_id)
                for message_id in mail.unsent(session):
                    self.send_mail(message_id)

        def remind_voters() -> None:
            # Recorded as a job (visible to admins on /jobs), run by a worker like any other job.
            from pb.jobs.notifications import REMIND_VOTERS, SUBJECT

            with app.app_context():
                from pb.db import db_session

                session = db_session()
                jobs.enqueue(session, REMIND_VOTERS, {"days": int(app.config["REMIND_VOTERS_DAYS"])},
                             subject=SUBJECT)
                session.commit()

        self.run_job = huey.task(retries=JOB_RETRIES, retry_delay=JOB_RETRY_DELAY, retry_backoff=2,
                                 context=True, name="pb.run_job")(run_job)
        self.send_mail = huey.task(retries=MAIL_RETRIES, retry_delay=MAIL_RETRY_DELAY, retry_backoff=2,
                                   name="pb.send_mail")(send_mail)
        self.sweep = huey.periodic_task(crontab(minute="*"), name="pb.sweep")(sweep)
        # Once a day, late morning in the Netherlands (Huey's crontab is in UTC).
        self.remind_voters = huey.periodic_task(crontab(minute="0", hour="9"), name="pb.remind_voters")(
            remind_voters)

    def dispatch(self, job_ids: list[int], message_ids: list[int]) -> None:
        """Tell the queue about committed jobs and messages; an unreachable queue is logged only
        (the sweep sends them later): the request that committed them must not fail."""
        for job_id in job_ids:
            try:
                self.huey  # noqa: B018 - build the tasks
                self.run_job(job_id)
            except Exception:  # noqa: BLE001
                log.exception("could not dispatch job %s; the sweep will", job_id)
        for message_id in message_ids:
            try:
                self.huey  # noqa: B018
                self.send_mail(message_id)
            except Exception:  # noqa: BLE001
                log.exception("could not dispatch mail %s; the sweep will", message_id)

    def run_consumer(self, workers: int) -> None:
        """Run the worker loop until interrupted (``flask pb worker``)."""
        # Polls a SQLite queue at least once a second (a Redis queue blocks and answers at once).
        consumer = self.huey.create_consumer(workers=workers, worker_type="thread", periodic=True,
                                             initial_delay=0.1, backoff=1.15, max_delay=1.0,
                                             check_worker_health=True)
        consumer.run()


def init_app(app: Flask) -> None:
    """Attach the worker and dispatch jobs and mail after each commit of the app's sessions."""
    from pb import jobs as handlers  # noqa: F401 - registers the @job handlers

    worker = Worker(app)
    app.extensions["pb_worker"] = worker
    factory = app.extensions["pb_db"]

    def after_commit(session: Session) -> None:
        if session.in_nested_transaction():
            return  # a SAVEPOINT was released: the rows are not committed yet
        job_ids, message_ids = jobs.pop_pending(session), mail.pop_pending(session)
        if job_ids or message_ids:
            worker.dispatch(job_ids, message_ids)

    def after_rollback(session: Session, previous_transaction: Any) -> None:
        if previous_transaction.parent is None:  # not a savepoint: the whole transaction is gone
            jobs.drop_pending(session)
            mail.drop_pending(session)

    event.listen(factory, "after_commit", after_commit)
    event.listen(factory, "after_soft_rollback", after_rollback)


def get_worker(app: Flask) -> Worker:
    """The app's worker."""
    worker: Worker = app.extensions["pb_worker"]
    return worker
