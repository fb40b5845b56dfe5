"""What became of funded projects: implementation status, cost and milestones.

An :class:`Implementation` hangs off exactly one funded item: a proposal chosen in a round
(``proposal_id``) or a granted small-grant application (``grant_application_id``).
The area and year are stored so the public "what happened with the money" page needs no join
through rounds.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pb.db import Base, str_enum, utcnow

if TYPE_CHECKING:
    from pb.models.area import Area
    from pb.models.grant import GrantApplication
    from pb.models.proposal import Proposal


class ImplementationStatus(enum.StrEnum):
    """Where a funded project is."""

    PLANNED = "planned"  # gepland
    IN_PROGRESS = "in_progress"  # in uitvoering
    DONE = "done"  # klaar
    CANCELLED = "cancelled"  # vervallen (with a reason)


class Implementation(Base):
    """The tracking of one funded project: status, budgeted (granted) and actual cost."""

    __tablename__ = "implementations"
    __table_args__ = (
        CheckConstraint("(proposal_id IS NULL) <> (grant_application_id IS NULL)", name="one_funded_item"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)  # the year the money was granted
    # The funded item: a chosen proposal (unique: one tracking per proposal).
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"), unique=True)
    # ... or a granted small-grant application (one tracking per application).
    grant_application_id: Mapped[int | None] = mapped_column(ForeignKey("grant_applications.id"), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[ImplementationStatus] = mapped_column(str_enum(ImplementationStatus, 16),
                                                         default=ImplementationStatus.PLANNED)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    budgeted_cents: Mapped[int] = mapped_column(BigInteger)
    actual_cents: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    area: Mapped[Area] = relationship()
    proposal: Mapped[Proposal | None] = relationship()
    grant_application: Mapped[GrantApplication | None] = relationship()
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="implementation", cascade="all, delete-orphan",
        order_by="(Milestone.happened_on, Milestone.id)",
    )

    @property
    def is_small_grant(self) -> bool:
        """Whether the money was a small grant (not a project chosen in a round)."""
        return self.grant_application_id is not None


class Milestone(Base):
    """A step in carrying out a project: a date, a short text, optionally a photo."""

    __tablename__ = "implementation_milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    implementation_id: Mapped[int] = mapped_column(ForeignKey("implementations.id", ondelete="CASCADE"),
                                                   index=True)
    happened_on: Mapped[dt.date]
    text: Mapped[str] = mapped_column(Text)
    photo_filename: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    implementation: Mapped[Implementation] = relationship(back_populates="milestones")
