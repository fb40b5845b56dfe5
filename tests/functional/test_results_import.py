"""Importing real pabulib rounds: CLI, outcome equals the file's ``selected`` column, recount."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pb.models.ballot import Ballot
from pb.models.proposal import Proposal
from pb.models.result import RoundImport, RoundResult
from pb.models.round import BudgetRound, RoundNeighbourhood

from pb.tally import read_pb, tally
from pb.services import pabulib_import
from pb.services import results as result_service

REPO = Path(__file__).resolve().parents[2]
# Files with a ``selected`` column (of the Dutch files only Assen has one), one per supported rule.
SELECTED_FILES = ("Netherlands_Assen_2024.pb", "Poland_Warszawa_2017_Brodno-Podgrodzie.pb",
                  "Poland_Gdynia_2021_Srodmiescie__small.pb", "Poland_Warszawa_2026_Powisle_Solec_Ujazdow.pb")
# Dutch files without a ``selected`` column: the imported round must count as the file itself does.
DUTCH_FILES = ("Netherlands_Amsterdam_252.pb", "Netherlands_Amsterdam_166.pb", "Netherlands_Amsterdam_489.pb",
               "Netherlands_Amsterdam_622.pb")


def shared_file(name: str) -> Path:
    """A shared pabulib file, or skip when the shared folder is absent."""
    path = pabulib_import.pabulib_dir() / name
    if not path.exists():
        pytest.skip(f"{path} not available")
    return path


def _import(runner, path: Path, area: str = "amsterdam") -> int:
    result = runner.invoke(args=["pb", "import-pabulib", str(path), "--area", area, "--create-area"])
    assert result.exit_code == 0, result.output
    return int(result.output.strip().splitlines()[-1])


def _import_and_publish(runner, session, name):
    path = shared_file(name)
    election = read_pb(path)
    round_id = _import(runner, path)
    round_ = session.get(BudgetRound, round_id)
    proposals = session.scalars(select(Proposal).where(Proposal.round_id == round_id).order_by(Proposal.id)).all()
    assert [p.external_id for p in proposals] == [p.id for p in election.projects]
    assert [p.ballot_cost_cents for p in proposals] == [int(p.cost * 100) for p in election.projects]
    assert round_.budget_cents == int(election.budget * 100)
    assert session.scalar(select(func.count()).select_from(Ballot).where(Ballot.round_id == round_id)) \
        == len(election.ballots)
    published = runner.invoke(args=["pb", "publish", str(round_id)])
    assert published.exit_code == 0, published.output
    result = session.scalar(select(RoundResult).where(RoundResult.round_id == round_id))
    assert result.rule == election.rule
    return election, result_service.outcome_of(result)


@pytest.mark.parametrize("name", SELECTED_FILES)
def test_imported_round_outcome_equals_the_files_selected_column(runner, session, name):
    election, record = _import_and_publish(runner, session, name)
    selected = set(record["selected"])
    must = {p.id for p in election.projects if p.official_selected == 1}
    may = {p.id for p in election.projects if (p.official_selected or 0) >= 1}
    assert must and must <= selected <= may


@pytest.mark.parametrize("name", DUTCH_FILES)
def test_imported_dutch_round_counts_as_the_file_does(runner, session, name):
    election, record = _import_and_publish(runner, session, name)
    assert record["selected"] == list(tally(election).selected_ids)
    assert record["spent"] == tally(election).spent


def test_import_keeps_caps_and_categories(runner, session):
    path = shared_file("Netherlands_Amsterdam_252.pb")
    round_id = _import(runner, path)
    hoods = {n.name: n.budget_cents for n in session.scalars(
        select(RoundNeighbourhood).where(RoundNeighbourhood.round_id == round_id))}
    assert hoods["Oostelijke Eilanden"] == 150_000_00 and hoods["Other"] == 250_000_00
    proposal = session.scalar(select(Proposal).where(Proposal.round_id == round_id, Proposal.external_id == "35071"))
    assert proposal.theme.name == "Groen en Duurzaamheid"
    assert session.get(RoundImport, round_id).rule == "greedy"


def test_recount_of_published_real_round_with_the_tally_cli(runner, client, session, tmp_path):
    path = shared_file("Netherlands_Assen_2024.pb")
    round_id = _import(runner, path, area="assen")
    assert runner.invoke(args=["pb", "publish", str(round_id)]).exit_code == 0
    text = client.get(f"/rounds/{round_id}/ballots.pb").get_data()
    data = client.get(f"/rounds/{round_id}/results.json").get_json()
    target = tmp_path / "ballots.pb"
    target.write_bytes(text)
    out = subprocess.run([sys.executable, "-m", "pb.tally", str(target), "--rule", data["rule"], "--json"],
                         cwd=REPO, capture_output=True, text=True, check=True)
    recount = json.loads(out.stdout)
    assert recount["selected"] == data["selected"] and recount["official_match"] is True
    assert recount["spent"] == data["spent"] == 76700


def test_cli_failures_exit_nonzero(runner, session, tmp_path):
    missing = runner.invoke(args=["pb", "import-pabulib", str(tmp_path / "nope.pb"), "--area", "x", "--create-area"])
    assert missing.exit_code != 0 and "nope.pb" in missing.output
    bad = tmp_path / "bad.pb"
    bad.write_text("META\nkey;value\nbudget;100\nPROJECTS\nproject_id;cost\n1;-5\nVOTES\nvoter_id;vote\n")
    broken = runner.invoke(args=["pb", "import-pabulib", str(bad), "--area", "x", "--create-area"])
    assert broken.exit_code != 0 and "negative cost" in broken.output
    good = tmp_path / "good.pb"
    good.write_text("META\nkey;value\nbudget;100\nPROJECTS\nproject_id;cost\n1;50\nVOTES\nvoter_id;vote\nv1;1\n")
    no_area = runner.invoke(args=["pb", "import-pabulib", str(good), "--area", "onbekend"])
    assert no_area.exit_code != 0 and "onbekend" in no_area.output
    assert session.scalar(select(func.count()).select_from(BudgetRound)) == 0
    round_id = int(runner.invoke(args=["pb", "import-pabulib", str(good), "--area", "x", "--create-area"])
                   .output.strip().splitlines()[-1])
    assert runner.invoke(args=["pb", "publish", str(round_id)]).exit_code == 0
    again = runner.invoke(args=["pb", "publish", str(round_id)])
    assert again.exit_code != 0 and "al gepubliceerd" in again.output
    assert runner.invoke(args=["pb", "publish", "9999"]).exit_code != 0
    assert session.scalar(select(func.count()).select_from(RoundResult)) == 1
