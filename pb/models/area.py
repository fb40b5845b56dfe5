"""Areas (buurt, wijk, dorp) with their postcodes and managers."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pb.db import Base, utcnow

if TYPE_CHECKING:
    from pb.models.user import User

# The people who work for an area: its managers and its information-point staff (User.role says which).
area_managers = Table(
    "area_managers",
    Base.metadata,
    Column("area_id", ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Area(Base):
    """A neighbourhood, village or district with a budget of its own."""

    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    postcodes: Mapped[list[AreaPostcode]] = relationship(
        back_populates="area", cascade="all, delete-orphan", order_by="AreaPostcode.postcode"
    )
    managers: Mapped[list[User]] = relationship(
        secondary=area_managers, back_populates="managed_areas", order_by="User.name"
    )

    def __repr__(self) -> str:
        return f"<Area {self.slug}>"


class AreaPostcode(Base):
    """A postcode (``7071`` or ``7071AB``) that lies in an area; each belongs to one area."""

    __tablename__ = "area_postcodes"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    postcode: Mapped[str] = mapped_column(String(6), unique=True)

    area: Mapped[Area] = relationship(back_populates="postcodes")
