"""The mix: sealed ballots move into ``ballots`` in shuffled batches, so nothing links a ballot
to its voter.

Casting writes the participation and the ballot sealed (:mod:`pb.services.ballot_seal`). A mixing
transaction later opens many sealed ballots at once, writes them into ``ballots`` in shuffled
order with random ids, and deletes the sealed rows; sealing the round (after close) mixes
whatever is left, re-mixes the whole round, drops replaced ballots and destroys the key. See
``docs/secret-ballot.md`` for the design and what each insider can still learn.
"""

from __future__ import annotations

import datetime as dt
import secrets

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.orm import Session

from pb.db import utcnow
from pb.errors import VotingNotClosed
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
from pb.models.round import BudgetRound
from pb.models.user import User
from pb.services import audit
from pb.services.ballot_seal import (
    BallotContent,
    Item,
    KeyUnavailable,
    forget_round_key,
    key_for_salt,
    open_content,
    open_token,
    revoke_hash,
    round_key,
)

DEFAULT_MIN_BATCH = 100


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
    ballots: list[dict[str, object]] = []
    items: list[dict[str, object]] = []
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
    contents = _take_waiting(session, round_, key_for_salt(round_.id, salt))
    _write_shuffled(session, round_.id, contents, keep_revoke_hash=True)
    session.flush()
    return len(contents)


def _revoked_hashes(session: Session, round_: BudgetRound, key: bytes) -> set[str]:
    rows = session.execute(
        select(Participation.voter_id, Participation.revoked_pointer)
        .where(Participation.round_id == round_.id, Participation.revoked_pointer.is_not(None))
    ).all()
    return {revoke_hash(key, open_token(key, sealed, round_.id, voter_id)) for voter_id, sealed in rows
            if sealed is not None}


def seal_round(session: Session, round_: BudgetRound, *, now: dt.datetime | None = None,
               actor: User | None = None) -> bool:
    """After voting closed: mix what waits, re-mix the whole round, drop replaced ballots, destroy
    the key and the re-vote pointers. Idempotent: True when this call sealed the round.

    The round's key row is locked first (``FOR UPDATE``): a cast still in flight holds a key-share
    lock on it through the foreign key of its sealed ballot, so sealing waits for it; a cast that
    comes later fails on the missing key row and is refused. No ballot is ever stranded.

    Raises:
        VotingNotClosed: voting has not closed yet.
    """
    now = now or utcnow()
    if not round_.is_voting_closed(now):
        raise VotingNotClosed(_("De stemming is nog niet gesloten."))
    if session.get(RoundSeal, round_.id) is not None:
        return False
    salt = session.scalar(select(BallotSealKey.salt).where(BallotSealKey.round_id == round_.id)
                          .with_for_update())
    if session.get(RoundSeal, round_.id, populate_existing=True) is not None:
        return False  # sealed by another process while we waited for the lock
    if salt is not None:
        key = key_for_salt(round_.id, salt)
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


def _mixed_ballots(session: Session, round_: BudgetRound) -> tuple[list[Row[int, Channel, str, str | None]], dict[int, list[Item]]]:
    """The round's mixed ballots as rows (id, channel, receipt code, revoke hash) and their items by ballot id."""
    connection = session.connection()
    rows = list(connection.execute(select(Ballot.id, Ballot.channel, Ballot.receipt_code, Ballot.revoke_hash)
                                   .where(Ballot.round_id == round_.id)).all())
    items: dict[int, list[Item]] = {}
    for b_id, p_id, points, rank in connection.execute(
        select(BallotItem.ballot_id, BallotItem.proposal_id, BallotItem.points, BallotItem.rank)
        .join(Ballot, Ballot.id == BallotItem.ballot_id).where(Ballot.round_id == round_.id)
    ):
        items.setdefault(b_id, []).append((p_id, points, rank))
    return rows, items


def _take_mixed(session: Session, round_: BudgetRound) -> list[BallotContent]:
    """Delete the round's mixed ballots and return their content (for the final re-mix)."""
    connection = session.connection()
    rows, items = _mixed_ballots(session, round_)
    ids = select(Ballot.id).where(Ballot.round_id == round_.id).scalar_subquery()
    connection.execute(delete(BallotItem).where(BallotItem.ballot_id.in_(ids)))
    connection.execute(delete(Ballot).where(Ballot.round_id == round_.id))
    return [BallotContent(channel=Channel(ch), receipt_code=code, items=tuple(sorted(items.get(b_id, []))),
                          revoke_hash=rh) for b_id, ch, code, rh in rows]


def seal_closed_rounds(session: Session, *, now: dt.datetime | None = None) -> list[BudgetRound]:
    """Seal every round whose voting has closed and is not sealed yet; return those sealed."""
    now = now or utcnow()
    sealed_ids = select(RoundSeal.round_id)
    candidates = session.scalars(
        select(BudgetRound).where(BudgetRound.voting_close_at <= now, BudgetRound.id.not_in(sealed_ids))
    ).all()
    return [r for r in candidates if seal_round(session, r, now=now)]


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
        if round_.is_voting_closed(now):
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
    rows, items = _mixed_ballots(session, round_)
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
