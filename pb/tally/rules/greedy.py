"""Greedy by score (pabulib ``greedy``), and the shared engine of its variants.

Projects are taken by score, highest first (approval, choose-1: number of ballots; cumulative:
points; ordinal: Borda), equal scores in tie-break order. Each project that fits in the remaining
budget and under every cap of its group (neighbourhood, category) is funded; the others are
skipped and the count goes on. Projects without a single vote are never funded.

Trace: ``{"steps": [{"project", "score", "cost", "remaining_before", "decision"}, ...]}`` with one
step per project in the order they were considered (decisions: funded, no-fit, cap, not-reached,
below-threshold, withdrawn, no-votes).

Complexity: O(m log m) after the profile is built (m projects).
"""

from __future__ import annotations

from typing import Any

from pb.tally.model import Election
from pb.tally.numbers import Number
from pb.tally.outcome import Decision, Outcome, decide
from pb.tally.tiebreak import TieBreak


def greedy_order(election: Election, tie_break: TieBreak) -> list[int]:
    """Project indices by score (highest first), ties in tie-break order."""
    rank = tie_break.rank(election)
    scores = election.profile.scores
    return sorted(range(len(election.projects)), key=lambda i: (-scores[i], rank[i]))


def run_greedy(election: Election, tie_break: TieBreak, *, rule: str, skip: bool = True,
               threshold: Number | None = None) -> Outcome:
    """Run greedy with the given variant switches (see the rule modules)."""
    scores = election.profile.scores
    remaining: Number = election.budget
    cap_left: list[Number] = [cap.limit for cap in election.caps]
    decisions: list[Decision | None] = [None] * len(election.projects)
    selected: list[int] = []
    steps: list[dict[str, Any]] = []
    stopped = False
    for i in greedy_order(election, tie_break):
        project = election.projects[i]
        score = scores[i]
        before = remaining
        if threshold is not None and score < threshold:
            decisions[i] = decide(election, i, False, "below-threshold", score=score,
                                  threshold=threshold)
        elif score <= 0:
            decisions[i] = decide(election, i, False, "no-votes", score=score)
        elif not skip and project.withdrawn:
            decisions[i] = decide(election, i, False, "withdrawn")
        elif stopped:
            decisions[i] = decide(election, i, False, "not-reached", score=score)
        elif project.cost > remaining:
            decisions[i] = decide(election, i, False, "no-fit", score=score, remaining=remaining)
            stopped = not skip
        else:
            blocking = [k for k in election.caps_for(i) if project.cost > cap_left[k]]
            if blocking:
                cap = election.caps[blocking[0]]
                decisions[i] = decide(election, i, False, "cap", score=score, group=cap.group,
                                      limit=cap.limit, cap_left=cap_left[blocking[0]])
            else:
                remaining -= project.cost
                for k in election.caps_for(i):
                    cap_left[k] -= project.cost
                selected.append(i)
                decisions[i] = decide(election, i, True, "funded", score=score, remaining=before)
        steps.append({"project": project.id, "score": score, "cost": project.cost,
                      "remaining_before": before, "decision": decisions[i].code})  # type: ignore[union-attr]
    return Outcome(election, rule, tuple(selected), tie_break,
                   tuple(d for d in decisions if d is not None), {"steps": steps})


def greedy(election: Election, tie_break: TieBreak | None = None) -> Outcome:
    """Greedy by score, skipping projects that do not fit (pabulib ``greedy``).

    Args:
        election: the election to count.
        tie_break: order among equal scores; default the order of the PROJECTS rows.

    Returns:
        The outcome with one step per project in the trace (see module docstring).
    """
    return run_greedy(election, tie_break or TieBreak(), rule="greedy", skip=True,
                      threshold=election.min_project_score_threshold)
