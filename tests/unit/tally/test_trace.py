"""Typed trace objects: the same facts from a live outcome and from its stored JSON record."""

from __future__ import annotations

import json
from fractions import Fraction

from tally_testdata import make

from pb.tally import tally
from pb.tally.trace import read_record

SPLIT = dict(budget=400, costs={"A": 200, "B": 100, "C": 300}, votes=["A,C", "A,C", "A,C", "B,C"])


def test_equal_shares_rounds_and_add1_are_typed_live_and_from_json() -> None:
    outcome = tally(make(**SPLIT), "equalshares/add1")
    live = outcome.typed_trace()
    (first,) = live.shares_rounds
    assert (first.round, first.project, first.rho, first.paid, first.max_payment) == (1, "C", Fraction(1, 4), 300, 75)
    assert live.add1 is not None and live.add1.share_final >= live.add1.share_start
    record = read_record(json.loads(outcome.to_json()))
    assert record.trace == live
    assert record.selected == outcome.selected_ids and record.rule == "equalshares/add1"
    assert [p.id for p in record.projects] == ["A", "B", "C"]
    assert [p.selected for p in record.projects] == [False, False, True]
    assert record.projects[2].reason_nl == outcome.decisions[2].reason_nl


def test_rules_without_shares_rounds_have_an_empty_typed_trace() -> None:
    for rule in ("greedy", "phragmen", "max-welfare"):
        trace = tally(make(**SPLIT), rule).typed_trace()
        assert trace.shares_rounds == () and trace.add1 is None
