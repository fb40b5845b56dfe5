"""Published results of a round: immutable, versioned, with the anonymised ballots they count.

A :class:`RoundResult` is written once, when a manager publishes (version 1), and never changed;
a correction publishes a new version with a reason. The public pages show the newest version and
say when and why it replaced an earlier one. :class:`RoundImport` remembers that a round was
imported from a pabulib file and which of the file's counting settings apply to it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from pb.db import Base, utcnow
from pb.errors import InvalidState
from pb.models.round import BudgetRound
from pb.models.user import User


class RoundResult(Base):
    """One published version of a round's result (never updated; a correction is a new row)."""

    __tablename__ = "round_results"
    __table_args__ = (UniqueConstraint("round_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    rule: Mapped[str] = mapped_column(String(40))  # engine rule name, e.g. "equalshares/add1"
    tie_break: Mapped[str] = mapped_column(String(24))  # engine tie-break kind
    tie_break_seed: Mapped[str | None] = mapped_column(String(64))  # as configured on the round
    outcome_json: Mapped[str] = mapped_column(Text)  # Outcome.to_dict() plus project links
    # The two large texts (megabytes for a city) are loaded only when read: the results page needs
    # neither (see :func:`pb.services.results.published_head`).
    ballots_pb: Mapped[str] = mapped_column(Text, deferred=True)  # the published, anonymised pabulib file
    ballots_sha256: Mapped[str] = mapped_column(String(64))
    chain_head: Mapped[str] = mapped_column(String(64))  # hash chain over the VOTES rows
    receipts_text: Mapped[str] = mapped_column(Text, default="", deferred=True)  # sorted tracking codes
    ballots_online: Mapped[int] = mapped_column(Integer, default=0)
    ballots_paper: Mapped[int] = mapped_column(Integer, default=0)
    eligible_voters: Mapped[int | None] = mapped_column(Integer)  # None: unknown (imported)
    published_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    correction_reason: Mapped[str] = mapped_column(Text, default="")

    round: Mapped[BudgetRound] = relationship()
    published_by: Mapped[User | None] = relationship()

    @property
    def ballots_total(self) -> int:
        """All counted ballots, online and paper."""
        return self.ballots_online + self.ballots_paper


@event.listens_for(RoundResult, "before_update")
def _refuse_update(_mapper: Mapper[Any], _conn: Any, target: RoundResult) -> None:
    """Published results are immutable: an attempt to change one is a bug or an attack."""
    raise InvalidState("Een gepubliceerde uitslag kan niet worden gewijzigd; publiceer een correctie.")


class RoundImport(Base):
    """A round imported from a pabulib file, with the file's counting settings."""

    __tablename__ = "round_imports"

    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True)
    source_name: Mapped[str] = mapped_column(String(200))
    source_sha256: Mapped[str] = mapped_column(String(64))
    file_rule: Mapped[str] = mapped_column(String(40), default="")  # META rule as written
    rule: Mapped[str] = mapped_column(String(40))  # engine rule used to count
    score_threshold: Mapped[str | None] = mapped_column(String(40))  # META min_project_score_threshold
    # What the round model has no place for: {"categories": {project id: "a,b"},
    # "category_caps": {category: limit}} (pabulib budget_per_category).
    extra_json: Mapped[str] = mapped_column(Text, default="{}")
    # The file's whole META section as read (key -> value, in file order): country, unit,
    # subunit, dates, language, the original rule, limits... written back by the export.
    meta_json: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
