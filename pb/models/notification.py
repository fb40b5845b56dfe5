"""Following proposals and areas, each resident's message choices, messages already sent, and the
moment from which phase starts are announced."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pb.db import Base, str_enum, utcnow


class NotificationKind(enum.StrEnum):
    """The kinds of message a resident can choose to get."""

    STATUS = "status"  # a followed proposal changes status
    PHASE = "phase"  # support or voting starts in a followed area or an area where I live
    REMINDER = "reminder"  # voting closes soon and I have not voted
    RESULTS = "results"  # results are published of a round I took part in or follow
    MILESTONE = "milestone"  # a followed project reaches a milestone


class Follow(Base):
    """A resident follows exactly one proposal or one area."""

    __tablename__ = "follows"
    __table_args__ = (
        UniqueConstraint("user_id", "proposal_id"),
        UniqueConstraint("user_id", "area_id"),
        CheckConstraint("(proposal_id IS NULL) <> (area_id IS NULL)", name="one_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class NotificationSettings(Base):
    """A resident's language and message choices; a NULL choice means the municipality's default."""

    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    language: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[bool | None] = mapped_column(Boolean)
    phase: Mapped[bool | None] = mapped_column(Boolean)
    reminder: Mapped[bool | None] = mapped_column(Boolean)
    results: Mapped[bool | None] = mapped_column(Boolean)
    milestone: Mapped[bool | None] = mapped_column(Boolean)


class NotificationSent(Base):
    """One message sent for one event to one person: the unique key makes it exactly once."""

    __tablename__ = "notifications_sent"
    __table_args__ = (UniqueConstraint("user_id", "event_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[NotificationKind] = mapped_column(str_enum(NotificationKind, 16))
    event_key: Mapped[str] = mapped_column(String(120))
    sent_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class NotificationWatermark(Base):
    """From when a kind of announcement counts events (set once, at its first run).

    Phases that were already running before the announcer first ran (before the deploy that
    introduced it, say) are history, not news: only phases that start later are announced.
    """

    __tablename__ = "notification_watermarks"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    since: Mapped[dt.datetime] = mapped_column(default=utcnow)
