"""Property tests: budget respected, determinism, greedy exhaustive, MES price condition and
agreement with a naive exact reference, max-welfare optimal and at least greedy's welfare."""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from pb.tally import RULES, Ballot, Election, Project, tally
from pb.tally.rules.equalshares import mes_selection


@st.composite
def elections(draw: st.DrawFn) -> Election:
    m = draw(st.integers(1, 6))
    costs = draw(st.lists(st.integers(0, 40), min_size=m, max_size=m))
    budget = draw(st.integers(0, 100))
    ballots = draw(st.lists(st.sets(st.integers(0, m - 1)), max_size=9))
    projects = tuple(Project(f"p{i}", c) for i, c in enumerate(costs))
    return Election(budget=budget, projects=projects,
                    ballots=tuple(Ballot(str(k), tuple(sorted(b))) for k, b in enumerate(ballots)))


def naive_mes(e: Election) -> list[int]:
    """Straightforward exact MES with cost utilities, one voter at a time (reference)."""
    n = len(e.ballots)
    if n == 0:
        return []
    money = [Fraction(e.budget, n)] * n
    sup = [[v for v, b in enumerate(e.ballots) if q in b.projects] for q in range(len(e.projects))]
    chosen = [q for q in range(len(e.projects)) if sup[q] and e.projects[q].cost == 0]
    left = {q for q in range(len(e.projects)) if sup[q] and e.projects[q].cost > 0}
    while True:
        best = None
        for q in sorted(left):
            c = e.projects[q].cost
            if sum(money[v] for v in sup[q]) < c:
                continue
            lo = sorted(sup[q], key=lambda v: money[v])
            paid, rich = Fraction(0), len(lo)
            for v in lo:
                t = (c - paid) / rich
                if t <= money[v]:
                    break
                paid += money[v]
                rich -= 1
            if best is None or t / c < best[0]:
                best = (t / c, q, t)
        if best is None:
            return chosen
        _, q, t = best
        chosen.append(q)
        left.discard(q)
        for v in sup[q]:
            money[v] -= min(money[v], t)


@settings(max_examples=150, deadline=None)
@given(elections())
def test_every_rule_respects_budget_and_is_deterministic(e: Election) -> None:
    for rule in RULES:
        first = tally(e, rule)
        assert first.spent <= e.budget
        assert first.to_json() == tally(e, rule).to_json()


@settings(max_examples=150, deadline=None)
@given(elections())
def test_greedy_is_exhaustive(e: Election) -> None:
    out = tally(e, "greedy")
    left = e.budget - out.spent
    for q, p in enumerate(e.projects):
        if q not in out.selected and e.profile.scores[q] > 0:
            assert p.cost > left


@settings(max_examples=200, deadline=None)
@given(elections())
def test_equal_shares_matches_reference_and_price_condition(e: Election) -> None:
    out = tally(e, "equalshares")
    assert sorted(out.selected) == sorted(naive_mes(e))
    exact, _, _ = mes_selection(e, add1=False, exact=True)
    assert sorted(exact.selected) == sorted(out.selected)
    for d in out.decisions:
        if d.code == "supporters-short":
            assert d.data["left"] < d.data["cost"]
    for r in out.trace["rounds"]:
        assert r["paid"] == e.projects[e.index[r["project"]]].cost
        assert r["max_payment"] == r["rho"] * e.projects[e.index[r["project"]]].cost


@settings(max_examples=150, deadline=None)
@given(elections())
def test_max_welfare_is_optimal_and_beats_greedy(e: Election) -> None:
    scores = e.profile.scores
    best = 0
    for k in range(len(e.projects) + 1):
        for combo in combinations(range(len(e.projects)), k):
            if e.cost(combo) <= e.budget:
                best = max(best, sum(scores[q] for q in combo))
    out = tally(e, "max-welfare")
    welfare = sum(scores[q] for q in out.selected)
    assert welfare == best
    assert welfare >= sum(scores[q] for q in tally(e, "greedy").selected)
