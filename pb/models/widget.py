"""Origins (scheme, host, port) of websites allowed to show our widgets in an iframe."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from pb.db import Base, utcnow


class WidgetOrigin(Base):
    """One allow-listed origin, e.g. ``https://www.oude-ijsselstreek.nl``; it goes into the
    widget pages' CSP ``frame-ancestors`` as written here (normalised, no path)."""

    __tablename__ = "widget_origins"

    id: Mapped[int] = mapped_column(primary_key=True)
    origin: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
