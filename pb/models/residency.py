"""Verified residency: the fact that an account belongs to a resident of an area."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pb.db import Base, str_enum, utcnow

if TYPE_CHECKING:
    from pb.models.area import Area
    from pb.models.register import RegisterEntry
    from pb.models.user import User


class VerificationMethod(enum.StrEnum):
    """How residency was proven."""

    LETTER_CODE = "letter_code"
    IN_PERSON = "in_person"


class Residency(Base):
    """An account verified as resident of an area; only these may support and vote there."""

    __tablename__ = "residencies"
    __table_args__ = (UniqueConstraint("user_id", "area_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    method: Mapped[VerificationMethod] = mapped_column(
        str_enum(VerificationMethod, 16)
    )
    verified_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    verified_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    birth_date: Mapped[dt.date | None]
    # From the register; it wins over the declared birth date. Kept after the register is purged.
    birth_year: Mapped[int | None]
    register_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("register_entries.id", ondelete="SET NULL"), index=True
    )

    user: Mapped[User] = relationship(back_populates="residencies", foreign_keys=[user_id])
    area: Mapped[Area] = relationship()
    # Keyed hash of the normalised address (pb.services.address_keys): what the address has used
    # survives purging the register, without the address in clear.
    address_key: Mapped[str | None] = mapped_column(String(64), index=True)

    register_entry: Mapped[RegisterEntry | None] = relationship()
