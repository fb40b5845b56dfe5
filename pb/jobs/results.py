"""Result jobs: publish, correct, and the manager's private preview of a closed round.

A large round takes seconds to count (130,000 ballots), so none of this runs in a request.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from pb.db import require_row, utcnow
from pb.models.round import BudgetRound
from pb.services import counting, jobs, money
from pb.services import results as result_service

PUBLISH = "results.publish"
CORRECT = "results.correct"
PREVIEW = "results.preview"
STEPS = 3  # read the ballots, count, store


def subject(round_: BudgetRound) -> str:
    """The subject of a round's result jobs."""
    return f"round:{round_.id}"


def _round(session: Session, payload: dict[str, Any]) -> BudgetRound:
    return require_row(session, BudgetRound, int(payload["round_id"]), "round")


@jobs.job(PUBLISH)
def publish(ctx: jobs.JobContext) -> dict[str, Any]:
    """Count a closed round with its frozen rule and publish version 1."""
    round_ = _round(ctx.session, ctx.payload)
    ctx.progress(0, STEPS)
    result = result_service.publish_results(ctx.session, round_, actor=ctx.owner,
                                      before_counting=lambda: ctx.progress(1, STEPS))
    ctx.progress(2, STEPS)
    return {"round_id": round_.id, "version": result.version, "ballots": result.ballots_total}


@jobs.job(CORRECT)
def correct(ctx: jobs.JobContext) -> dict[str, Any]:
    """Count again and publish the next version with the reason given."""
    round_ = _round(ctx.session, ctx.payload)
    ctx.progress(0, STEPS)
    result = result_service.correct_results(ctx.session, round_, actor=ctx.owner, reason=ctx.payload["reason"],
                                      before_counting=lambda: ctx.progress(1, STEPS))
    ctx.progress(2, STEPS)
    return {"round_id": round_.id, "version": result.version, "ballots": result.ballots_total}


@jobs.job(PREVIEW)
def preview(ctx: jobs.JobContext) -> dict[str, Any]:
    """Count privately with the round's rule and every comparison rule; store nothing else.

    The job's result holds what the manager's results page shows (titles, scores, decisions):
    the page reads it instead of counting on every request.
    """
    session = ctx.session
    round_ = _round(session, ctx.payload)
    ctx.progress(0, STEPS)
    count = counting.count_round(session, round_, seal=False,
                                 before_counting=lambda: ctx.progress(1, STEPS))
    ctx.progress(2, STEPS)
    what_if = counting.what_if(count)
    scores = count.election.profile.scores
    rows = []
    for i, proposal in enumerate(count.proposals):
        decision = count.outcome.decision(counting.pb_project_id(proposal))
        rows.append({"title": proposal.title, "cost_cents": proposal.ballot_cost_cents, "score": str(scores[i]),
                     "selected": decision.selected, "reason": decision.reason_nl})
    return {
        "round_id": round_.id, "counted_at": utcnow().isoformat(), "rule": count.outcome.rule,
        "ballots": count.ballots_total, "online": count.online, "paper": count.paper,
        "spent_cents": money.cents(count.outcome.spent),
        "rows": rows,
        "what_if": {"rules": list(what_if.rules), "spent_cents": [money.cents(s) for s in what_if.spent],
                    "rows": [{"title": p.title, "marks": list(marks)} for p, marks in what_if.rows]},
    }
