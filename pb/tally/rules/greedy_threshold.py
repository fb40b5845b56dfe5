"""Greedy restricted to projects that reach a minimum score (pabulib ``greedy-threshold``).

Projects with a score below META ``min_project_score_threshold`` get the code
``below-threshold``; the others are counted as by :mod:`pb.tally.rules.greedy`.
"""

from __future__ import annotations

from pb.tally.model import Election
from pb.tally.numbers import Number
from pb.tally.outcome import Outcome
from pb.tally.rules.greedy import run_greedy
from pb.tally.tiebreak import TieBreak


def greedy_threshold(election: Election, tie_break: TieBreak | None = None, *,
                     threshold: Number | None = None) -> Outcome:
    """Greedy by score over the projects whose score reaches the threshold.

    Args:
        election: the election to count.
        tie_break: order among equal scores; default the order of the PROJECTS rows.
        threshold: minimum score; default META ``min_project_score_threshold`` (0 when absent).

    Returns:
        The outcome, as for greedy.
    """
    if threshold is None:
        threshold = election.min_project_score_threshold or 0
    return run_greedy(election, tie_break or TieBreak(), rule="greedy-threshold", skip=True,
                      threshold=threshold)
