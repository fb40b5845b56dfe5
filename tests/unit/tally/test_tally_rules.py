"""Known-answer tests: small hand-counted elections for every rule, tie-breaks and reasons."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from tally_testdata import make

from pb.tally import RULES, TallyError, TieBreak, read_pb, tally

# Four voters, budget 400 (100 each). A: 200 by v0-v2; B: 100 by v3; C: 300 by everyone.
SPLIT = dict(budget=400, costs={"A": 200, "B": 100, "C": 300},
             votes=["A,C", "A,C", "A,C", "B,C"])


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("greedy", ["B", "C"]),  # C (4 votes) then A does not fit, B fits
        ("greedy-no-skip", ["C"]),  # stops at A
        ("equalshares", ["C"]),  # C at rho 1/4; then A's supporters have 3 x 25 < 200
        ("equalshares/add1", ["C"]),  # at share 142 A joins and C+A = 500 > 400: keep {C}
        ("equalshares/add1+greedy", ["B", "C"]),
        ("phragmen", ["A", "B"]),  # A at t=200/3, B at 100, then C at 150 does not fit
        ("max-welfare", ["B", "C"]),  # welfare 5
    ],
)
def test_known_outcomes(rule: str, expected: list[str]) -> None:
    outcome = tally(make(**SPLIT), rule)
    assert list(outcome.selected_ids) == expected
    assert outcome.spent <= 400


def test_equal_shares_trace_prices_and_reasons() -> None:
    outcome = tally(make(**SPLIT), "equalshares")
    (first,) = outcome.trace["rounds"]
    assert first["project"] == "C" and first["rho"] == Fraction(1, 4)
    assert first["max_payment"] == 75 and first["paid"] == 300
    assert first["runners_up"][0]["project"] == "A" and first["runners_up"][0]["rho"] == Fraction(1, 3)
    a = outcome.decision("A")
    assert a.code == "supporters-short" and a.data["left"] == 75
    assert a.reason_nl == ("Niet gekozen: de voorstanders hadden samen nog € 75 over van de "
                           "€ 200 die het kost.")
    assert a.reason_en == "Not funded: its supporters had €75 left of the €200 it costs."
    add1 = tally(make(**SPLIT), "equalshares/add1").trace["add1"]
    assert add1["stop"] == "over-budget" and add1["share_final"] == 141 and add1["iterations"] == 42


def test_textbook_mes_example() -> None:
    # Peters & Skowron style: 3 voters for X (cost 3), 1 for Y (cost 1), 1 for Z (cost 1), B = 5.
    # Shares are 1. X: 3 x 1 = 3 -> rho 1/3; Y: 1 -> rho 1; Z: rho 1. X first, then Y (file order).
    e = make(5, {"X": 3, "Y": 1, "Z": 1}, ["X", "X", "X", "Y", "Z"])
    outcome = tally(e, "equalshares")
    assert list(outcome.selected_ids) == ["X", "Y", "Z"]
    assert [r["project"] for r in outcome.trace["rounds"]] == ["X", "Y", "Z"]
    # A majority cannot take everything: 3 voters want P (cost 6), 2 want Q (cost 4), B = 5.
    e2 = make(5, {"P": 3, "P2": 3, "Q": 2}, ["P,P2", "P,P2", "P,P2", "Q", "Q"])
    assert list(tally(e2, "equalshares").selected_ids) == ["P", "Q"]
    assert list(tally(e2, "greedy-no-skip").selected_ids) == ["P"]


def test_phragmen_textbook_example() -> None:
    # Two groups: 6 voters for a, b (cost 1 each); 3 voters for c (cost 1); budget 3.
    e = make(3, {"a": 1, "b": 1, "c": 1}, ["a,b"] * 6 + ["c"] * 3)
    outcome = tally(e, "phragmen")
    # a at t=1/6, b at 2/6, c at 1/3 = 2/6: tie b vs c broken by file order -> b.
    assert [r["time"] for r in outcome.trace["rounds"]] == [Fraction(1, 6), Fraction(1, 3),
                                                             Fraction(1, 3)]
    assert [r["project"] for r in outcome.trace["rounds"]] == ["a", "b", "c"]
    lower = tally(e, "phragmen", TieBreak("lottery", 3))
    assert set(lower.selected_ids) == {"a", "b", "c"}


def test_greedy_threshold_and_withdrawn() -> None:
    e = make(1000, {"a": 100, "b": 999999999, "c": 200}, ["a,b,c", "a,b", "c", "a"],
             meta="min_project_score_threshold;2")
    assert list(tally(e, "greedy-threshold").selected_ids) == ["a", "c"]
    e2 = make(300, {"a": 100, "w": 999999999, "c": 300, "d": 50},
              ["a,w", "a,w", "a,w,c", "a,w,c", "w,c", "d"])
    out = tally(e2, "greedy-no-skip")
    assert list(out.selected_ids) == ["a"]  # w passed over, c does not fit: stop before d
    assert out.decision("w").code == "withdrawn" and out.decision("d").code == "not-reached"
    assert list(tally(e2, "greedy").selected_ids) == ["a", "d"]


def test_neighbourhood_caps() -> None:
    e = read_pb("""META
key;value
budget;1000
neighborhoods;North,South
budget_per_neighborhood;300,1000
PROJECTS
project_id;cost;name;neighborhood
n1;200;N1;North
n2;200;N2;North
s1;500;S1;South
VOTES
voter_id;vote
1;n1,n2,s1
2;n1,n2
3;n1
""")
    out = tally(e, "greedy")
    assert list(out.selected_ids) == ["n1", "s1"]
    d = out.decision("n2")
    assert d.code == "cap" and d.data["cap_left"] == 100 and "North" in d.reason_nl
    assert list(tally(e, "max-welfare").selected_ids) == ["n1", "s1"]


def test_tie_breaks_are_injectable_and_recorded() -> None:
    e = make(100, {"big": 100, "small": 40, "mid": 60}, ["big,small,mid"])
    assert list(tally(e, "greedy").selected_ids) == ["big"]
    assert list(tally(e, "greedy", TieBreak("lower-cost")).selected_ids) == ["small", "mid"]
    assert list(tally(e, "greedy", TieBreak("higher-cost")).selected_ids) == ["big"]
    lottery = tally(e, "greedy", TieBreak.parse("lottery:42"))
    assert lottery.to_dict()["tie_break"] == {"kind": "lottery", "seed": 42}
    assert lottery.selected == tally(e, "greedy", TieBreak("lottery", 42)).selected
    with pytest.raises(TallyError):
        TieBreak("lottery")
    with pytest.raises(TallyError):
        TieBreak.parse("coin")


def test_max_welfare_prefers_earlier_projects_among_optima() -> None:
    e = make(10, {"p": 5, "q": 5, "r": 5}, ["p,q,r"])
    assert list(tally(e, "max-welfare").selected_ids) == ["p", "q"]
    assert list(tally(e, "max-welfare", TieBreak("lottery", 1)).selected_ids) != []


def test_scores_for_cumulative_and_ordinal() -> None:
    cum = make(10, {"a": 6, "b": 6}, ["a,b", "b"], vote_type="cumulative", points=["4,1", "2"])
    assert cum.profile.scores == (4, 3)
    assert list(tally(cum, "greedy").selected_ids) == ["a"]
    ordinal = make(10, {"a": 6, "b": 6, "c": 4}, ["b,a,c", "a"], vote_type="ordinal")
    assert ordinal.profile.scores == (2 + 1, 3, 1)
    assert list(tally(ordinal, "greedy").selected_ids) == ["a", "c"]


def test_outcome_json_is_stable_and_complete() -> None:
    e = make(**SPLIT)
    for rule in RULES:
        first = tally(e, rule).to_json()
        assert first == tally(make(**SPLIT), rule).to_json()
        data = json.loads(first)
        assert {"rule", "budget", "spent", "selected", "tie_break", "projects", "trace"} <= set(data)
        for project in data["projects"]:
            assert project["reason_nl"] and project["reason_en"] and project["code"]


def test_dutch_money_in_reasons() -> None:
    e = make(20000, {"a": 12500, "b": 12000}, ["a", "a", "b"])
    d = tally(e, "greedy").decision("b")
    assert d.reason_nl == ("Niet gekozen: het project kost € 12.000, maar toen het aan de beurt "
                           "was, was er nog maar € 7.500 over.")


def test_unknown_rules_are_refused() -> None:
    e = make(**SPLIT)
    with pytest.raises(TallyError, match="unknown rule"):
        tally(e, "borda-count")
    e.rule = "greedy-custom"
    with pytest.raises(TallyError, match="not supported"):
        tally(e)
