"""Files kept in the database: put, find, delete and forget expired ones.

App hosts keep no files of their own: a photo uploaded on one host is served by every other.
Files are small (photos are at most a few MB after re-encoding; error reports are capped), so one
row holds one file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from pb.db import rowcount, utcnow
from pb.models.stored_file import StoredFile

NAME_RE = re.compile(r"^[0-9a-f]{32}(\.[a-z0-9]{2,4})?$")


def put(session: Session, data: bytes, *, kind: str, content_type: str, suffix: str = "",
        keep_for: dt.timedelta | None = None, name: str | None = None) -> StoredFile:
    """Store ``data`` under a fresh random name (``<32 hex><suffix>``) and return the row.

    Args:
        session: the session; the caller commits (a rollback leaves no file behind).
        data: the file's bytes.
        kind: what the file is (``photo``, ``register-report``).
        content_type: the MIME type it is served with.
        suffix: appended to the name, e.g. ``.jpg``.
        keep_for: remove the file after this long (None: keep until deleted).
        name: keep this name instead (moving a file that already has one; it must match ``NAME_RE``).
    """
    if name is not None and not NAME_RE.match(name):
        raise ValueError(f"not a stored file name: {name!r}")
    row = StoredFile(
        name=name or secrets.token_hex(16) + suffix, kind=kind, content_type=content_type, size=len(data),
        sha256=hashlib.sha256(data).hexdigest(), data=data,
        expires_at=utcnow() + keep_for if keep_for is not None else None,
    )
    session.add(row)
    session.flush()
    return row


def find(session: Session, name: str, *, kind: str) -> StoredFile | None:
    """The stored file called ``name`` of this kind, unless it has expired (bytes not loaded yet)."""
    if not NAME_RE.match(name):
        return None
    row = session.scalar(select(StoredFile).where(StoredFile.name == name, StoredFile.kind == kind))
    if row is None or (row.expires_at is not None and row.expires_at <= utcnow()):
        return None
    return row


def delete_file(session: Session, name: str | None) -> None:
    """Remove a stored file (no error when it does not exist)."""
    if name:
        session.execute(delete(StoredFile).where(StoredFile.name == name))


def forget_expired(session: Session) -> int:
    """Remove files whose time is up; return how many."""
    return rowcount(session.execute(
        delete(StoredFile).where(StoredFile.expires_at.is_not(None), StoredFile.expires_at <= utcnow())
    ))
