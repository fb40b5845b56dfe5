"""The municipality's face on the site: name, logo, colours, contact details and statements."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pb.db import Base, utcnow


class MunicipalityFace(Base):
    """The one row (``id`` 1) an admin fills in; without it the site uses the configured name.

    Colours are ``#rrggbb`` and checked for contrast before they are stored; the logo is a stored
    file (``stored_files``, kind ``logo``). The statements are plain text: a blank line starts a
    paragraph, a line starting with ``## `` is a heading.
    """

    __tablename__ = "municipality_faces"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    logo_name: Mapped[str | None] = mapped_column(String(80))
    colour_primary: Mapped[str | None] = mapped_column(String(7))
    colour_on_primary: Mapped[str | None] = mapped_column(String(7))
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    opening_hours: Mapped[str] = mapped_column(Text, default="")
    accessibility_statement: Mapped[str] = mapped_column(Text, default="")
    privacy_statement: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
