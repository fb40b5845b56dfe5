"""Sealed ballots and the mix: nothing in the database links a ballot to its voter.

Casting writes the participation and the ballot *sealed* (AES-256-GCM) to a per-round key that
is not in the database. A mixing transaction later opens many sealed ballots at once, writes them
into ``ballots`` in shuffled order with random ids, and deletes the sealed rows; sealing the round
(after close) mixes whatever is left, re-mixes the whole round in one transaction, drops replaced
ballots and destroys the key. See ``docs/secret-ballot.md`` for the design and what each insider
can still learn.

Round key: ``HKDF-SHA256(ikm=BALLOT_KEY or SECRET_KEY, salt=ballot_seal_keys.salt,
info="pb-ballot-seal-v2" || round id)``. The salt is random per round and deleted at sealing, so
after sealing nobody can open what is left of sealed rows in dead tuples, WAL or backups, not even
with the application's secret.

Sealed ballot: ``base64(nonce(12) || AES-GCM(key, nonce, padded JSON, aad="ballot" || round id))``,
padded to a multiple of 1 KiB so its length does not tell how many projects the voter chose.

Re-voting (rounds with ``allow_revote``): the participation keeps a random 16-byte token ``r``
encrypted to the round key (``sealed_pointer``, bound to round and voter); the ballot carries
``revoke_hash = HMAC(key, r)``. A re-vote moves the old token to ``revoked_pointer`` and seals a
new ballot with a new token; no ballot row is touched in the voter's transaction. Sealing drops
every ballot whose ``revoke_hash`` belongs to a revoked token, in the same transaction that
re-mixes the whole round, then clears hashes and pointers.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from pb.db import utcnow
from pb.errors import InvalidState
from pb.models.ballot import (
    Ballot,
    BallotItem,
    BallotSealKey,
    Channel,
    Participation,
    RoundSeal,
    SealedBallot,
    random_ballot_id,
)
from pb.models.round import BudgetRound, Phase
from pb.models.user import User
from pb.services import audit

_INFO = b"pb-ballot-seal-v2\x00"
_PAD = 1024
DEFAULT_MIN_BATCH = 100

Item = tuple[int, int | None, int | None]  # (proposal id, points, rank)


class KeyUnavailable(InvalidState):
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


def _key_for_salt(round_id: int, salt: str) -> bytes:
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
    return _key_for_salt(round_.id, salt)


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


# --- Mixing -------------------------------------------------------------------------------------

def min_batch() -> int | None:
    """Fewest waiting ballots that a mix during voting opens; None: mix only when sealing."""
    value = current_app.config.get("MIX_MIN_BATCH", DEFAULT_MIN_BATCH)
    return None if value in (None, "", 0, "0") else max(int(value), 2)


def waiting_count(session: Session, round_: BudgetRound) -> int:
    """How many sealed ballots of ``round_`` wait for the mix."""
    return session.scalar(select(func.count()).select_from(SealedBallot)
                          .where(SealedBallot.round_id == round_.id)) or 0


def _write_shuffled(session: Session, round_id: int, contents: list[BallotContent], *,
                    keep_revoke_hash: bool) -> None:
    """Insert ballots in random order with random ids: insertion (physical) order, ids and the
    one transaction id they share say nothing about who cast which."""
    secrets.SystemRandom().shuffle(contents)
    ids: set[int] = set()
    ballots, items = [], []
    for content in contents:
        ballot_id = random_ballot_id()
        while ballot_id in ids:
            ballot_id = random_ballot_id()
        ids.add(ballot_id)
        ballots.append({"id": ballot_id, "round_id": round_id, "channel": content.channel,
                        "receipt_code": content.receipt_code,
                        "revoke_hash": content.revoke_hash if keep_revoke_hash else None})
        items.extend({"ballot_id": ballot_id, "proposal_id": p, "points": pt, "rank": rk}
                     for p, pt, rk in content.items)
    if ballots:
        session.execute(insert(Ballot), ballots)
    if items:
        session.execute(insert(BallotItem), items)


def _take_waiting(session: Session, round_: BudgetRound, key: bytes) -> list[BallotContent]:
    """Delete the round's waiting sealed ballots and return them opened. ``DELETE ... RETURNING``
    makes each row this transaction's alone: two mixers never move one ballot twice."""
    sealed = session.execute(
        delete(SealedBallot).where(SealedBallot.round_id == round_.id).returning(SealedBallot.sealed)
    ).scalars().all()
    return [open_content(key, round_.id, s) for s in sealed]


def mix_round(session: Session, round_: BudgetRound, *, minimum: int | None) -> int:
    """During voting: move the round's waiting ballots into ``ballots`` if at least ``minimum``
    wait (None: never during voting). Returns how many were mixed. The caller commits.

    A batch of one would link trivially (its ballot row's transaction follows the voter's), so
    small batches wait: rounds with fewer ballots are mixed only when they are sealed.
    """
    if minimum is None:
        return 0
    # FOR NO KEY UPDATE: one mixer at a time per round, while casts (which only take a key-share
    # lock through their foreign key) go on.
    salt = session.scalar(select(BallotSealKey.salt).where(BallotSealKey.round_id == round_.id)
                          .with_for_update(key_share=True))
    if salt is None or waiting_count(session, round_) < minimum:
        return 0
    contents = _take_waiting(session, round_, _key_for_salt(round_.id, salt))
    _write_shuffled(session, round_.id, contents, keep_revoke_hash=True)
    session.flush()
    return len(contents)


def _revoked_hashes(session: Session, round_: BudgetRound, key: bytes) -> set[str]:
    rows = session.execute(
        select(Participation.voter_id, Participation.revoked_pointer)
        .where(Participation.round_id == round_.id, Participation.revoked_pointer.is_not(None))
    ).all()
    return {revoke_hash(key, open_token(key, sealed, round_.id, voter_id)) for voter_id, sealed in rows}


def seal_round(session: Session, round_: BudgetRound, *, now: dt.datetime | None = None,
               actor: User | None = None) -> bool:
    """After voting closed: mix what waits, re-mix the whole round, drop replaced ballots, destroy
    the key and the re-vote pointers. Idempotent: True when this call sealed the round.

    The round's key row is locked first (``FOR UPDATE``): a cast still in flight holds a key-share
    lock on it through the foreign key of its sealed ballot, so sealing waits for it; a cast that
    comes later fails on the missing key row and is refused. No ballot is ever stranded.

    Raises:
        InvalidState: voting has not closed yet.
    """
    now = now or utcnow()
    if round_.phase_at(now) not in (Phase.CLOSED, Phase.RESULTS):
        raise InvalidState(_("De stemming is nog niet gesloten."))
    if session.get(RoundSeal, round_.id) is not None:
        return False
    salt = session.scalar(select(BallotSealKey.salt).where(BallotSealKey.round_id == round_.id)
                          .with_for_update())
    if session.get(RoundSeal, round_.id, populate_existing=True) is not None:
        return False  # sealed by another process while we waited for the lock
    if salt is not None:
        key = _key_for_salt(round_.id, salt)
        contents = _take_waiting(session, round_, key)
        revoked = _revoked_hashes(session, round_, key)
        contents += _take_mixed(session, round_)
        kept = [c for c in contents if c.revoke_hash is None or c.revoke_hash not in revoked]
        _write_shuffled(session, round_.id, kept, keep_revoke_hash=False)
        session.execute(
            update(Participation)
            .where(Participation.round_id == round_.id,
                   Participation.sealed_pointer.is_not(None) | Participation.revoked_pointer.is_not(None))
            .values(sealed_pointer=None, revoked_pointer=None).execution_options(synchronize_session=False)
        )
        session.execute(delete(BallotSealKey).where(BallotSealKey.round_id == round_.id))
        forget_round_key(round_.id)
    session.add(RoundSeal(round_id=round_.id, sealed_at=now))
    session.flush()
    audit.record(session, actor=actor, action="round.seal_ballots", obj_type="round", obj_id=round_.id,
                 area_id=round_.area_id, round_id=round_.id, public=True)
    return True


def _take_mixed(session: Session, round_: BudgetRound) -> list[BallotContent]:
    """Delete the round's mixed ballots and return their content (for the final re-mix)."""
    connection = session.connection()
    rows = connection.execute(select(Ballot.id, Ballot.channel, Ballot.receipt_code, Ballot.revoke_hash)
                              .where(Ballot.round_id == round_.id)).all()
    items: dict[int, list[Item]] = {}
    for b_id, p_id, points, rank in connection.execute(
        select(BallotItem.ballot_id, BallotItem.proposal_id, BallotItem.points, BallotItem.rank)
        .join(Ballot, Ballot.id == BallotItem.ballot_id).where(Ballot.round_id == round_.id)
    ):
        items.setdefault(b_id, []).append((p_id, points, rank))
    ids = select(Ballot.id).where(Ballot.round_id == round_.id).scalar_subquery()
    connection.execute(delete(BallotItem).where(BallotItem.ballot_id.in_(ids)))
    connection.execute(delete(Ballot).where(Ballot.round_id == round_.id))
    return [BallotContent(channel=Channel(ch), receipt_code=code, items=tuple(sorted(items.get(b_id, []))),
                          revoke_hash=rh) for b_id, ch, code, rh in rows]


def mix_ready_rounds(session: Session, *, now: dt.datetime | None = None) -> list[tuple[BudgetRound, int]]:
    """The cron job (``pb mix-ballots``): seal every closed round not sealed yet, and mix a batch
    in open rounds where at least the minimum batch waits. Returns (round, ballots moved) for
    rounds where something happened (a sealed round reports -1). The caller commits."""
    now = now or utcnow()
    done: list[tuple[BudgetRound, int]] = []
    waiting_rounds = select(SealedBallot.round_id).distinct()
    sealed_ids = select(RoundSeal.round_id)
    for round_ in session.scalars(
        select(BudgetRound).where(BudgetRound.id.in_(waiting_rounds) |
                                  ((BudgetRound.voting_close_at <= now) & BudgetRound.id.not_in(sealed_ids)))
        .order_by(BudgetRound.id)
    ).all():
        if round_.phase_at(now) in (Phase.CLOSED, Phase.RESULTS):
            if seal_round(session, round_, now=now):
                done.append((round_, -1))
        else:
            moved = mix_round(session, round_, minimum=min_batch())
            if moved:
                done.append((round_, moved))
    return done


# --- Read-only views for previews ----------------------------------------------------------------

def preview_ballots(session: Session, round_: BudgetRound) -> tuple[list[tuple[int, Channel, str]],
                                                                       dict[int, list[Item]]]:
    """Every ballot that will count, without writing (a private count preview of a closed round
    that is not sealed yet): mixed ballots plus waiting ones opened in memory, minus replaced ones.
    Waiting ballots get throw-away ids."""
    connection = session.connection()
    rows = connection.execute(select(Ballot.id, Ballot.channel, Ballot.receipt_code, Ballot.revoke_hash)
                              .where(Ballot.round_id == round_.id)).all()
    items: dict[int, list[Item]] = {}
    for b_id, p_id, points, rank in connection.execute(
        select(BallotItem.ballot_id, BallotItem.proposal_id, BallotItem.points, BallotItem.rank)
        .join(Ballot, Ballot.id == BallotItem.ballot_id).where(Ballot.round_id == round_.id)
    ):
        items.setdefault(b_id, []).append((p_id, points, rank))
    try:
        key = round_key(session, round_)
    except KeyUnavailable:
        return [(b, Channel(c), code) for b, c, code, _r in rows], items
    revoked = _revoked_hashes(session, round_, key)
    ballots = [(b, Channel(c), code) for b, c, code, rh in rows if rh is None or rh not in revoked]
    for sealed in session.scalars(select(SealedBallot.sealed).where(SealedBallot.round_id == round_.id)):
        content = open_content(key, round_.id, sealed)
        if content.revoke_hash is not None and content.revoke_hash in revoked:
            continue
        b_id = random_ballot_id()
        ballots.append((b_id, content.channel, content.receipt_code))
        items[b_id] = list(content.items)
    return ballots, items


def sealed_row(key: bytes, round_id: int, content: BallotContent) -> dict[str, object]:
    """The values of a new ``sealed_ballots`` row (random uuid key, no time, no voter)."""
    return {"id": secrets.token_hex(16), "round_id": round_id, "sealed": seal_content(key, round_id, content)}


def contents_of(items: Sequence[Item]) -> tuple[Item, ...]:
    """Items in a canonical order (by proposal id)."""
    return tuple(sorted(items))
