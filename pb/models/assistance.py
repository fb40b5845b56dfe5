"""Assisted participation: information-point staff filed a proposal or a support for a resident."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from pb.db import Base, str_enum, utcnow


class AssistKind(enum.StrEnum):
    """What the staff member filed for the resident."""

    PROPOSAL = "proposal"
    SUPPORT = "support"


class Assistance(Base):
    """One assisted filing with the resident's consent: who helped whom, with what, and when.

    The public history only says that the information point helped; this row (and the audit
    entry's actor) keep who it was.
    """

    __tablename__ = "assistances"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[AssistKind] = mapped_column(str_enum(AssistKind, 16))
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    # Kept (as NULL) when an account is deleted: the proposal and its history stay public record.
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # The staff member ticked that the resident agreed, at this moment.
    consent_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
