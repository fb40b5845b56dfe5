"""Equal Shares and its Add1 completion as the definition reads: the reference implementation.

Exact arithmetic only (int, Fraction), no optimisation; slow on city elections, meant to be
audited. The fast implementation (:mod:`pb.tally.rules.equalshares.fast`) is tested against it
(``tests/unit/tally/test_tally_equalshares_reference.py``); ``python -m pb.tally --reference``
counts with it. Identical ballots are counted once with their number of voters: such voters
hold the same money at every moment. A voter supports every project on the ballot (any rank,
positive points) and values it at its cost ("cost utilities").
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from pb.tally.model import Election
from pb.tally.numbers import Number
from pb.tally.tiebreak import TieBreak


@dataclass
class Count:
    """Projects bought in order, each round's (project, price per utility), the Add1 summary."""

    selected: list[int]
    rounds: list[tuple[int, Fraction]]
    add1: dict[str, Any] | None = None


def run(election: Election, share: Number, rank: list[int], use_caps: bool = True) -> Count:
    """One run of Equal Shares in which every voter starts with ``share``."""
    profile, costs = election.profile, [p.cost for p in election.projects]
    points = profile.points or [[1] * len(b) for b in profile.ballots]
    backers: list[list[tuple[int, int]]] = [[] for _ in costs]  # (ballot, its voters)
    for d, (ballot, pts) in enumerate(zip(profile.ballots, points)):
        for q in {q for q, x in zip(ballot, pts) if x > 0}:
            backers[q].append((d, profile.weights[d]))
    money = [Fraction(share)] * len(profile.ballots)
    cap_left = [cap.limit for cap in election.caps] if use_caps else []
    caps_of = [election.caps_for(q) if use_caps else () for q in range(len(costs))]
    count = Count([q for q, c in enumerate(costs) if backers[q] and c == 0], [])
    while True:  # each round buys the affordable project with the lowest price per utility
        offers = [(rho, rank[q], q) for q, c in enumerate(costs)
                  if q not in count.selected and backers[q]
                  and all(c <= cap_left[k] for k in caps_of[q])
                  and (rho := price(c, backers[q], money)) is not None]
        if not offers:
            return count
        rho, _, q = min(offers)
        count.selected.append(q)
        count.rounds.append((q, rho))
        for k in caps_of[q]:
            cap_left[k] -= costs[q]
        for d, _ in backers[q]:
            money[d] -= min(money[d], rho * costs[q])


def price(cost: Number, backers: list[tuple[int, int]], money: list[Fraction]) -> Fraction | None:
    """The least rho at which each backer paying min(own money, rho * cost) covers ``cost``.

    None when the backers together have less than ``cost``.
    """
    if sum(w * money[d] for d, w in backers) < cost:
        return None
    paid, rich = Fraction(0), sum(w for _, w in backers)
    for d, w in sorted(backers, key=lambda b: money[b[0]]):  # poorest first
        if cost - paid <= rich * money[d]:  # the rest can share what is left equally
            return (cost - paid) / rich / cost
        paid, rich = paid + w * money[d], rich - w
    raise AssertionError("unreachable: the backers can afford the cost")


def exhaustive(election: Election, selected: list[int], use_caps: bool = True) -> bool:
    """No unselected project with backers and a positive cost fits the budget and its caps."""
    spent = election.cost(selected)
    caps = election.caps if use_caps else ()
    used = [election.cost([q for q in selected if k in election.caps_for(q)])
            for k in range(len(caps))]
    return all(q in selected or spent + p.cost > election.budget
               or any(used[k] + p.cost > caps[k].limit for k in range(len(caps))
                      if k in election.caps_for(q))
               for q, p in enumerate(election.projects)
               if election.profile.supporters[q] > 0 and p.cost > 0)


def equal_shares(election: Election, tie_break: TieBreak | None = None, *, add1: bool = True,
                 fill: bool = False, use_caps: bool = True) -> Count:
    """Equal Shares from the share B/n; with ``add1`` raise every share by 1 and rerun until a run
    costs more than B (keep the previous one) or is exhaustive; with ``fill`` then buy by score
    every project that still fits (``equalshares/add1+greedy``)."""
    rank = (tie_break or TieBreak()).rank(election)
    start = Fraction(election.budget) / max(election.profile.n_voters, 1)
    count, step = run(election, start, rank, use_caps), 0
    if add1:
        # The fast engine's safety stop: past this share one backer alone can pay any project.
        last_step = int(max((p.cost for p in election.projects), default=0) // 1) + 2
        previous = count
        while True:
            if election.cost(count.selected) > election.budget:
                count, stop, final = previous, "over-budget", step - 1
            elif exhaustive(election, count.selected, use_caps):
                stop, final = "exhaustive", step
            elif step >= last_step:
                stop, final = "bound", step
            else:
                previous, step = count, step + 1
                count = run(election, start + step, rank, use_caps)
                continue
            count.add1 = {"iterations": step, "share_start": start,
                          "share_final": start + final, "stop": stop}
            break
    if fill:
        scores, caps = election.profile.scores, election.caps if use_caps else ()
        for q in sorted(range(len(election.projects)), key=lambda q: (-scores[q], rank[q])):
            cost, chosen = election.projects[q].cost, count.selected
            if (q not in chosen and scores[q] > 0
                    and election.cost(chosen) + cost <= election.budget
                    and all(election.cost([i for i in chosen if k in election.caps_for(i)])
                            + cost <= caps[k].limit for k in range(len(caps))
                            if k in election.caps_for(q))):
                chosen.append(q)
    return count
