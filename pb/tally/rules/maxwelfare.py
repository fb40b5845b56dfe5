"""Utilitarian optimum: the set of projects with the largest total score within the budget.

Score as for greedy (approval/choose-1: votes, cumulative: points, ordinal: Borda). Exact 0/1
knapsack by depth-first branch and bound (Horowitz-Sahni order by score per unit of cost, with the
Dantzig fractional bound), all in integers. Group caps are respected (checked on inclusion; the
bound ignores them, which keeps it valid). Projects without votes are never funded.

Deterministic tie-break among optimal sets: each project's value is ``score * 2**k`` plus a bonus
``2**(k - 1 - position)`` where position is its place in the tie-break order (k projects), so
among sets with the same total score the one containing the earliest project in tie-break order
wins, then the next, and so on. The bonuses sum to less than one unit of score, so they never
outweigh a real score difference.

Complexity: worst case O(2**k) nodes (knapsack is NP-hard), each O(k); in practice the
fractional bound prunes nearly everything (all shared pabulib files, budgets up to tens of
millions, run in milliseconds). A DP over costs would need O(k * B / g) steps (g = gcd of the
costs and the budget), which is hopeless for city budgets in whole currency units, so it is not
used.

Trace: ``{"welfare": total score, "nodes": branch-and-bound nodes visited}``.
"""

from __future__ import annotations

import sys
from fractions import Fraction
from math import gcd
from typing import Any

from pb.tally.model import Election
from pb.tally.outcome import Decision, Outcome, decide
from pb.tally.tiebreak import TieBreak


def _lcm_den(values: list[Fraction]) -> int:
    den = 1
    for v in values:
        den = den * v.denominator // gcd(den, v.denominator)
    return den


def max_welfare(election: Election, tie_break: TieBreak | None = None) -> Outcome:
    """The exact welfare-maximising set of projects within the budget (``max-welfare``).

    Args:
        election: the election to count.
        tie_break: preference among optimal sets (see module docstring); default file order.

    Returns:
        The outcome; ``trace["welfare"]`` is the optimal total score.
    """
    tie_break = tie_break or TieBreak()
    rank = tie_break.rank(election)
    scores = [Fraction(s) for s in election.profile.scores]
    costs_f = [Fraction(p.cost) for p in election.projects]
    m = len(election.projects)
    cost_den = _lcm_den(costs_f + [Fraction(election.budget)]
                        + [Fraction(c.limit) for c in election.caps])
    score_den = _lcm_den(scores)
    items = [q for q in range(m) if scores[q] > 0 and costs_f[q] <= election.budget]
    items.sort(key=lambda q: rank[q])
    k = len(items)
    value = {q: int(scores[q] * score_den) * 2**k + 2 ** (k - 1 - pos)
             for pos, q in enumerate(items)}
    cost = {q: int(costs_f[q] * cost_den) for q in items}
    caps = election.caps
    cap_of = {q: election.caps_for(q) for q in items}
    cap_left = [int(Fraction(c.limit) * cost_den) for c in caps]
    free = [q for q in items if cost[q] == 0]
    chosen: list[int] = []
    base = 0
    for q in free:
        chosen.append(q)
        base += value[q]
    order = sorted((q for q in items if cost[q] > 0),
                   key=lambda q: (Fraction(-value[q], cost[q]), rank[q]))
    vals = [value[q] for q in order]
    wts = [cost[q] for q in order]
    n = len(order)
    best_value = base
    best_set: list[int] = []
    current: list[int] = []
    nodes = 0

    def search(i: int, room: int, val: int) -> None:
        nonlocal best_value, best_set, nodes
        nodes += 1
        if val > best_value:
            best_value, best_set = val, list(current)
        if i == n:
            return
        # Dantzig bound: fill greedily by ratio, then a fraction of the first that doesn't fit.
        ub, r, j = val, room, i
        while j < n and wts[j] <= r:
            ub += vals[j]
            r -= wts[j]
            j += 1
        if j < n:
            if ub * wts[j] + vals[j] * r <= best_value * wts[j]:
                return
        elif ub <= best_value:
            return
        q = order[i]
        if wts[i] <= room and all(wts[i] <= cap_left[c] for c in cap_of[q]):
            current.append(q)
            for c in cap_of[q]:
                cap_left[c] -= wts[i]
            search(i + 1, room - wts[i], val + vals[i])
            for c in cap_of[q]:
                cap_left[c] += wts[i]
            current.pop()
        search(i + 1, room, val)

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 4 * n + 100))
    try:
        search(0, int(Fraction(election.budget) * cost_den), base)
    finally:
        sys.setrecursionlimit(limit)
    selected = sorted(chosen + best_set)
    welfare = sum((scores[q] for q in selected), Fraction(0))
    welfare_out = welfare.numerator if welfare.denominator == 1 else welfare
    decisions: list[Decision] = []
    for q in range(m):
        if q in selected:
            decisions.append(decide(election, q, True, "optimal-funded", welfare=welfare_out))
        elif scores[q] <= 0:
            decisions.append(decide(election, q, False, "no-votes", score=0))
        else:
            decisions.append(decide(election, q, False, "not-optimal", welfare=welfare_out))
    trace: dict[str, Any] = {"welfare": welfare_out, "nodes": nodes}
    return Outcome(election, "max-welfare", tuple(selected), tie_break, tuple(decisions), trace)
