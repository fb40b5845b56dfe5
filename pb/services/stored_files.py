"""Files kept in the database: put, find, delete and forget expired ones.

App hosts keep no files of their own: a photo uploaded on one host is served by every other.
Small files (photos are at most a few MB after re-encoding; error reports are capped) are one
row each (:func:`put`). Large files (a register upload of a city, ~50 MB; a letters ZIP) go in
chunks of ``CHUNK_SIZE`` (:func:`put_stream`) and are read back a chunk at a time
(:func:`open_stream`, :func:`iter_chunks`), so memory stays bounded on write and on read.

Encrypted files (``encrypt=True``; the letters ZIP holds plaintext letter codes) are sealed chunk
by chunk with AES-256-GCM under a per-file key ``HKDF-SHA256(ikm=CODE_HMAC_KEY or SECRET_KEY,
info="pb-stored-file-v1" || name)``: the key is not in the database, so a database reader (or a
backup) sees only ciphertext. Each chunk is ``nonce(12) || ciphertext``, its associated data
binds the file name, the chunk's number and whether it is the last one, so chunks cannot be
swapped, reordered or cut off unnoticed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import secrets
from collections.abc import Iterator
from typing import IO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from pb.db import rowcount, utcnow
from pb.models.stored_file import StoredFile, StoredFileChunk

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
    """Remove a stored file and its chunks (no error when it does not exist)."""
    if name:
        ids = select(StoredFile.id).where(StoredFile.name == name).scalar_subquery()
        session.execute(delete(StoredFileChunk).where(StoredFileChunk.file_id == ids))
        session.execute(delete(StoredFile).where(StoredFile.name == name))


def retire(session: Session, name: str | None, keep_for: dt.timedelta) -> None:
    """Let a file go after ``keep_for`` instead of at once (pages other app hosts still show may
    link to it for a little while); the expiry sweep removes it then."""
    if name:
        session.execute(update(StoredFile).where(StoredFile.name == name).values(expires_at=utcnow() + keep_for))


def forget_expired(session: Session) -> int:
    """Remove files (and their chunks) whose time is up; return how many files."""
    expired = (StoredFile.expires_at.is_not(None), StoredFile.expires_at <= utcnow())
    session.execute(delete(StoredFileChunk).where(
        StoredFileChunk.file_id.in_(select(StoredFile.id).where(*expired))))
    return rowcount(session.execute(delete(StoredFile).where(*expired)))


# --- Large files, in chunks -------------------------------------------------------------------------

CHUNK_SIZE = 1 << 20  # 1 MiB
_NONCE = 12
_INFO = b"pb-stored-file-v1\x00"


class DamagedFile(Exception):
    """An encrypted file cannot be opened: the key changed, or its chunks were altered."""


def _file_key(name: str) -> bytes:
    secret = current_app.config.get("CODE_HMAC_KEY") or current_app.config["SECRET_KEY"]
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO + name.encode())
    return hkdf.derive(str(secret).encode())


def _aad(name: str, seq: int, last: bool) -> bytes:
    return _INFO + name.encode() + b"\x00" + seq.to_bytes(8, "big") + (b"\x01" if last else b"\x00")


def _read_full(source: IO[bytes], size: int) -> bytes:
    """Up to ``size`` bytes; fewer only at the end of the stream."""
    parts: list[bytes] = []
    wanted = size
    while wanted:
        part = source.read(wanted)
        if not part:
            break
        parts.append(part)
        wanted -= len(part)
    return b"".join(parts)


def put_stream(session: Session, source: IO[bytes], *, kind: str, content_type: str, suffix: str = "",
               keep_for: dt.timedelta | None = None, encrypt: bool = False) -> StoredFile:
    """Store a stream in chunks under a fresh random name; at most two chunks are in memory.

    Args:
        session: the session; the caller commits (a rollback leaves no file behind).
        source: a binary stream, read to its end.
        kind, content_type, suffix, keep_for: as for :func:`put`.
        encrypt: seal each chunk with a key derived from the app's secret (see the module docstring).
    """
    name = secrets.token_hex(16) + suffix
    row = StoredFile(name=name, kind=kind, content_type=content_type, size=0, sha256="", data=b"",
                     chunks=0, encrypted=encrypt,
                     expires_at=utcnow() + keep_for if keep_for is not None else None)
    session.add(row)
    session.flush()
    key = AESGCM(_file_key(name)) if encrypt else None
    digest, size, seq = hashlib.sha256(), 0, 0
    chunk = _read_full(source, CHUNK_SIZE)
    while True:  # at least one chunk, so an encrypted empty file still has its sealed last chunk
        following = _read_full(source, CHUNK_SIZE) if chunk else b""
        digest.update(chunk)
        size += len(chunk)
        data = chunk
        if key is not None:
            nonce = secrets.token_bytes(_NONCE)
            data = nonce + key.encrypt(nonce, chunk, _aad(name, seq, last=not following))
        session.execute(insert(StoredFileChunk).values(file_id=row.id, seq=seq, data=data))
        seq += 1
        if not following:
            break
        chunk = following
    row.size, row.sha256, row.chunks = size, digest.hexdigest(), seq
    session.flush()
    return row


def iter_chunks(session: Session, row: StoredFile) -> Iterator[bytes]:
    """The file's bytes, a chunk at a time (decrypted when it is encrypted), read through ``session``.

    What is needed of ``row`` (and the key) is taken now, so the chunks may be read later through
    another session, outside the app context.

    Raises (while iterating):
        DamagedFile: an encrypted chunk does not open (wrong key, altered, reordered or cut off).
    """
    if not row.chunks:
        return iter([row.data])
    key = AESGCM(_file_key(row.name)) if row.encrypted else None
    return _chunks(session, row.id, row.name, row.chunks, key)


def _chunks(session: Session, file_id: int, name: str, count: int, key: AESGCM | None) -> Iterator[bytes]:
    for seq in range(count):
        data = session.scalar(select(StoredFileChunk.data).where(StoredFileChunk.file_id == file_id,
                                                                StoredFileChunk.seq == seq))
        if data is None:
            raise DamagedFile(f"{name}: chunk {seq} is missing")
        if key is not None:
            try:
                data = key.decrypt(data[:_NONCE], data[_NONCE:], _aad(name, seq, last=seq == count - 1))
            except InvalidTag as exc:
                raise DamagedFile(f"{name}: chunk {seq} does not open") from exc
        yield data


class _ChunkReader(io.RawIOBase):
    """A read-only binary stream over :func:`iter_chunks`."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        super().__init__()
        self._chunks = chunks
        self._view = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: "bytearray | memoryview") -> int:  # type: ignore[override]
        while not self._view:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._view = memoryview(chunk)
        n = min(len(buffer), len(self._view))
        buffer[:n] = self._view[:n]
        self._view = self._view[n:]
        return n


def reader(chunks: Iterator[bytes]) -> io.BufferedReader:
    """A binary stream over an iterator of chunks (e.g. :func:`iter_chunks`), one chunk in memory."""
    return io.BufferedReader(_ChunkReader(chunks), buffer_size=1 << 16)


def open_stream(session: Session, row: StoredFile) -> io.BufferedReader:
    """The file as a binary stream that loads one chunk at a time (see :func:`iter_chunks`)."""
    return reader(iter_chunks(session, row))
