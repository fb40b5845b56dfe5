"""The audit log: record every manager, staff and admin write; verify the hash chain."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pb.db import utcnow
from pb.models.audit import GENESIS_HASH, AuditEntry
from pb.models.user import User

_MAX_ATTEMPTS = 20
# Keys that must never reach the log, whatever a caller passes in before/after.
_SECRET_KEYS = frozenset({"password", "password_hash", "code", "code_hmac", "token", "session_token"})


def _dump(values: Mapping[str, Any] | None) -> str:
    clean = {k: v for k, v in (values or {}).items() if k not in _SECRET_KEYS}
    return json.dumps(clean, sort_keys=True, default=str, ensure_ascii=False)


def record(
    session: Session,
    *,
    actor: User | None,
    action: str,
    obj_type: str,
    obj_id: object,
    area_id: int | None = None,
    round_id: int | None = None,
    public: bool = False,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    reason: str = "",
) -> AuditEntry:
    """Append an entry to the hash-chained audit log and flush it.

    Args:
        session: the request's session; the entry commits with the change it describes.
        actor: who acted (None for the system, e.g. a CLI job).
        action: a dotted verb such as ``area.create`` or ``round.phase_move``.
        obj_type, obj_id: what was acted on.
        area_id, round_id: scope, for the public history and per-area views.
        public: whether the entry appears in the public change history.
        before, after: the changed fields; secrets are dropped.
        reason: the reason given by the actor, if any.

    Raises:
        RuntimeError: when the chain head keeps moving (heavy contention) after many retries.
    """
    for _ in range(_MAX_ATTEMPTS):
        head = session.execute(
            select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
        ).first()
        seq, prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS_HASH)
        entry = AuditEntry(
            seq=seq,
            at=utcnow(),
            actor_id=actor.id if actor is not None else None,
            action=action,
            object_type=obj_type,
            object_id=str(obj_id),
            area_id=area_id,
            round_id=round_id,
            public=public,
            before_json=_dump(before),
            after_json=_dump(after),
            reason=reason,
            prev_hash=prev_hash,
        )
        entry.hash = entry.compute_hash()
        try:
            with session.begin_nested():
                session.add(entry)
        except IntegrityError:
            continue  # another transaction took this seq first; chain onto the new head
        return entry
    raise RuntimeError("audit log head is contended; giving up")


def verify_chain(session: Session) -> int | None:
    """Return the ``seq`` of the first entry that breaks the chain, or None when it is intact."""
    prev = GENESIS_HASH
    expected_seq = 1
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.seq)):
        if entry.seq != expected_seq or entry.prev_hash != prev or entry.compute_hash() != entry.hash:
            return entry.seq
        prev = entry.hash
        expected_seq += 1
    return None


def chain_head(session: Session) -> tuple[int, str]:
    """Return the number of entries and the hash of the newest one."""
    count = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    head = session.scalar(select(AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1))
    return count, head or GENESIS_HASH


def newest_entries(session: Session, *, offset: int, limit: int) -> list[AuditEntry]:
    """A page of the whole audit log, newest first."""
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).offset(offset).limit(limit)))


def actor_names(session: Session, entries: list[AuditEntry]) -> dict[int, str]:
    """The name and login of each account that acted in ``entries``, by id (deleted accounts are absent)."""
    ids = {e.actor_id for e in entries if e.actor_id is not None}
    if not ids:
        return {}
    users = session.scalars(select(User).where(User.id.in_(ids)))
    return {u.id: f"{u.name} ({u.login_name})" if u.login_name else u.name for u in users}


def public_entries_of_area(session: Session, area_id: int, *, actions: tuple[str, ...], limit: int = 100) -> list[AuditEntry]:
    """The newest public entries of one area with one of ``actions`` (for the area's feed)."""
    return list(session.scalars(
        select(AuditEntry).where(AuditEntry.area_id == area_id, AuditEntry.public.is_(True),
                                 AuditEntry.action.in_(actions))
        .order_by(AuditEntry.seq.desc()).limit(limit)
    ))
