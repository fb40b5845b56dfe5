"""The clock: the municipality's time zone and its local calendar day."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from pb.db import utcnow

LOCAL_TZ = ZoneInfo("Europe/Amsterdam")


def local_today(now: dt.datetime | None = None) -> dt.date:
    """The calendar day in Europe/Amsterdam at ``now`` (server time when omitted)."""
    return (now or utcnow()).astimezone(LOCAL_TZ).date()
