"""Proposals (bewonersinitiatieven) with their cost lines, co-initiators and support."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ColumnElement,
    Float,
    ForeignKey,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import InstrumentedAttribute, Mapped, mapped_column, relationship

from pb.db import Base, str_enum, utcnow
from pb.models.cost_line import CostLineColumns

if TYPE_CHECKING:
    from pb.models.agenda import AgendaItem
    from pb.models.round import BudgetRound, RoundNeighbourhood, RoundTheme
    from pb.models.user import User


class ProposalStatus(enum.StrEnum):
    """Life cycle of a proposal. Only FEASIBLE proposals go on the ballot."""

    DRAFT = "draft"
    SUBMITTED = "submitted"  # collecting support
    NOT_ENOUGH_SUPPORT = "not_enough_support"
    IN_REVIEW = "in_review"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    WITHDRAWN = "withdrawn"
    MERGED = "merged"
    HIDDEN = "hidden"  # moderated


proposal_coinitiators = Table(
    "proposal_coinitiators",
    Base.metadata,
    Column("proposal_id", ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Proposal(Base):
    """A resident initiative in a round."""

    __tablename__ = "proposals"
    __table_args__ = (
        CheckConstraint("(latitude IS NULL AND longitude IS NULL) OR "
                        "(latitude IS NOT NULL AND longitude IS NOT NULL "
                        "AND latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180)", name="point"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    # Kept when the author deletes their account (the proposal is public record).
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(64))  # project id of an imported file
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("round_themes.id", ondelete="SET NULL"))
    neighbourhood_id: Mapped[int | None] = mapped_column(
        ForeignKey("round_neighbourhoods.id", ondelete="SET NULL")
    )
    location: Mapped[str] = mapped_column(String(200), default="")
    # A point on the map (WGS84 degrees, 6 decimals: about 10 cm), set by the author; both or neither.
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    status: Mapped[ProposalStatus] = mapped_column(
        str_enum(ProposalStatus),
        default=ProposalStatus.DRAFT,
        index=True,
    )
    # The author's estimate is the sum of the cost lines; the review may set another cost.
    estimated_cost_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    cost_cents: Mapped[int | None] = mapped_column(BigInteger)
    review_reason: Mapped[str] = mapped_column(Text, default="")
    cost_reason: Mapped[str] = mapped_column(Text, default="")
    hidden_reason: Mapped[str] = mapped_column(Text, default="")
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"))
    photo_filename: Mapped[str | None] = mapped_column(String(80))
    # What the photo shows, in the author's words (the alt text); empty: "Foto bij het plan <title>".
    photo_alt: Mapped[str] = mapped_column(String(200), default="")
    # The item of the area agenda this proposal serves, if any.
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_items.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[dt.datetime | None]

    round: Mapped[BudgetRound] = relationship(back_populates="proposals")
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    theme: Mapped[RoundTheme | None] = relationship()
    neighbourhood: Mapped[RoundNeighbourhood | None] = relationship()
    agenda_item: Mapped[AgendaItem | None] = relationship()
    cost_lines: Mapped[list[CostLine]] = relationship(
        back_populates="proposal", cascade="all, delete-orphan", order_by="CostLine.position"
    )
    coinitiators: Mapped[list[User]] = relationship(secondary=proposal_coinitiators)
    supports: Mapped[list[Support]] = relationship(back_populates="proposal", cascade="all, delete-orphan")

    @property
    def has_point(self) -> bool:
        """Whether the proposal has a point on the map."""
        return self.latitude is not None and self.longitude is not None

    @property
    def ballot_cost_cents(self) -> int:
        """The cost that counts on the ballot: the reviewed cost, else the estimate."""
        return self.cost_cents if self.cost_cents is not None else self.estimated_cost_cents


def project_order() -> tuple[ColumnElement[Any] | InstrumentedAttribute[Any], ...]:
    """THE order of a round's projects: submission time, then id (``ORDER BY`` terms).

    Used by the count (its tie-break "file order"), the round page, the published ``ballots.pb``
    and the tie-break label "Volgorde van indienen"; an imported round's proposals were
    submitted together, so they keep the file's order (their ids). A proposal never submitted
    (made by staff or a test) counts from its creation.
    """
    return (func.coalesce(Proposal.submitted_at, Proposal.created_at), Proposal.id)


class CostLine(CostLineColumns, Base):
    """One line of a proposal's cost estimate."""

    __tablename__ = "proposal_cost_lines"

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)

    proposal: Mapped[Proposal] = relationship(back_populates="cost_lines")


class Support(Base):
    """A verified resident supports a proposal (draagvlak); one per resident per proposal."""

    __tablename__ = "supports"
    __table_args__ = (UniqueConstraint("proposal_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    proposal: Mapped[Proposal] = relationship(back_populates="supports")
