"""The fast Equal Shares agrees with the reference implementation (the definition, exact).

Random small elections of every ballot type the engine counts with Equal Shares (approval,
k-approval, choose-1, cumulative points, ordinal rankings), with and without group caps, with
integer and decimal costs: same selection, same rounds and exact prices, same Add1 summary, and
the same selection after the greedy fill.
"""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from pb.tally import Ballot, Election, Project, VoteType, tally
from pb.tally.model import Cap
from pb.tally.rules.equalshares import reference


@st.composite
def ballots_of(draw: st.DrawFn, vote_type: VoteType, m: int) -> Ballot:
    """One ballot of the given type over ``m`` projects."""
    if vote_type is VoteType.CHOOSE_1:
        return Ballot("", tuple(draw(st.lists(st.integers(0, m - 1), max_size=1))))
    if vote_type is VoteType.ORDINAL:
        return Ballot("", tuple(draw(st.permutations(range(m)))[:draw(st.integers(0, m))]))
    if vote_type is VoteType.CUMULATIVE:
        chosen = draw(st.lists(st.integers(0, m - 1), max_size=m, unique=True))
        points = draw(st.lists(st.integers(0, 5), min_size=len(chosen), max_size=len(chosen)))
        return Ballot("", tuple(chosen), tuple(points))
    k = draw(st.integers(1, m))  # k-approval (k = m: plain approval)
    return Ballot("", tuple(sorted(draw(st.sets(st.integers(0, m - 1), max_size=k)))))


@st.composite
def elections(draw: st.DrawFn) -> Election:
    """Small elections of a random ballot type, sometimes with caps or decimal costs."""
    vote_type = draw(st.sampled_from(list(VoteType)))
    m = draw(st.integers(1, 7))
    unit = draw(st.sampled_from([Fraction(1), Fraction(1), Fraction(1, 4), Fraction(5)]))
    costs = [x * unit for x in draw(st.lists(st.integers(0, 30), min_size=m, max_size=m))]
    hoods = draw(st.lists(st.sampled_from(["", "N", "S"]), min_size=m, max_size=m))
    cats = draw(st.lists(st.sampled_from(["", "green", "green,youth"]), min_size=m, max_size=m))
    caps = [Cap("neighbourhood", h, draw(st.integers(0, 60)) * unit) for h in ("N", "S")
            if draw(st.booleans())]
    if draw(st.booleans()):
        caps.append(Cap("category", "green", draw(st.integers(0, 60)) * unit))
    ballots = draw(st.lists(ballots_of(vote_type, m), max_size=9))
    projects = tuple(Project(f"p{i}", c, neighbourhood=h, category=g)
                     for i, (c, h, g) in enumerate(zip(costs, hoods, cats)))
    return Election(budget=draw(st.integers(0, 90)) * unit, projects=projects,
                    vote_type=vote_type, caps=tuple(caps),
                    ballots=tuple(Ballot(str(k), b.projects, b.points)
                                  for k, b in enumerate(ballots)))


def _rounds(election: Election, trace: dict[str, object]) -> list[tuple[int, Fraction]]:
    return [(election.index[r["project"]], r["rho"]) for r in trace["rounds"]]  # type: ignore


@settings(max_examples=250, deadline=None)
@given(elections(), st.booleans())
def test_equal_shares_agrees_with_the_reference(e: Election, use_caps: bool) -> None:
    """One run at B/n: same projects in the same order at the same exact prices."""
    ref = reference.equal_shares(e, add1=False, use_caps=use_caps)
    fast = tally(e, "equalshares", use_caps=use_caps)
    assert sorted(fast.selected) == sorted(ref.selected)
    assert _rounds(e, fast.trace) == ref.rounds


@settings(max_examples=250, deadline=None)
@given(elections(), st.booleans())
def test_add1_agrees_with_the_reference(e: Election, use_caps: bool) -> None:
    """Add1 (with its skipped steps): same final run, rounds, prices and Add1 summary."""
    ref = reference.equal_shares(e, add1=True, use_caps=use_caps)
    fast = tally(e, "equalshares/add1", use_caps=use_caps)
    assert sorted(fast.selected) == sorted(ref.selected)
    assert _rounds(e, fast.trace) == ref.rounds
    assert fast.trace["add1"] == ref.add1


@settings(max_examples=150, deadline=None)
@given(elections())
def test_add1_greedy_agrees_with_the_reference(e: Election) -> None:
    """Add1 followed by the greedy fill: the same projects."""
    ref = reference.equal_shares(e, add1=True, fill=True)
    assert sorted(tally(e, "equalshares/add1+greedy").selected) == sorted(ref.selected)


@settings(max_examples=60, deadline=None)
@given(elections(), st.sampled_from([13, 40]))
def test_add1_agrees_with_the_reference_over_many_steps(e: Election, factor: int) -> None:
    """Costs and budget in larger units: hundreds of Add1 steps, most of them skipped."""
    e = Election(budget=e.budget * factor, vote_type=e.vote_type, ballots=e.ballots,
                 projects=tuple(Project(p.id, p.cost * factor, neighbourhood=p.neighbourhood,
                                        category=p.category) for p in e.projects),
                 caps=tuple(Cap(c.kind, c.group, c.limit * factor) for c in e.caps))
    ref = reference.equal_shares(e, add1=True)
    fast = tally(e, "equalshares/add1")
    assert (sorted(fast.selected), fast.trace["add1"]) == (sorted(ref.selected), ref.add1)
