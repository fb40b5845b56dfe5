"""Every recount recipe on a results page is executed and prints the published selection (THREAT #28).

Rounds of every ballot type made here (each rule, several tie-breaks) and rounds imported from
pabulib files of every vote type with and without a score threshold are published; the test
downloads ``ballots.pb``, runs the page's engine command and its pabutools script exactly as
shown, and compares what they print with the published selection.
"""

from __future__ import annotations

import ast
import html
import json
import os
import random
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from pb.models.proposal import Proposal
from pb.services import results as result_service
from tests.factories import make_results_ballot, make_round_with_proposals

pytest.importorskip("pabutools")

REPO = Path(__file__).resolve().parents[2]


def _recipes(page: str) -> tuple[str, str | None]:
    blocks = [html.unescape(b) for b in re.findall(r"<pre[^>]*><code>(.*?)</code></pre>", page, re.S)]
    engine = next(b for b in blocks if b.startswith("python -m pb.tally"))
    pabutools = next((b for b in blocks if "pabutools" in b), None)
    return engine, pabutools


def _run_recipes(client, round_id: int, tmp_path: Path) -> tuple[list[str], list[str], list[str] | None]:
    """(published selection, what the engine recipe prints, what the pabutools recipe prints)."""
    page = client.get(f"/rounds/{round_id}/results").get_data(as_text=True)
    published = client.get(f"/rounds/{round_id}/results.json").get_json()["selected"]
    (tmp_path / "ballots.pb").write_bytes(client.get(f"/rounds/{round_id}/ballots.pb").get_data())
    engine, pabutools = _recipes(page)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    argv = shlex.split(engine)
    assert argv[0] == "python"
    out = subprocess.run([sys.executable, *argv[1:]], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    ours = json.loads(out.stdout.strip().splitlines()[-1])["selected"]
    theirs = None
    if pabutools is not None:
        out = subprocess.run([sys.executable, "-c", pabutools], cwd=tmp_path, env=env, capture_output=True,
                             text=True)
        assert out.returncode == 0, out.stderr
        theirs = ast.literal_eval(out.stdout.strip().splitlines()[-1])
    return published, ours, theirs


# --- Rounds made here ---------------------------------------------------------------------------

def _ids(session, round_) -> list[int]:
    return list(session.scalars(select(Proposal.id).where(Proposal.round_id == round_.id).order_by(Proposal.id)))


CASES = [
    ("approval", "greedy", "lower-cost"), ("approval", "equalshares", "order"),
    ("approval", "phragmen", "lottery"), ("knapsack", "greedy-no-skip", "higher-cost"),
    ("knapsack", "equalshares", "lottery"), ("k_approval", "greedy", "order"),
    ("k_approval", "max-welfare", "lower-cost"), ("choose_one", "greedy", "lottery"),
    ("choose_one", "phragmen", "order"), ("cumulative", "greedy", "order"),
    ("cumulative", "equalshares", "lower-cost"), ("ranked", "greedy", "higher-cost"),
    ("ranked", "phragmen", "lottery"),
]


@pytest.mark.parametrize(("ballot_type", "rule", "tie_break"), CASES)
def test_recipes_print_the_published_selection(client, session, area, tmp_path, ballot_type, rule, tie_break):
    config: dict[str, object] = {}
    if ballot_type == "cumulative":
        config = {"points_total": 6}
    if ballot_type in ("ranked", "k_approval"):
        config["max_projects"] = 3
    round_ = make_round_with_proposals(session, area, ballot_type=ballot_type, counting_rule=rule, tie_break=tie_break,
                                tie_break_seed="4711" if tie_break == "lottery" else None,
                                costs_cents=[40_000_00, 30_000_00, 30_000_00, 20_000_00, 10_000_00, 10_000_00],
                                **config)
    ids = _ids(session, round_)
    rng = random.Random(f"{ballot_type}{rule}{tie_break}")
    for _ in range(23):
        if ballot_type == "choose_one":
            pattern = [rng.randrange(6)]
        else:
            pattern = rng.sample(range(6), rng.randint(1, 3))
        if ballot_type == "cumulative":
            choices = {ids[i]: 6 // len(pattern) for i in pattern}
            choices[ids[pattern[0]]] += 6 - sum(choices.values())
        elif ballot_type == "ranked":
            choices = {ids[i]: r for r, i in enumerate(pattern, start=1)}
        else:
            choices = dict.fromkeys(ids[i] for i in pattern)
        make_results_ballot(session, round_, choices)
    result_service.publish_results(session, round_, actor=None)
    session.commit()
    published, ours, theirs = _run_recipes(client, round_.id, tmp_path)
    assert sorted(ours) == sorted(published)
    if rule == "max-welfare":
        assert theirs is None  # the page says pabutools has no recount with the same choice among ties
    else:
        assert theirs is not None and sorted(theirs) == sorted(published)


# --- Rounds imported from pabulib files (with and without a threshold) ---------------------------

def _pb_file(vote_type: str, rule: str, threshold: int | None, seed: int) -> str:
    rng = random.Random(seed)
    extra = {"knapsack": "max_sum_cost;100000\n", "k-approval": "max_length;2\n"}.get(vote_type, "")
    meta_type = {"knapsack": "approval", "k-approval": "approval"}.get(vote_type, vote_type)
    if meta_type == "cumulative":
        extra += "max_sum_points;5\n"
    if threshold is not None:
        extra += f"min_project_score_threshold;{threshold}\n"
    lines = ["META", "key;value", "description;Testronde", "country;Poland", "unit;Gdynia", "currency;PLN",
             "budget;100000", f"vote_type;{meta_type}", f"rule;{rule}", "num_projects;6", "num_votes;40",
             extra.rstrip("\n"), "PROJECTS", "project_id;cost;name"]
    lines = [line for line in lines if line]
    costs = [40000, 30000, 30000, 20000, 10000, 999999999 if rule == "greedy-no-skip" else 10000]
    lines += [f"p{i};{c};Project {i}" for i, c in enumerate(costs)]
    lines += ["VOTES", "voter_id;vote" + (";points" if meta_type == "cumulative" else "")]
    for v in range(40):
        k = 1 if meta_type == "choose-1" else rng.randint(1, 2 if vote_type == "k-approval" else 3)
        chosen = rng.sample(range(6), k)
        row = f"{v + 1};{','.join(f'p{i}' for i in chosen)}"
        if meta_type == "cumulative":
            pts = [5 // k] * k
            pts[0] += 5 - sum(pts)
            row += ";" + ",".join(map(str, pts))
        lines.append(row)
    return "\n".join(lines) + "\n"


IMPORT_CASES = [(vt, rule, th) for vt in ("approval", "knapsack", "k-approval", "choose-1", "cumulative", "ordinal")
                for rule, th in (("greedy", 9), ("greedy-no-skip", None))] + [
    ("approval", "greedy-threshold", 10), ("cumulative", "greedy-no-skip", 12), ("ordinal", "equalshares/add1", None),
    ("approval", "greedy-custom", 8),
]


@pytest.mark.parametrize(("vote_type", "rule", "threshold"), IMPORT_CASES)
def test_recipes_of_imported_rounds_print_the_published_selection(client, runner, tmp_path, vote_type, rule,
                                                                   threshold):
    path = tmp_path / "in.pb"
    path.write_text(_pb_file(vote_type, rule, threshold, seed=len(vote_type) * 7 + len(rule)), encoding="utf-8")
    result = runner.invoke(args=["pb", "import-pabulib", str(path), "--area", "gdynia", "--create-area"])
    assert result.exit_code == 0, result.output
    round_id = int(result.output.strip().splitlines()[-1])
    assert runner.invoke(args=["pb", "publish", str(round_id)]).exit_code == 0
    published, ours, theirs = _run_recipes(client, round_id, tmp_path)
    assert sorted(ours) == sorted(published)
    assert theirs is not None and sorted(theirs) == sorted(published)
    text = client.get(f"/rounds/{round_id}/ballots.pb").get_data(as_text=True)
    assert (f"min_project_score_threshold;{threshold}\n" in text) == (threshold is not None)


@pytest.mark.parametrize("rule", ["greedy", "equalshares"])
def test_recipes_with_a_neighbourhood_sub_budget(client, session, area, tmp_path, rule):
    from pb.models.round import RoundNeighbourhood

    round_ = make_round_with_proposals(session, area, counting_rule=rule, ballot_type="approval",
                                       costs_cents=[40_000_00, 30_000_00, 30_000_00, 20_000_00])
    north = RoundNeighbourhood(round_id=round_.id, name="Noord", budget_cents=50_000_00)
    session.add(north)
    session.flush()
    proposals = sorted(round_.proposals, key=lambda p: p.id)
    for p in proposals[:3]:
        p.neighbourhood_id = north.id
    ids = [p.id for p in proposals]
    for pattern in ([0, 1], [0, 2], [1, 2], [0, 1, 2, 3], [3], [1]):
        make_results_ballot(session, round_, dict.fromkeys(ids[i] for i in pattern))
    result_service.publish_results(session, round_, actor=None)
    session.commit()
    published, ours, theirs = _run_recipes(client, round_.id, tmp_path)
    assert sorted(ours) == sorted(published)
    if rule == "greedy":
        assert theirs is not None and sorted(theirs) == sorted(published)
        assert str(ids[2]) not in published  # the sub-budget of Noord stopped it
    else:
        assert theirs is None  # pabutools has no sub-budgets for Equal Shares: the page says so
