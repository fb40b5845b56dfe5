"""Property tests: budget respected, determinism, greedy exhaustive, MES price condition and
agreement with a naive exact reference, max-welfare optimal and at least greedy's welfare."""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from pb.tally import RULES, Ballot, Election, Project, tally
from pb.tally.model import Cap
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


@st.composite
def capped_elections(draw: st.DrawFn) -> Election:
    """Elections with neighbourhood caps (disjoint) and sometimes an overlapping category cap."""
    m = draw(st.integers(1, 8))
    costs = draw(st.lists(st.integers(0, 40), min_size=m, max_size=m))
    hoods = draw(st.lists(st.sampled_from(["", "N", "S"]), min_size=m, max_size=m))
    cats = draw(st.lists(st.sampled_from(["", "green", "green,youth"]), min_size=m, max_size=m))
    budget = draw(st.integers(0, 120))
    caps = [Cap("neighbourhood", h, draw(st.integers(0, 80))) for h in ("N", "S")
            if draw(st.booleans())]
    if draw(st.booleans()):
        caps.append(Cap("category", "green", draw(st.integers(0, 80))))
    ballots = draw(st.lists(st.sets(st.integers(0, m - 1)), max_size=9))
    projects = tuple(Project(f"p{i}", c, neighbourhood=h, category=g)
                     for i, (c, h, g) in enumerate(zip(costs, hoods, cats)))
    return Election(budget=budget, projects=projects, caps=tuple(caps),
                    ballots=tuple(Ballot(str(k), tuple(sorted(b))) for k, b in enumerate(ballots)))


@settings(max_examples=300, deadline=None)
@given(capped_elections())
def test_max_welfare_with_caps_is_the_preferred_optimum(e: Election) -> None:
    """Brute force over all feasible sets: highest score, then the tie-break preference."""
    scores = e.profile.scores
    m = len(e.projects)
    best: tuple[int, tuple[bool, ...]] | None = None
    for k in range(m + 1):
        for combo in combinations(range(m), k):
            if any(scores[q] <= 0 for q in combo) or e.cost(combo) > e.budget:
                continue
            if any(e.cost([q for q in combo if c in e.caps_for(q)]) > cap.limit
                   for c, cap in enumerate(e.caps)):
                continue
            key = (sum(scores[q] for q in combo), tuple(q in combo for q in range(m)))
            if best is None or key > best:
                best = key
    assert best is not None
    out = tally(e, "max-welfare")
    assert sorted(out.selected) == [q for q in range(m) if best[1][q]]


def _run_summary(run: object) -> tuple[object, ...]:
    rounds = [(r["project"], r["rho"], r["paid"], r["max_payment"]) for r in run.rounds]
    return (run.selected, rounds, run.left, run.capped)


@settings(max_examples=300, deadline=None)
@given(capped_elections(), st.integers(0, 30))
def test_equal_shares_ballot_run_matches_class_run(e: Election, extra: int) -> None:
    """The per-ballot run (default) equals the exact per-class run, trace included."""
    from pb.tally.rules.equalshares.fast import _mes_run, _mes_run_ballots, _prepare
    from pb.tally.tiebreak import TieBreak

    prep = _prepare(e, TieBreak(), True)
    share = Fraction(e.budget, prep.n) + extra
    fast = _mes_run_ballots(prep, share, trace=True)
    slow = _mes_run(prep, share, trace=True)
    assert _run_summary(fast) == _run_summary(slow)
    assert _mes_run_ballots(prep, share).selected == slow.selected


def naive_phragmen(e: Election) -> list[int]:
    """Sequential Phragmén, one voter at a time with Fraction loads (reference)."""
    load = [Fraction(0)] * len(e.ballots)
    sup = [[v for v, b in enumerate(e.ballots) if q in b.projects] for q in range(len(e.projects))]
    left = {q for q in range(len(e.projects)) if sup[q]}
    spent, chosen = 0, []
    while left:
        times = {q: (e.projects[q].cost + sum(load[v] for v in sup[q])) / len(sup[q])
                 for q in left}
        q = min(sorted(left), key=lambda x: times[x])
        if spent + e.projects[q].cost > e.budget:
            return chosen
        chosen.append(q)
        spent += e.projects[q].cost
        left.discard(q)
        for v in sup[q]:
            load[v] = times[q]
    return chosen


@settings(max_examples=200, deadline=None)
@given(elections())
def test_phragmen_matches_reference(e: Election) -> None:
    out = tally(e, "phragmen")
    assert [e.index[r["project"]] for r in out.trace["rounds"]] == naive_phragmen(e)


@st.composite
def fine_grained_elections(draw: st.DrawFn) -> Election:
    """Capped elections with costs and budget in large units: Add1 takes hundreds of steps."""
    e = draw(capped_elections())
    factor = draw(st.sampled_from([37, 100, 1000]))
    projects = tuple(Project(p.id, p.cost * factor, neighbourhood=p.neighbourhood,
                             category=p.category) for p in e.projects)
    caps = tuple(Cap(c.kind, c.group, c.limit * factor) for c in e.caps)
    return Election(budget=e.budget * factor, projects=projects, caps=caps, ballots=e.ballots)


@settings(max_examples=350, deadline=None)
@given(st.one_of(capped_elections(), fine_grained_elections()))
def test_equal_shares_add1_fast_equals_exact(e: Election) -> None:
    """The whole Add1 loop gives the same outcome with the per-ballot and the exact run.

    The exact loop goes step by step; the default one skips steps it proves to repeat the
    outcome, which the elections in large cost units (hundreds of steps) exercise.
    """
    fast, fast_summary, _ = mes_selection(e, add1=True)
    slow, slow_summary, _ = mes_selection(e, add1=True, exact=True)
    assert fast.selected == slow.selected
    assert fast_summary == slow_summary


@settings(max_examples=200, deadline=None)
@given(fine_grained_elections(), st.integers(0, 400), st.integers(2, 400),
       st.lists(st.fractions(0, 1), min_size=1, max_size=4))
def test_guided_run_proves_every_share_in_between(e: Election, low: int, width: int,
                                                  inside: list[Fraction]) -> None:
    """A guided run that succeeds means every share between the two buys the guide's list."""
    from pb.tally.rules.equalshares.fast import _mes_run_ballots, _prepare
    from pb.tally.tiebreak import TieBreak

    prep = _prepare(e, TieBreak(), True)
    lo = Fraction(e.budget, prep.n) + low
    guide = _mes_run_ballots(prep, lo)
    assert guide is not None
    ahead = _mes_run_ballots(prep, lo + width, guide=guide)
    if ahead is None:
        return
    assert ahead.selected == guide.selected
    for share in [lo + k for k in range(1, width)][:60] + [lo + width * x for x in inside]:
        run = _mes_run_ballots(prep, share)
        assert run is not None and run.selected == guide.selected


def test_add1_skips_steps_that_repeat_the_outcome(monkeypatch: object) -> None:
    """On an election whose outcome stays the same for many steps, far fewer runs are made."""
    from pb.tally.rules.equalshares import fast as equalshares

    projects = (Project("a", 40_000), Project("b", 21_000), Project("c", 9_000),
                Project("d", 15_000))
    ballots = [("a", "b"), ("a",), ("b", "c"), ("c", "d"), ("a", "d"), ("b",), ("d",)] * 3
    index = {p.id: i for i, p in enumerate(projects)}
    e = Election(budget=60_000, projects=projects,
                 ballots=tuple(Ballot(str(k), tuple(sorted(index[x] for x in b)))
                               for k, b in enumerate(ballots)))
    calls = []
    real = equalshares._mes_run_ballots

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(kwargs.get("guide") is not None)
        return real(*args, **kwargs)

    monkeypatch.setattr(equalshares, "_mes_run_ballots", counting)  # type: ignore[attr-defined]
    fast, fast_summary, _ = mes_selection(e, add1=True)
    slow, slow_summary, _ = mes_selection(e, add1=True, exact=True)
    assert (fast.selected, fast_summary) == (slow.selected, slow_summary)
    assert fast_summary["iterations"] > 100
    assert any(calls) and len(calls) < fast_summary["iterations"] / 4


def test_add1_with_hundreds_of_millions_of_steps_ends(monkeypatch: object) -> None:
    """A round with a large budget and few voters (here 4e8 Add1 steps) takes a few hundred runs.

    Step by step it would take hours; the skipped steps are proven to repeat the outcome.
    """
    import random

    from pb.tally.rules.equalshares import fast as equalshares

    rng = random.Random(4)
    projects = tuple(Project(f"p{i}", rng.randint(1, 10**9)) for i in range(12))
    ballots = tuple(Ballot(str(k), tuple(sorted(rng.sample(range(12), rng.randint(1, 5)))))
                    for k in range(7))
    e = Election(budget=3 * 10**9, projects=projects, ballots=ballots)
    calls = []
    real = equalshares._mes_run_ballots

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) > 2000:  # fail fast instead of stepping for hours
            raise AssertionError("Add1 went step by step")
        return real(*args, **kwargs)

    monkeypatch.setattr(equalshares, "_mes_run_ballots", counting)  # type: ignore[attr-defined]
    out = tally(e, "equalshares/add1")
    add1 = out.trace["add1"]
    assert add1["iterations"] > 10**8
    assert out.spent <= e.budget
    if add1["stop"] == "exhaustive":
        left = e.budget - out.spent
        assert all(q in out.selected or p.cost > left for q, p in enumerate(e.projects)
                   if e.profile.scores[q] > 0)



def test_add1_guesses_how_far_a_proof_reaches_in_long_stretches(monkeypatch: object) -> None:
    """In long stretches (here 10**5 steps and more) the loop probes as far as the float replay
    guesses: the same outcome and summary as by doubling alone, with fewer runs in all."""
    import random

    from pb.tally.rules.equalshares import fast as equalshares

    real = equalshares._mes_run_ballots
    calls: list[int] = []

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(equalshares, "_mes_run_ballots", counting)  # type: ignore[attr-defined]
    runs = {"guessing": 0, "doubling": 0}
    for seed in range(5):
        rng = random.Random(seed)
        projects = tuple(Project(f"p{i}", rng.randint(10**5, 10**7)) for i in range(10))
        ballots = tuple(Ballot(str(k), tuple(sorted(rng.sample(range(10), rng.randint(1, 4)))))
                        for k in range(40))
        e = Election(budget=2 * 10**7, projects=projects, ballots=ballots)
        results = {}
        for mode, after in (("guessing", 16), ("doubling", 10**18)):
            monkeypatch.setattr(equalshares, "_GUESS_AFTER", after)  # type: ignore[attr-defined]
            calls.clear()
            run, summary, _ = mes_selection(e, add1=True)
            runs[mode] += len(calls)
            results[mode] = (run.selected, summary)
        assert results["guessing"] == results["doubling"]
        assert results["guessing"][1]["iterations"] > 10**4
    assert runs["guessing"] < 0.8 * runs["doubling"]
