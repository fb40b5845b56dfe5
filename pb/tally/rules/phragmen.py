"""Sequential Phragmén for approval ballots (pabulib/pabutools ``phragmen``).

Every voter carries a load, starting at 0. A project q with cost c and s supporters can be bought
at time ``(c + total load of its supporters) / s``; in each round the project with the earliest
time is bought (equal times: tie-break order) and each of its supporters' load becomes that time.
The rule stops as soon as the earliest project does not fit in the remaining budget (as
pabutools does); with ``skip=True`` it drops that project and goes on instead. Projects without
supporters are never bought. Non-approval ballots count as approval of the projects they name.
Projects that would exceed a group cap are dropped.

Exactness and speed: voters whose last bought project is the same have the same load, so loads
are kept per such class (at most rounds + 1 classes) as integers over a common denominator. A
NumPy matrix (class x project, int64 weights) says how many supporters of each project sit in
each class; buying a project moves its supporters' rows with one grouped sum (no Python loop
over ballots). Times are exact fractions.

Trace: ``{"rounds": [{"round", "project", "time", "supporters"}], "stop": {"project", "time"}}``.
Complexity: O(rounds * (m * classes + size of the merged ballots of the bought project)).
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd
from typing import Any

import numpy as np

from pb.tally.model import Election
from pb.tally.numbers import Number
from pb.tally.outcome import Decision, Outcome, decide
from pb.tally.rules.blas import one_blas_thread
from pb.tally.tiebreak import TieBreak


@one_blas_thread
def phragmen(election: Election, tie_break: TieBreak | None = None, *,
             skip: bool = False) -> Outcome:
    """Sequential Phragmén for approval ballots.

    Args:
        election: the election to count.
        tie_break: order among projects with exactly the same time; default file order.
        skip: drop a project that does not fit and continue, instead of stopping.

    Returns:
        The outcome with one trace entry per round.
    """
    tie_break = tie_break or TieBreak()
    rank = tie_break.rank(election)
    profile = election.profile
    m = len(election.projects)
    costs = [p.cost for p in election.projects]
    den = 1
    for c in costs:
        den = den * Fraction(c).denominator // gcd(den, Fraction(c).denominator)
    icost = [int(c * den) for c in costs]
    ballots = profile.ballots
    if profile.points is not None:
        ballots = tuple(tuple(i for i, x in zip(b, pts) if x > 0)
                        for b, pts in zip(ballots, profile.points))
    weights = np.asarray(profile.weights, dtype=np.int64)
    d_count = len(ballots)
    # inc[d, q] = weight of merged ballot d if it approves q; cnt[c, q] = weight of q's
    # supporters in load class c (row 0: nothing bought yet, row r + 1: last bought r).
    inc = np.zeros((d_count, m), dtype=np.int64)
    rows = [d for d, ballot in enumerate(ballots) for _ in ballot]
    cols = [q for ballot in ballots for q in ballot]
    if rows:
        inc[np.asarray(rows), np.asarray(cols)] = 1
    inc *= weights[:, None]
    ballots_of = [np.flatnonzero(inc[:, q]) for q in range(m)]
    cnt = np.zeros((m + 1, m), dtype=np.int64)
    cnt[0] = inc.sum(axis=0) if d_count else 0
    support = [int(x) for x in cnt[0]]
    class_of = np.zeros(d_count, dtype=np.int64)
    load: list[int] = [0] * (m + 1)  # class -> load numerator over ``lden`` (money units * den)
    lden = 1
    remaining = {q for q in range(m) if support[q] > 0}
    left: Number = election.budget
    cap_left = [c.limit for c in election.caps]
    selected: list[int] = []
    decisions: dict[int, Decision] = {}
    rounds: list[dict[str, Any]] = []
    trace: dict[str, Any] = {"rounds": rounds}
    load_f = np.zeros(m + 1, dtype=np.float64)  # the loads as floats (load / lden)
    icost_f = np.asarray([float(c) for c in icost], dtype=np.float64)
    support_f = np.asarray([max(x, 1) for x in support], dtype=np.float64)
    order = np.asarray(rank, dtype=np.int64)
    while remaining:
        live = [0] + [r + 1 for r in selected]
        # Floats pick the candidates: every term is non-negative, so each time is off by a
        # relative (classes + 2) * 2**-53 at most, far below the 1e-9 margin; the candidates'
        # times are then computed exactly.
        times_f = (load_f[live] @ cnt[live] + icost_f) / support_f
        rem = np.fromiter(remaining, dtype=np.int64, count=len(remaining))
        best = float(times_f[rem].min())
        near = rem[times_f[rem] <= best * (1 + 1e-9)]
        near = near[np.argsort(order[near], kind="stable")].tolist()
        times = {}
        for x in near:
            column = cnt[live, x].tolist()
            times[x] = Fraction(sum(w * load[c] for w, c in zip(column, live) if w)
                                + icost[x] * lden, support[x] * lden * den)
        q = min(near, key=lambda x: times[x])  # equal times: the first in tie-break order
        cost = costs[q]
        blocking = [k for k in election.caps_for(q) if cost > cap_left[k]]
        if cost > left or blocking:
            remaining.discard(q)
            if blocking:
                cap = election.caps[blocking[0]]
                decisions[q] = decide(election, q, False, "cap", group=cap.group,
                                      limit=cap.limit, cap_left=cap_left[blocking[0]])
            else:
                decisions[q] = decide(election, q, False, "phragmen-no-fit", remaining=left)
            if not skip and not blocking:
                trace["stop"] = {"project": election.projects[q].id, "time": times[q]}
                break
            continue
        time = times[q]
        remaining.discard(q)
        selected.append(q)
        left -= cost
        for k in election.caps_for(q):
            cap_left[k] -= cost
        rounds.append({"round": len(rounds) + 1, "project": election.projects[q].id,
                       "time": time, "supporters": support[q]})
        decisions[q] = decide(election, q, True, "phragmen-funded", round=len(rounds),
                              supporters=support[q])
        # New common denominator for loads: lcm(lden, denominator of time * den).
        t = time * den
        new_lden = lden * t.denominator // gcd(lden, t.denominator)
        factor = new_lden // lden
        load = [x * factor for x in load]
        load[q + 1] = t.numerator * (new_lden // t.denominator)
        load_f[q + 1] = float(t)
        lden = new_lden
        ds = ballots_of[q]
        old = class_of[ds]
        sort = np.argsort(old, kind="stable")
        ds, old = ds[sort], old[sort]
        starts = np.flatnonzero(np.r_[True, old[1:] != old[:-1]])
        moved = inc[ds]
        cnt[old[starts]] -= np.add.reduceat(moved, starts, axis=0)
        cnt[q + 1] += moved.sum(axis=0)
        class_of[ds] = q + 1
    for q in range(m):
        if q not in decisions:
            if support[q] == 0:
                decisions[q] = decide(election, q, False, "no-votes", score=0)
            else:
                decisions[q] = decide(election, q, False, "not-reached", score=support[q])
    return Outcome(election, "phragmen", tuple(selected), tie_break,
                   tuple(decisions[q] for q in range(m)), trace)
