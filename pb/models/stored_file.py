"""Files kept in the database (proposal photos, import error reports, uploads), so app hosts keep no state."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from pb.db import Base, utcnow


class StoredFile(Base):
    """One stored file, found by its random ``name``; the bytes load only when asked for.

    ``expires_at`` marks files that are removed after a while (error reports quote addresses).
    A small file keeps its bytes in ``data``; a large one (a register upload, a letters ZIP) is
    kept in ``chunks`` rows of :class:`StoredFileChunk` (``data`` is empty), so it is written and
    read a chunk at a time. ``encrypted`` chunks are sealed with a key that is not in the database
    (see :mod:`pb.services.stored_files`).
    """

    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    content_type: Mapped[str] = mapped_column(String(80))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    chunks: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    encrypted: Mapped[bool] = mapped_column(default=False, server_default=false())


class StoredFileChunk(Base):
    """One piece (at most ``stored_files.CHUNK_SIZE`` bytes, plus the seal when encrypted) of a large file."""

    __tablename__ = "stored_file_chunks"
    __table_args__ = (UniqueConstraint("file_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
