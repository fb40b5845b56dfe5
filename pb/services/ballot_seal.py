"""The ballot seal: per-round keys, sealed ballots, re-vote tokens.

Casting stores the ballot *sealed* to a per-round key that is not in the database; the mix
(:mod:`pb.services.ballot_mixing`) opens sealed ballots in batches. See ``docs/secret-ballot.md``.

Round key: ``HKDF-SHA256(ikm=BALLOT_KEY or SECRET_KEY, salt=ballot_seal_keys.salt,
info="pb-ballot-seal-v2" || round id)``. The salt is random per round and deleted when the round
is sealed, so after that nobody can open what is left of sealed rows in dead tuples, WAL or
backups, not even with the application's secret.

Sealed ballot: ``base64(nonce(12) || AES-GCM(key, nonce, padded JSON, aad="ballot" || round id))``,
padded to a multiple of 1 KiB so its length does not tell how many projects the voter chose.

Re-voting (rounds with ``allow_revote``): the participation keeps a random 16-byte token ``r``
encrypted to the round key (``sealed_pointer``, bound to round and voter); the ballot carries
``revoke_hash = HMAC(key, r)``. A re-vote moves the old token to ``revoked_pointer``; sealing the
round drops every ballot whose token was revoked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from pb.errors import VotingClosed
from pb.models.ballot import BallotSealKey, Channel, RoundSeal
from pb.models.round import BudgetRound

_INFO = b"pb-ballot-seal-v2\x00"
_PAD = 1024

Item = tuple[int, int | None, int | None]  # (proposal id, points, rank)


class KeyUnavailable(VotingClosed):
    """The round's key is gone (sealed) or the secret changed: nothing can be sealed or opened."""


@dataclass(frozen=True)
class BallotContent:
    """What a sealed ballot holds."""

    channel: Channel
    receipt_code: str
    items: tuple[Item, ...]
    revoke_hash: str | None


# --- The round key ----------------------------------------------------------------------------

def _derive(round_id: int, salt: str) -> bytes:
    secret = current_app.config.get("BALLOT_KEY") or current_app.config["SECRET_KEY"]
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=bytes.fromhex(salt),
                info=_INFO + round_id.to_bytes(8, "big"))
    return hkdf.derive(str(secret).encode())


def _key_cache() -> dict[tuple[int, str, str], bytes]:
    return current_app.extensions.setdefault("pb_ballot_keys", {})  # type: ignore[no-any-return]


def key_for_salt(round_id: int, salt: str) -> bytes:
    """The round key for a salt read from ``ballot_seal_keys`` (derived once per process)."""
    cache = _key_cache()
    secret = str(current_app.config.get("BALLOT_KEY") or current_app.config["SECRET_KEY"])
    key = cache.get((round_id, salt, secret))
    if key is None:
        key = cache[(round_id, salt, secret)] = _derive(round_id, salt)
    return key


def _salts() -> dict[int, str]:
    return current_app.extensions.setdefault("pb_ballot_salts", {})  # type: ignore[no-any-return]


def round_key(session: Session, round_: BudgetRound, *, create: bool = False) -> bytes:
    """The round's ballot key; with ``create`` the salt is made on first use (race-safe).

    The salt is remembered per process: if the round was sealed meanwhile, the foreign key of
    ``sealed_ballots`` refuses the insert, so a stale salt can never strand a ballot.

    Raises:
        KeyUnavailable: the round is sealed (or has no key and ``create`` is False).
    """
    salt = _salts().get(round_.id)
    if salt is None:
        salt = session.scalar(select(BallotSealKey.salt).where(BallotSealKey.round_id == round_.id))
        if salt is None and create:
            if session.get(RoundSeal, round_.id) is not None:
                raise KeyUnavailable(_("De stemming is gesloten. U kunt niet meer stemmen."))
            dialect_insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
            session.execute(dialect_insert(BallotSealKey).values(round_id=round_.id, salt=secrets.token_hex(32))
                            .on_conflict_do_nothing(index_elements=["round_id"]))
            salt = session.scalar(select(BallotSealKey.salt).where(BallotSealKey.round_id == round_.id))
        if salt is None:
            raise KeyUnavailable(_("De stemming is gesloten. U kunt niet meer stemmen."))
        _salts()[round_.id] = salt
    return key_for_salt(round_.id, salt)


def forget_round_key(round_id: int) -> None:
    """Drop this process's copy of a round's salt (after sealing, or a refused insert)."""
    _salts().pop(round_id, None)


# --- Sealing and opening ------------------------------------------------------------------------

def _aad(kind: bytes, *ids: int) -> bytes:
    return kind + b"".join(i.to_bytes(8, "big") for i in ids)


def _encrypt(key: bytes, plaintext: bytes, aad: bytes) -> str:
    nonce = secrets.token_bytes(12)
    return base64.b64encode(nonce + AESGCM(key).encrypt(nonce, plaintext, aad)).decode()


def _decrypt(key: bytes, sealed: str, aad: bytes) -> bytes:
    raw = base64.b64decode(sealed)
    try:
        return AESGCM(key).decrypt(raw[:12], raw[12:], aad)
    except (InvalidTag, ValueError):
        raise KeyUnavailable(_("Deze stem kan niet geopend worden: de sleutel is veranderd.")) from None


def seal_content(key: bytes, round_id: int, content: BallotContent) -> str:
    """Encrypt a ballot's content to the round key, padded to a multiple of 1 KiB."""
    body = json.dumps({"c": content.channel.value, "r": content.receipt_code, "i": list(content.items),
                       "t": content.revoke_hash}, separators=(",", ":")).encode()
    padded = body.ljust(-(-(len(body) + 1) // _PAD) * _PAD)
    return _encrypt(key, padded, _aad(b"ballot", round_id))


def open_content(key: bytes, round_id: int, sealed: str) -> BallotContent:
    """Decrypt a sealed ballot.

    Raises:
        KeyUnavailable: wrong key or tampered row.
    """
    data = json.loads(_decrypt(key, sealed, _aad(b"ballot", round_id)))
    return BallotContent(channel=Channel(data["c"]), receipt_code=data["r"],
                         items=tuple((int(p), pt, rk) for p, pt, rk in data["i"]), revoke_hash=data["t"])


def seal_text(key: bytes, round_id: int, text: str) -> str:
    """Encrypt other voting data of a round (a pending paper entry's choices) to the round key."""
    return _encrypt(key, text.encode(), _aad(b"text", round_id))


def open_text(key: bytes, round_id: int, sealed: str) -> str:
    """Decrypt what :func:`seal_text` sealed."""
    return _decrypt(key, sealed, _aad(b"text", round_id)).decode()


def new_revote_token() -> bytes:
    """A random re-vote token (16 bytes)."""
    return secrets.token_bytes(16)


def seal_token(key: bytes, token: bytes, round_id: int, voter_id: int) -> str:
    """Encrypt a re-vote token, bound to its participation (round and voter)."""
    return _encrypt(key, token, _aad(b"token", round_id, voter_id))


def open_token(key: bytes, sealed: str, round_id: int, voter_id: int) -> bytes:
    """Decrypt a re-vote token; a token moved to another voter does not open.

    Raises:
        KeyUnavailable: wrong key, wrong voter, or tampered.
    """
    return _decrypt(key, sealed, _aad(b"token", round_id, voter_id))


def revoke_hash(key: bytes, token: bytes) -> str:
    """What a ballot carries to be found again by its token: ``HMAC(key, token)``."""
    return hmac.new(key, b"revoke\x00" + token, hashlib.sha256).hexdigest()


def sealed_row(key: bytes, round_id: int, content: BallotContent) -> dict[str, object]:
    """The values of a new ``sealed_ballots`` row (random uuid key, no time, no voter)."""
    return {"id": secrets.token_hex(16), "round_id": round_id, "sealed": seal_content(key, round_id, content)}
