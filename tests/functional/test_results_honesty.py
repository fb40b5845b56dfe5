"""Honest results (issue 13): kept META, the round's currency, turnout, one project order, bad files.

Bad ``.pb`` files through ``pb import-pabulib``: a clear message naming the file, the line and the
problem, a non-zero exit, no traceback and nothing stored (THREAT #27, #29).
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from sqlalchemy import func, select

from pb.db import utcnow
from pb.models.area import Area
from pb.models.ballot import Ballot, BallotItem
from pb.models.proposal import Proposal
from pb.models.result import RoundImport, RoundResult
from pb.models.round import BudgetRound
from pb.services import results as result_service
from pb.tally import read_pb, tally
from tests.factories import make_register_entry, make_results_ballot, make_round_with_proposals

GOOD = """META
key;value
description;Wrocław Centrum 2019
country;Poland
unit;Wrocław
subunit;Centrum
instance;2019
language;pl
currency;PLN
date_begin;09.09.2019
date_end;30.09.2019
budget;7500000
vote_type;cumulative
rule;greedy-custom
num_projects;3
num_votes;4
min_length;1
max_length;3
min_sum_points;1
max_sum_points;5
max_points;4
min_project_score_threshold;2
comment;#1: projects over 1 million need a separate vote
PROJECTS
project_id;cost;name;votes
a;5000000;Park Południowy;9
b;2500000;Ścieżka rowerowa;3
c;100000;Ławki;1
VOTES
voter_id;vote;points
1;a,b;4,1
2;a;4
3;b,a;2,1
4;c;1
"""


def _counts(session) -> tuple[int, ...]:
    return tuple(session.scalar(select(func.count()).select_from(m)) for m in
                 (BudgetRound, Proposal, Ballot, BallotItem, RoundImport, Area))


def _import(runner, tmp_path, text: str | bytes, name: str = "wroclaw.pb"):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return runner.invoke(args=["pb", "import-pabulib", str(path), "--area", "wroclaw", "--create-area"])


def test_import_keeps_meta_and_export_writes_it_back(client, runner, session, tmp_path):
    result = _import(runner, tmp_path, GOOD)
    assert result.exit_code == 0, result.output
    round_id = int(result.output.strip().splitlines()[-1])
    round_ = session.get(BudgetRound, round_id)
    assert round_.currency == "PLN" and round_.points_total == 5 and round_.points_max_per_project == 4
    assert round_.voting_open_at.isoformat() == "2019-09-08T22:00:00+00:00"  # 9 September, Amsterdam
    assert session.get(RoundImport, round_id).score_threshold == "2"
    assert runner.invoke(args=["pb", "publish", str(round_id)]).exit_code == 0
    text = client.get(f"/rounds/{round_id}/ballots.pb").get_data(as_text=True)
    meta = dict(row.split(";", 1) for row in text.split("\nPROJECTS\n")[0].split("\n")[2:])
    for key, value in {"country": "Poland", "unit": "Wrocław", "subunit": "Centrum", "language": "pl",
                       "currency": "PLN", "date_begin": "09.09.2019", "date_end": "30.09.2019",
                       "min_sum_points": "1", "max_sum_points": "5", "max_points": "4", "max_length": "3",
                       "min_project_score_threshold": "2", "rule": "greedy", "num_votes": "4"}.items():
        assert meta.get(key) == value, key
    assert "greedy-custom" in meta["comment"] and meta["comment"].startswith("#1: projects over")
    published = read_pb(text)
    assert published.min_project_score_threshold == 2
    # c has 1 point < threshold 2: not funded, by the count and by a recount of the export.
    assert tally(published, "greedy").selected_ids == ("a", "b")
    assert client.get(f"/rounds/{round_id}/results.json").get_json()["currency"] == "PLN"
    rows = list(csv.reader(io.StringIO(client.get(f"/rounds/{round_id}/results.csv").get_data(as_text=True)),
                           delimiter=";"))
    assert rows[0][3:5] == ["cost", "currency"] and {r[4] for r in rows[1:]} == {"PLN"}
    page = client.get(f"/rounds/{round_id}/results").get_data(as_text=True).replace("\xa0", " ")
    assert "PLN 7.500.000,00" in page and "€" not in page
    assert "greedy-custom" in page and "geteld met ‘greedy’" in page
    round_page = client.get(f"/rounds/{round_id}").get_data(as_text=True)
    assert "greedy-custom" in round_page and "PLN" in round_page


def test_export_of_a_round_made_here_names_municipality_area_and_local_dates(app, client, session, area):
    import datetime as dt

    round_ = make_round_with_proposals(session, area)
    round_.voting_close_at = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)  # 2 March 00:30 in Amsterdam
    round_.voting_open_at = dt.datetime(2026, 2, 1, 23, 30, tzinfo=dt.UTC)
    make_results_ballot(session, round_, {p.id: None for p in round_.proposals[:2]})
    result_service.publish_results(session, round_, actor=None)
    session.commit()
    text = client.get(f"/rounds/{round_.id}/ballots.pb").get_data(as_text=True)
    assert f"\nunit;{app.config['MUNICIPALITY_NAME']}\n" in text and f"\nsubunit;{area.name}\n" in text
    assert "\ndate_begin;02.02.2026\n" in text and "\ndate_end;02.03.2026\n" in text
    assert "\ncurrency;EUR\n" in text and "\ncountry;Netherlands\n" in text


def test_turnout_divides_by_the_register_and_shows_both_numbers(client, session, area):
    for n in range(8):
        make_register_entry(session, area, huisnummer=n + 1, eligible_count=10)
    round_ = make_round_with_proposals(session, area)
    for _ in range(10):
        make_results_ballot(session, round_, {round_.proposals[0].id: None})
    result = result_service.publish_results(session, round_, actor=None)
    session.commit()
    assert result.eligible_voters == 80
    page = client.get(f"/rounds/{round_.id}/results").get_data(as_text=True)
    assert "10 stembiljetten van 80 bewoners die mochten stemmen: 12,5%" in page
    assert client.get(f"/rounds/{round_.id}/results.json").get_json()["eligible_voters"] == 80


def test_without_a_register_the_page_says_so_instead_of_a_rate(client, session, area):
    round_ = make_round_with_proposals(session, area)
    make_results_ballot(session, round_, {round_.proposals[0].id: None})
    result_service.publish_results(session, round_, actor=None)
    session.commit()
    page = client.get(f"/rounds/{round_.id}/results").get_data(as_text=True)
    assert "er is geen bewonersregister" in page and "%" not in re.sub(r"<[^>]+>", "", page.split("Opkomst")[1][:300])


def test_one_project_order_for_count_round_page_file_and_tie_break(client, session, area):
    """Projects submitted in the reverse order of their ids: submission order rules everywhere."""
    import datetime as dt

    round_ = make_round_with_proposals(session, area, tie_break="order", costs_cents=[60_000_00, 60_000_00, 60_000_00],
                                titles=["Eerste id", "Tweede id", "Derde id"])
    proposals = sorted(round_.proposals, key=lambda p: p.id)
    for k, p in enumerate(proposals):
        p.submitted_at = utcnow() - dt.timedelta(days=20 + k)  # the last id was submitted first
    for p in proposals:
        make_results_ballot(session, round_, {p.id: None})  # a three-way tie; only one fits
    result_service.publish_results(session, round_, actor=None)
    session.commit()
    text = client.get(f"/rounds/{round_.id}/ballots.pb").get_data(as_text=True)
    file_order = [p.id for p in read_pb(text).projects]
    assert file_order == [str(p.id) for p in reversed(proposals)]
    assert client.get(f"/rounds/{round_.id}/results.json").get_json()["selected"] == [str(proposals[-1].id)]
    page = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    positions = [page.index(t) for t in ("Derde id", "Tweede id", "Eerste id")]
    assert positions == sorted(positions)
    assert "eerder is ingediend" in client.get(f"/rounds/{round_.id}/results").get_data(as_text=True)


# --- Bad files through the CLI ------------------------------------------------------------------

BAD_FILES = [
    ("cp1250", GOOD.encode("cp1250"), r"wroclaw\.pb: line 3: not UTF-8 text"),
    ("latin-1", GOOD.replace("Park Południowy", "Café").replace("Ścieżka rowerowa", "Pré").replace(
        "Ławki", "Bancs").replace("Wrocław", "Lyon").encode("latin-1"), r"line \d+: not UTF-8 text"),
    ("1/0", GOOD.replace("a;5000000;", "a;1/0;"), r"line 26: cost of project a is not a number: '1/0'"),
    ("10^300", GOOD.replace("budget;7500000", "budget;75" + "0" * 300), r"line 12: META budget is not a number"),
    ("beyond the engine", GOOD.replace("budget;7500000", "budget;75" + "0" * 15),
     r"line 12: META budget: 75000+ is beyond the largest amount the engine counts \(10\^15\)"),
    ("beyond INTEGER points", GOOD.replace("2;a;4", "2;a;4000000000"), r"regel 32: stemmer 2: punten 4000000000"),
    ("half a cent", GOOD.replace("c;100000;", "c;100000.005;"), r"regel 28: kosten van project c \(100000\.005\) is geen heel aantal centen"),
    ("cut in half", GOOD.split("3;b,a")[0], r"META num_votes announces 4 ballots but the file has 2"),
    ("junk after VOTES", GOOD.replace("4;c;1\n", "4;c;1\n<html>oops</html>\n"),
     r"line 35: 1 fields but the VOTES header has 3"),
    ("extra ballot", GOOD + "5;a;4\n", r"META num_votes announces 4 ballots but the file has 5"),
    ("max_length beyond INTEGER", GOOD.replace("max_length;3", "max_length;99999999999"),
     r"regel 18: META max_length \(99999999999\) is geen heel getal"),
    ("unknown currency", GOOD.replace("currency;PLN", "currency;zł"), r"regel 9: META currency 'ZŁ'"),
]


@pytest.mark.parametrize(("label", "content", "message"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_files_are_refused_clearly_and_store_nothing(runner, session, tmp_path, label, content, message):
    before = _counts(session)
    result = _import(runner, tmp_path, content)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    assert re.search(message, result.output), result.output
    assert "wroclaw.pb" in result.output
    session.expire_all()
    assert _counts(session) == before
    assert session.scalar(select(func.count()).select_from(RoundResult)) == 0


def test_the_good_file_imports(runner, tmp_path):
    assert _import(runner, tmp_path, GOOD).exit_code == 0


def test_published_selection_and_meta_json_are_stored(runner, session, tmp_path):
    result = _import(runner, tmp_path, GOOD)
    round_id = int(result.output.strip().splitlines()[-1])
    stored = json.loads(session.get(RoundImport, round_id).meta_json)
    assert list(stored)[:3] == ["description", "country", "unit"] and stored["comment"].startswith("#1")
