"""The ballot seal: re-vote pointers, and destroying them once voting has closed.

While re-voting is possible the participation holds a *sealed pointer*: the ballot id encrypted
and authenticated with a per-round key ``HMAC-SHA256(SECRET_KEY, "pb-ballot-seal" || salt)``
(the salt is in ``ballot_seal_keys``). Encryption is one block of an HMAC-SHA256 keystream (the
ballot id is 8 bytes):

    nonce = 16 random bytes
    ct    = id (8 bytes, big endian) XOR HMAC(key, "pad" || nonce)[:8]
    tag   = HMAC(key, "tag" || nonce || ct || round_id || voter_id)[:16]
    sealed = base64url(nonce || ct || tag)

HMAC-SHA256 is a PRF, so with a fresh nonce the pad is a one-time pad and the tag binds the
pointer to its participation (swapping pointers between voters is detected). ``seal_round``
deletes the salt and every pointer once voting has closed. See ``docs/secret-ballot.md``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pb.db import utcnow
from pb.errors import InvalidState, VotingClosed, VotingNotClosed
from pb.models.ballot import BallotSealKey, Participation, RoundSeal
from pb.models.round import BudgetRound
from pb.models.user import User
from pb.services import audit

_SEAL_CONTEXT = b"pb-ballot-seal\x00"


def round_key(session: Session, round_: BudgetRound) -> bytes:
    """The round's pointer key, creating its salt on first use (race-safe)."""
    row = session.get(BallotSealKey, round_.id)
    if row is None:
        if session.get(RoundSeal, round_.id) is not None:
            raise VotingClosed(_("De stemming is gesloten. U kunt niet meer stemmen."))
        try:
            with session.begin_nested():
                session.add(BallotSealKey(round_id=round_.id, salt=secrets.token_hex(32)))
        except IntegrityError:
            pass  # another first voter created it; read theirs
        row = session.scalars(
            select(BallotSealKey).where(BallotSealKey.round_id == round_.id)
            .execution_options(populate_existing=True)
        ).one()
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, _SEAL_CONTEXT + row.salt.encode(), hashlib.sha256).digest()


def _bind(round_id: int, voter_id: int) -> bytes:
    return round_id.to_bytes(8, "big") + voter_id.to_bytes(8, "big")


def seal_pointer(key: bytes, ballot_id: int, round_id: int, voter_id: int) -> str:
    nonce = secrets.token_bytes(16)
    pad = hmac.new(key, b"pad" + nonce, hashlib.sha256).digest()[:8]
    ct = bytes(a ^ b for a, b in zip(ballot_id.to_bytes(8, "big"), pad, strict=True))
    tag = hmac.new(key, b"tag" + nonce + ct + _bind(round_id, voter_id), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(nonce + ct + tag).decode().rstrip("=")


def open_pointer(key: bytes, sealed: str, round_id: int, voter_id: int) -> int:
    """Decrypt a sealed pointer; raise if it was tampered with or the key changed.

    Raises:
        InvalidState: the pointer does not open with this key for this voter.
    """
    raw = base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))
    nonce, ct, tag = raw[:16], raw[16:24], raw[24:]
    expected = hmac.new(key, b"tag" + nonce + ct + _bind(round_id, voter_id), hashlib.sha256).digest()[:16]
    if len(raw) != 40 or not hmac.compare_digest(tag, expected):
        raise InvalidState(_("Uw stem kan niet meer gewijzigd worden."))
    pad = hmac.new(key, b"pad" + nonce, hashlib.sha256).digest()[:8]
    return int.from_bytes(bytes(a ^ b for a, b in zip(ct, pad, strict=True)), "big")


def seal_round(session: Session, round_: BudgetRound, *, now: dt.datetime | None = None,
               actor: User | None = None) -> bool:
    """Destroy the round's pointer key and every sealed pointer once voting has closed.

    Idempotent: returns True when this call sealed the round, False when it already was.

    Raises:
        VotingNotClosed: voting has not closed yet.
    """
    now = now or utcnow()
    if not round_.is_voting_closed(now):
        raise VotingNotClosed(_("De stemming is nog niet gesloten."))
    if session.get(RoundSeal, round_.id) is not None:
        return False
    session.execute(delete(BallotSealKey).where(BallotSealKey.round_id == round_.id))
    session.execute(
        update(Participation).where(Participation.round_id == round_.id)
        .values(sealed_pointer=None).execution_options(synchronize_session=False)
    )
    try:
        with session.begin_nested():
            session.add(RoundSeal(round_id=round_.id, sealed_at=now))
    except IntegrityError:
        return False  # sealed at the same moment by another process
    audit.record(session, actor=actor, action="round.seal_ballots", obj_type="round", obj_id=round_.id,
                 area_id=round_.area_id, round_id=round_.id, public=True)
    return True


def seal_if_closed(session: Session, round_: BudgetRound, *, now: dt.datetime | None = None) -> bool:
    """Seal ``round_`` if its voting has closed and it is not sealed yet; True when this call sealed it."""
    now = now or utcnow()
    return round_.is_voting_closed(now) and seal_round(session, round_, now=now)


def seal_closed_rounds(session: Session, *, now: dt.datetime | None = None) -> list[BudgetRound]:
    """Seal every round whose voting has closed and is not sealed yet; return those sealed."""
    now = now or utcnow()
    sealed_ids = select(RoundSeal.round_id)
    candidates = session.scalars(
        select(BudgetRound).where(BudgetRound.voting_close_at <= now, BudgetRound.id.not_in(sealed_ids))
    ).all()
    return [r for r in candidates if seal_round(session, r, now=now)]
