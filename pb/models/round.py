"""Budget rounds: one participatory-budgeting cycle in an area, with its phases and rules."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pb.db import Base, str_enum, utcnow

if TYPE_CHECKING:
    from pb.models.area import Area
    from pb.models.proposal import Proposal


class Phase(enum.StrEnum):
    """Where a round is, derived from its dates and the server clock."""

    UPCOMING = "upcoming"
    PROPOSALS = "proposals"
    SUPPORT = "support"
    REVIEW = "review"
    WAITING = "waiting"  # review done, voting not yet open
    VOTING = "voting"
    CLOSED = "closed"  # voting closed, results not yet published
    RESULTS = "results"


class BallotType(enum.StrEnum):
    """How residents fill in their ballot."""

    APPROVAL = "approval"  # tick any number of projects
    K_APPROVAL = "k_approval"  # tick at most max_projects
    KNAPSACK = "knapsack"  # tick projects whose total cost fits the budget
    CUMULATIVE = "cumulative"  # spread points_total points
    RANKED = "ranked"  # rank your top max_projects
    CHOOSE_ONE = "choose_one"  # one project


class CountingRule(enum.StrEnum):
    """The rule that decides which projects are funded (names as in pb.tally)."""

    GREEDY = "greedy"
    GREEDY_NO_SKIP = "greedy-no-skip"
    EQUAL_SHARES = "equalshares"
    PHRAGMEN = "phragmen"
    MAX_WELFARE = "max-welfare"


class TieBreak(enum.StrEnum):
    """How equal scores are ordered."""

    LOWER_COST = "lower-cost"
    HIGHER_COST = "higher-cost"
    LOTTERY = "lottery"  # seeded; the seed is published with the result
    ORDER = "order"  # order of submission (or of the imported file)


class BudgetRound(Base):
    """A budget round of one area. Phase dates are UTC; phases follow from them."""

    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    budget_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="EUR", server_default="EUR")  # ISO 4217
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    proposals_open_at: Mapped[dt.datetime]
    proposals_close_at: Mapped[dt.datetime]
    support_close_at: Mapped[dt.datetime]
    review_close_at: Mapped[dt.datetime]
    voting_open_at: Mapped[dt.datetime]
    voting_close_at: Mapped[dt.datetime]
    results_published_at: Mapped[dt.datetime | None]

    ballot_type: Mapped[BallotType] = mapped_column(str_enum(BallotType), default=BallotType.KNAPSACK)
    min_projects: Mapped[int | None] = mapped_column(Integer)
    max_projects: Mapped[int | None] = mapped_column(Integer)  # k-approval maximum, ranked top-k
    min_budget_share_pct: Mapped[int | None] = mapped_column(Integer)  # knapsack: spend at least
    points_total: Mapped[int | None] = mapped_column(Integer)  # cumulative
    points_max_per_project: Mapped[int | None] = mapped_column(Integer)  # cumulative
    counting_rule: Mapped[CountingRule] = mapped_column(str_enum(CountingRule), default=CountingRule.GREEDY)
    tie_break: Mapped[TieBreak] = mapped_column(str_enum(TieBreak), default=TieBreak.LOWER_COST)
    tie_break_seed: Mapped[str | None] = mapped_column(String(64))
    support_threshold: Mapped[int] = mapped_column(Integer, default=0)
    min_age: Mapped[int | None] = mapped_column(Integer)
    max_age: Mapped[int | None] = mapped_column(Integer)
    allow_revote: Mapped[bool] = mapped_column(Boolean, default=False)

    area: Mapped[Area] = relationship()
    themes: Mapped[list[RoundTheme]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="RoundTheme.name"
    )
    neighbourhoods: Mapped[list[RoundNeighbourhood]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="RoundNeighbourhood.name"
    )
    proposals: Mapped[list[Proposal]] = relationship(back_populates="round", order_by="Proposal.id")

    def phase_at(self, now: dt.datetime) -> Phase:
        """The phase at moment ``now`` (aware)."""
        if self.results_published_at is not None:
            return Phase.RESULTS
        steps = [
            (self.proposals_open_at, Phase.UPCOMING),
            (self.proposals_close_at, Phase.PROPOSALS),
            (self.support_close_at, Phase.SUPPORT),
            (self.review_close_at, Phase.REVIEW),
            (self.voting_open_at, Phase.WAITING),
            (self.voting_close_at, Phase.VOTING),
        ]
        for boundary, phase in steps:
            if now < boundary:
                return phase
        return Phase.CLOSED

    def is_voting_open(self, now: dt.datetime) -> bool:
        """Whether ballots are taken at ``now``."""
        return self.phase_at(now) == Phase.VOTING

    def is_voting_closed(self, now: dt.datetime) -> bool:
        """Whether voting has closed at ``now`` (also once results are published)."""
        return self.phase_at(now) in (Phase.CLOSED, Phase.RESULTS)

    def is_frozen_at(self, now: dt.datetime) -> bool:
        """Budget, ballot type, limits, rule and project list are frozen once voting opens."""
        return now >= self.voting_open_at or self.results_published_at is not None


class RoundTheme(Base):
    """A theme (category) proposals in a round can choose."""

    __tablename__ = "round_themes"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))

    round: Mapped[BudgetRound] = relationship(back_populates="themes")


class RoundNeighbourhood(Base):
    """A part of the area with an optional sub-budget (an upper bound on what it may receive)."""

    __tablename__ = "round_neighbourhoods"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    budget_cents: Mapped[int | None] = mapped_column(BigInteger)

    round: Mapped[BudgetRound] = relationship(back_populates="neighbourhoods")
