"""Message jobs: the daily reminder to residents who may vote and have not voted yet.

The worker enqueues :data:`REMIND_VOTERS` once a day (``pb.worker``); ``pb remind-voters`` runs the
same job from cron or by hand. Each resident gets one reminder per round, however often it runs.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from pb.services import jobs, notifications

REMIND_VOTERS = "notifications.remind_voters"
SUBJECT = "reminders"


@jobs.job(REMIND_VOTERS)
def remind_voters(ctx: jobs.JobContext) -> dict[str, Any]:
    """Remind the residents who may vote and have not, in rounds whose voting closes within ``days``."""
    days = int(ctx.payload.get("days") or current_app.config["REMIND_VOTERS_DAYS"])
    return {"days": days, "sent": notifications.remind_non_voters(ctx.session, days=days)}
