"""Background jobs: heavy work (publishing, recounts, imports, purges) done by the worker.

A :class:`Job` row is written in the transaction of the request that asks for the work; the
job runner (:mod:`pb.worker`) is told only after that transaction commits. The row records who
asked, how far the work is, and how it ended, so the manager sees progress and outcome on a page.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pb.db import Base, str_enum, utcnow
from pb.models.user import User


class JobStatus(enum.StrEnum):
    """Where a job is in its life."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(Base):
    """One piece of background work and its outcome."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # the name given to @job("kind")
    subject: Mapped[str] = mapped_column(String(60), default="", index=True)  # e.g. "round:12"
    status: Mapped[JobStatus] = mapped_column(str_enum(JobStatus, 12), default=JobStatus.QUEUED)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    payload_json: Mapped[str] = mapped_column(Text, default="{}")
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    result_json: Mapped[str | None] = mapped_column(Text)  # what the handler returned
    error: Mapped[str | None] = mapped_column(Text)  # a message for the owner, never a traceback
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column()
    finished_at: Mapped[dt.datetime | None] = mapped_column()

    owner: Mapped[User | None] = relationship()

    @property
    def finished(self) -> bool:
        """Whether the job has ended, well or not."""
        return self.status in (JobStatus.DONE, JobStatus.FAILED)
