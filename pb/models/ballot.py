"""Votes: who took part (participations) apart from what was chosen (ballots).

The secret ballot lives in the schema: a :class:`Ballot` has no user reference and no time, and
its primary key is random, so neither a column nor the key order links it to a
:class:`Participation`. While a round that allows re-voting is open, a participation carries a
*sealed pointer* to its ballot (encrypted with a per-round key that is destroyed at close); see
``docs/secret-ballot.md`` and :mod:`pb.services.ballots` and :mod:`pb.services.ballot_seal`.
"""

from __future__ import annotations

import datetime as dt
import enum
import secrets
import uuid

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pb.db import Base, str_enum, utcnow


class Channel(enum.StrEnum):
    """How a ballot reached the count."""

    ONLINE = "online"
    PAPER = "paper"  # entered at an information point by staff, confirmed by a second staff member


def random_ballot_id() -> int:
    """A random positive 62-bit id: ballot keys (and SQLite rowids) reveal no casting order."""
    return secrets.randbits(62) or 1


class Participation(Base):
    """The fact that a voter voted in a round. At most one per voter per round (the database
    enforces it, so double clicks, retries and parallel servers cannot add a second)."""

    __tablename__ = "participations"
    __table_args__ = (UniqueConstraint("round_id", "voter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    voter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, 16))
    # Turnout per day needs a time; it is on the participation, never on the ballot.
    cast_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Number of times the ballot was replaced (at most one re-vote); also the optimistic-lock
    # version for re-voting.
    revotes: Mapped[int] = mapped_column(Integer, default=0)
    # Re-voting only: this voter's current re-vote token, encrypted to the round key (see
    # pb.services.ballot_mixing); NULL after sealing.
    sealed_pointer: Mapped[str | None] = mapped_column(String(128))
    # Re-voting only: the token of the ballot this voter replaced, encrypted; the final mix drops
    # that ballot. NULL after sealing.
    revoked_pointer: Mapped[str | None] = mapped_column(String(128))


class Ballot(Base):
    """What one voter chose. Deliberately without voter, time or sequential id."""

    __tablename__ = "ballots"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False,
                                    default=random_ballot_id)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, 16))
    # Random tracking code handed to the voter; listed with the published ballots.
    receipt_code: Mapped[str] = mapped_column(String(32), unique=True)
    # Re-voting rounds, until sealing: HMAC(round key, re-vote token). Without the round key it
    # is a random string; the final mix drops ballots whose token was revoked, then clears it.
    revoke_hash: Mapped[str | None] = mapped_column(String(64))

    items: Mapped[list[BallotItem]] = relationship(
        back_populates="ballot", cascade="all, delete-orphan", passive_deletes=True,
        order_by="BallotItem.proposal_id",
    )


class BallotItem(Base):
    """One project on a ballot: approved (no points/rank), given ``points``, or ranked ``rank``.

    Composite key, no surrogate id (an autoincrement id would reveal the casting order); on
    SQLite the table is WITHOUT ROWID for the same reason.
    """

    __tablename__ = "ballot_items"
    __table_args__ = ({"sqlite_with_rowid": False},)

    ballot_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("ballots.id", ondelete="CASCADE"), primary_key=True
    )
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), primary_key=True, index=True)
    points: Mapped[int | None] = mapped_column(Integer)  # cumulative ballots
    rank: Mapped[int | None] = mapped_column(Integer)  # ranked ballots, 1 = first choice

    ballot: Mapped[Ballot] = relationship(back_populates="items")


class BallotSealKey(Base):
    """A round's random salt for its ballot key. The key itself is HKDF(SECRET_KEY, salt): the
    database alone cannot open sealed ballots or pointers. Deleted when the round is sealed."""

    __tablename__ = "ballot_seal_keys"

    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True)
    salt: Mapped[str] = mapped_column(String(64))


def random_sealed_id() -> str:
    """A random (uuid4) key for a sealed ballot: no sequence, no time."""
    return uuid.uuid4().hex


class SealedBallot(Base):
    """A cast ballot waiting to be mixed: its content encrypted to the round key.

    Written in the voter's casting transaction next to the participation (so it shares the
    participation's ``xmin``), then opened and moved into ``ballots`` by a mixing transaction of
    many ballots in shuffled order, and deleted. Deliberately without voter, time, channel or
    sequential id. The foreign key to the round's seal key makes a cast that commits after the
    round was sealed fail (the key row is gone), so no sealed ballot is ever stranded.
    """

    __tablename__ = "sealed_ballots"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_sealed_id)
    round_id: Mapped[int] = mapped_column(ForeignKey("ballot_seal_keys.round_id"), index=True)
    sealed: Mapped[str] = mapped_column(Text)


class RoundSeal(Base):
    """Marks a round whose seal keys and pointers were destroyed (re-voting is over for good)."""

    __tablename__ = "round_seals"

    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True)
    sealed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PaperEntry(Base):
    """A paper ballot typed in by one staff member, waiting for a second one to confirm it.

    Only confirmation writes the participation and the ballot; the entry (which names the voter
    next to the choices) is then deleted. One pending entry per voter per round.
    """

    __tablename__ = "paper_entries"
    __table_args__ = (UniqueConstraint("round_id", "voter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    voter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    entered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # {"proposal_id": value} as JSON text; value = 1 / points / rank depending on the ballot type.
    choices_json: Mapped[str] = mapped_column(Text)

    voter = relationship("User", foreign_keys=[voter_id])
    entered_by = relationship("User", foreign_keys=[entered_by_id])
