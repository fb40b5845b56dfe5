"""Conformance with the official results (`selected` column) over every shared pabulib file,
and write/read round trips. Slow: run with ``-m slow``."""

from __future__ import annotations

import collections

import pytest
from tally_testdata import pabulib_files

from pb.tally import RULES, read_pb, tally, write_pb

# File -> why the official result differs (investigated). Empty: every file currently matches.
SKIP: dict[str, str] = {}


@pytest.mark.slow
def test_official_results_are_reproduced() -> None:
    stats: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    failures = []
    for path in pabulib_files():
        election = read_pb(path)
        if election.rule not in RULES or path.stem in SKIP:
            continue
        marks = {p.id: p.official_selected for p in election.projects}
        if all(v is None for v in marks.values()):
            continue
        got = set(tally(election).selected_ids)
        must = {pid for pid, v in marks.items() if v == 1}
        may = {pid for pid, v in marks.items() if (v or 0) >= 1}
        stats[election.rule][1] += 1
        if must <= got <= may:
            stats[election.rule][0] += 1
        else:
            failures.append(f"{path.stem}: missing {sorted(must - got)}, extra {sorted(got - may)}")
    report = {rule: f"{ok}/{total}" for rule, (ok, total) in sorted(stats.items())}
    print("conformance", report)
    assert sum(total for _, total in stats.values()) >= 150, report
    assert not failures, failures


@pytest.mark.slow
def test_every_file_round_trips() -> None:
    for path in pabulib_files():
        election = read_pb(path)
        text = write_pb(election)
        again = read_pb(text)
        assert again == election, path.name
        assert write_pb(again) == text, path.name
