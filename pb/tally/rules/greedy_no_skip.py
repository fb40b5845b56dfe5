"""Greedy that stops at the first project that does not fit (pabulib ``greedy-no-skip``).

Same order as :mod:`pb.tally.rules.greedy`. A project with pabulib's placeholder cost 999999999
(withdrawn) is passed over without stopping; a project blocked only by a group cap is skipped
without stopping (the overall budget still had room). Trace as for greedy.
"""

from __future__ import annotations

from pb.tally.model import Election
from pb.tally.outcome import Outcome
from pb.tally.rules.greedy import run_greedy
from pb.tally.tiebreak import TieBreak


def greedy_no_skip(election: Election, tie_break: TieBreak | None = None) -> Outcome:
    """Greedy by score that stops at the first project that does not fit.

    Args:
        election: the election to count.
        tie_break: order among equal scores; default the order of the PROJECTS rows.

    Returns:
        The outcome; projects after the stop get the code ``not-reached``.
    """
    return run_greedy(election, tie_break or TieBreak(), rule="greedy-no-skip", skip=False,
                      threshold=election.min_project_score_threshold)
