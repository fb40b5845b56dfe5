"""Utilitarian optimum: the set of projects with the largest total score within the budget.

Score as for greedy (approval/choose-1: votes, cumulative: points, ordinal: Borda). Exact 0/1
knapsack by depth-first branch and bound (Horowitz-Sahni order by score per unit of cost), all in
integers. Group caps are respected (checked on inclusion) and, where possible, also in the bound.
Projects without votes are never funded.

Bound with group caps: the LP relaxation of "maximise sum v_j x_j subject to the remaining budget,
the remaining caps of a family of *disjoint* groups and 0 <= x_j <= 1", written in money
y_j = c_j x_j, maximises a linear function with non-negative weights v_j / c_j over a polymatroid
(the constraints form a laminar family: single projects, disjoint groups, everything). On a
polymatroid the greedy algorithm is optimal, so filling by score per unit of cost, giving each
project ``min(its cost, budget left, its group's cap left)``, is the exact LP optimum and thus an
upper bound of every integer completion. Caps that are not used in the bound (overlapping groups)
only make it larger, so it stays valid. Each fractional part is rounded up to an integer, which
keeps the bound valid and the arithmetic integral. Without caps this is Dantzig's bound. A subtree
is pruned when its bound is not larger than the best value found (values are integers).

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


def _solve(order: list[int], value: dict[int, int], cost: dict[int, int],
           cap_of: dict[int, tuple[int, ...]], cap_left: list[int], bound_caps: list[int],
           room: int) -> tuple[int, list[int], int]:
    """Branch and bound over ``order`` (sorted by value per cost): (best value, set, nodes)."""
    vals = [value[q] for q in order]
    wts = [cost[q] for q in order]
    n = len(order)
    best_value = 0
    best_set: list[int] = []
    current: list[int] = []
    nodes = 0

    group_of = [next((c for c in bound_caps if c in cap_of[q]), -1) for q in order]

    def bound(i: int, room: int, val: int) -> int:
        """Greedy LP bound of the subtree (see module docstring), fractions rounded up."""
        ub, r = val, room
        left = {c: cap_left[c] for c in bound_caps}
        for j in range(i, n):
            if r <= 0:
                break
            w = wts[j]
            g = group_of[j]
            take = w if w <= r else r
            if g >= 0:
                if left[g] < take:
                    take = left[g]
                if take <= 0:
                    continue
                left[g] -= take
            if take == w:
                ub += vals[j]
            else:
                ub += -(-vals[j] * take // w)
            r -= take
        return ub

    def search(i: int, room: int, val: int) -> None:
        nonlocal best_value, best_set, nodes
        nodes += 1
        if val > best_value:
            best_value, best_set = val, list(current)
        if i == n:
            return
        if bound(i, room, val) <= best_value:
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
        search(0, room, 0)
    finally:
        sys.setrecursionlimit(limit)
    return best_value, best_set, nodes


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
    # Disjoint caps used in the bound: each project in at most one of them.
    bound_caps: list[int] = []
    members: set[int] = set()
    for c in sorted(range(len(caps)), key=lambda c: caps[c].kind != "neighbourhood"):
        group = {q for q in order if c in cap_of[q]}
        if not group & members:
            bound_caps.append(c)
            members |= group
    room0 = int(Fraction(election.budget) * cost_den)
    groups: dict[int, list[int]] = {}
    for q in order:
        g = next((c for c in bound_caps if c in cap_of[q]), -1)
        groups.setdefault(g, []).append(q)
    # Decomposition: when every cap is disjoint from the others and the budget cannot bind
    # (what the groups can spend within their caps, plus every project outside a group, fits),
    # the optimum is the union of each group's optimum within its cap. The values (score plus
    # tie-break bonus) add up, so the preferred optimum is also the union of the preferred ones.
    reach = sum(min(cap_left[g], sum(cost[q] for q in qs)) if g >= 0
                else sum(cost[q] for q in qs) for g, qs in groups.items())
    if len(bound_caps) == len(caps) and caps and reach <= room0:
        parts = [(qs, min(room0, cap_left[g]) if g >= 0 else room0) for g, qs in groups.items()]
    else:
        parts = [(order, room0)]
    best_set: list[int] = []
    best_value = base
    nodes = 0
    for part, room in parts:
        v, chosen_part, visited = _solve(part, value, cost, cap_of, cap_left, bound_caps, room)
        best_set += chosen_part
        best_value += v
        nodes += visited
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
