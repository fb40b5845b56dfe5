"""Turnout for managers: who voted when and how, never what.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from pb.clock import LOCAL_TZ
from pb.models.ballot import Channel, Participation
from pb.models.register import RegisterEntry
from pb.models.residency import Residency
from pb.models.round import BudgetRound

TURNOUT_MIN_GROUP = 10


@dataclass(frozen=True)
class Turnout:
    """How many people voted: in total, per day (Dutch dates) and per channel. No choices."""

    total: int
    per_day: list[tuple[dt.date, int]]
    per_channel: dict[Channel, int]
    per_postcode: list[tuple[str, int | None]] | None  # None: no postcodes known for voters


def postcode_groups(postcodes: Sequence[str | None], *, minimum: int = TURNOUT_MIN_GROUP) -> list[tuple[str, int | None]]:
    """Count voters per 4-digit postcode; groups under ``minimum`` are shown without a number
    (None) so a small group cannot be singled out. Unknown postcodes are left out."""
    counts = Counter(pc[:4] for pc in postcodes if pc)
    return [(pc, n if n >= minimum else None) for pc, n in sorted(counts.items())]


def turnout(session: Session, round_: BudgetRound) -> Turnout:
    """Turnout of a round for its managers: participations only, never ballot contents.

    The postcode comes from the register entry that verified the voter's residency (none for
    residents verified without one, or after the register was purged).
    """
    rows = session.execute(
        select(Participation.cast_at, Participation.channel, RegisterEntry.postcode)
        .join(Residency, (Residency.user_id == Participation.voter_id) & (Residency.area_id == round_.area_id),
              isouter=True)
        .join(RegisterEntry, RegisterEntry.id == Residency.register_entry_id, isouter=True)
        .where(Participation.round_id == round_.id)
    ).all()
    per_day = Counter(cast_at.astimezone(LOCAL_TZ).date() for cast_at, _c, _p in rows)
    per_channel = Counter(channel for _a, channel, _p in rows)
    postcodes = [postcode for _a, _c, postcode in rows]
    return Turnout(
        total=len(rows),
        per_day=sorted(per_day.items()),
        per_channel={c: per_channel.get(c, 0) for c in Channel},
        per_postcode=postcode_groups(postcodes) if any(postcodes) else None,
    )
