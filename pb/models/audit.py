"""Append-only, hash-chained audit log of every manager, staff and admin write."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pb.db import Base, utcnow

GENESIS_HASH = "0" * 64


class AuditEntry(Base):
    """One audited action. Rows are never updated or deleted (database triggers refuse it).

    ``seq`` is unique, so two concurrent writers cannot both extend the chain from the same head:
    the loser retries on the new head (see :func:`pb.services.audit.record`).
    """

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Plain ids, no foreign keys: the log must outlive the accounts and objects it mentions.
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    area_id: Mapped[int | None] = mapped_column(Integer, index=True)
    round_id: Mapped[int | None] = mapped_column(Integer, index=True)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    before_json: Mapped[str] = mapped_column(Text, default="{}")
    after_json: Mapped[str] = mapped_column(Text, default="{}")
    reason: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    @property
    def before(self) -> dict[str, Any]:
        """The changed fields' values before the action."""
        value: dict[str, Any] = json.loads(self.before_json)
        return value

    @property
    def after(self) -> dict[str, Any]:
        """The changed fields' values after the action."""
        value: dict[str, Any] = json.loads(self.after_json)
        return value

    def compute_hash(self) -> str:
        """Hash this entry's content together with the previous entry's hash."""
        payload = json.dumps(
            [
                self.seq,
                self.at.astimezone(dt.timezone.utc).isoformat(timespec="microseconds"),
                self.actor_id,
                self.action,
                self.object_type,
                self.object_id,
                self.area_id,
                self.round_id,
                bool(self.public),
                self.before_json,
                self.after_json,
                self.reason,
                self.prev_hash,
            ],
            separators=(",", ":"),
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode()).hexdigest()
