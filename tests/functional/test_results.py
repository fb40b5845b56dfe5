"""Results: publish flow, immutability, hidden before publication, exports, recount, receipts."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pb.errors import InvalidState, ValidationFailed
from pb.models.job import Job, JobStatus
from pb.models.audit import AuditEntry
from pb.models.ballot import Ballot
from pb.models.proposal import Proposal
from pb.models.result import RoundResult
from pb.models.user import Role

from pb.tally import read_pb
from tests.factories import make_area, make_results_ballot, make_round_with_proposals, make_user
from pb.services import ballot_files
from pb.services import counting
from pb.services import results as result_service
from pb import csv_cells

REPO = Path(__file__).resolve().parents[2]


def _proposals(session, round_):
    return list(session.scalars(select(Proposal).where(Proposal.round_id == round_.id).order_by(Proposal.id)))


def _knapsack_round(session, area, *, phase="closed", titles=None, paper=0):
    """Budget 100k; A 40k, B 30k, C 25k, D 20k, E 10k. Votes: A 6, B 5, C 4, D 3, E 1."""
    round_ = make_round_with_proposals(session, area, phase=phase, titles=titles)
    a, b, c, d, e = (p.id for p in _proposals(session, round_))
    ballots = [{a, b}, {a, b, c}, {a, c, d}, {a, b}, {a, d}, {a, b, c, d}, {b, c, e}]
    for i, chosen in enumerate(ballots):
        make_results_ballot(session, round_, dict.fromkeys(chosen),
                            channel="paper" if i < paper else "online")
    return round_


@pytest.fixture
def manager(session, area):
    return make_user(session, role=Role.MANAGER, email="regisseur@example.test", areas=[area])


def _publish(session, round_, manager=None):
    result = result_service.publish_results(session, round_, actor=manager)
    session.commit()
    return result


# --- Publish flow and immutability ----------------------------------------------------------------

def test_manager_previews_compares_and_publishes(client, auth, session, area, manager):
    round_ = _knapsack_round(session, area)
    auth.login(manager.email)
    page = client.get(f"/manage/rounds/{round_.id}/results").get_data(as_text=True).replace("\xa0", " ")
    assert "Alleen voor u zichtbaar" not in page and "Tel nu een voorbeeld" in page  # the GET counts nothing
    assert session.scalar(select(func.count()).select_from(Job)) == 0
    asked = client.post(f"/manage/rounds/{round_.id}/results/preview")
    assert asked.status_code == 302
    preview = session.scalar(select(Job).where(Job.kind == "results.preview"))
    assert preview.status == JobStatus.DONE and preview.owner_id == manager.id
    page = client.get(f"/manage/rounds/{round_.id}/results").get_data(as_text=True).replace("\xa0", " ")
    assert "Alleen voor u zichtbaar" in page and "Besteed: € 95.000,00" in page
    assert "Wat als er met een andere regel was geteld?" in page and "Gelijke delen" in page
    assert "equalshares/add1" not in page  # plain labels, no rule ids
    assert client.get(f"/rounds/{round_.id}/results").status_code == 404

    refused = client.post(f"/manage/rounds/{round_.id}/results/publish", data={})
    assert refused.status_code == 400
    assert session.scalar(select(func.count()).select_from(RoundResult)) == 0

    done = client.post(f"/manage/rounds/{round_.id}/results/publish", data={"confirm": "y"})
    assert done.status_code == 302 and "/jobs/" in done.location  # counted and published by a job
    job_page = client.get(done.location).get_data(as_text=True)
    assert "Klaar" in job_page and f"/rounds/{round_.id}/results" in job_page
    result = session.scalar(select(RoundResult).where(RoundResult.round_id == round_.id))
    assert result.version == 1 and result.rule == "greedy" and result.published_by_id == manager.id
    session.refresh(round_)
    assert round_.results_published_at is not None
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "round.results_publish")).public
    record = result_service.outcome_of(result)
    # Greedy by votes: A (40k), B (30k), C (25k) fit; D (20k) and E (10k) no longer do.
    names = {p["name"] for p in record["projects"] if p["selected"]}
    assert names == {"Project A", "Project B", "Project C"}
    assert record["spent_cents"] == 95_000_00
    body = client.get(f"/rounds/{round_.id}/results").get_data(as_text=True).replace("\xa0", " ")
    assert "€ 95.000,00" in body and "Project D" in body


def test_publish_refused_while_voting_and_nothing_counted(client, auth, session, area, manager):
    round_ = _knapsack_round(session, area, phase="voting")
    session.commit()
    with pytest.raises(InvalidState):
        result_service.publish_results(session, round_, actor=manager)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(RoundResult)) == 0
    auth.login(manager.email)
    page = client.get(f"/manage/rounds/{round_.id}/results").get_data(as_text=True).replace("\xa0", " ")
    assert "nog niet gesloten" in page and "Project A" not in page
    assert client.post(f"/manage/rounds/{round_.id}/results/publish", data={"confirm": "y"}).status_code == 400
    assert session.scalar(select(func.count()).select_from(RoundResult)) == 0


def test_published_result_is_immutable_and_corrections_are_versions(client, auth, session, area, manager):
    round_ = _knapsack_round(session, area)
    result = _publish(session, round_, manager)
    with pytest.raises(InvalidState):
        result_service.publish_results(session, round_, actor=manager)
    session.rollback()
    result = session.get(RoundResult, result.id)
    result.outcome_json = "{}"
    with pytest.raises(InvalidState):
        session.flush()
    session.rollback()
    assert session.get(RoundResult, result.id).outcome_json != "{}"

    with pytest.raises(ValidationFailed):
        result_service.correct_results(session, round_, actor=manager, reason="kort")
    session.rollback()
    auth.login(manager.email)
    response = client.post(f"/manage/rounds/{round_.id}/results/correct",
                           data={"reason": "Twee papieren stembiljetten waren vergeten.", "confirm": "y"})
    assert response.status_code == 302
    versions = session.scalars(select(RoundResult).where(RoundResult.round_id == round_.id)
                               .order_by(RoundResult.version)).all()
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].ballots_pb and versions[1].correction_reason.startswith("Twee papieren")
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "round.results_correct")).reason
    body = client.get(f"/rounds/{round_.id}/results").get_data(as_text=True).replace("\xa0", " ")
    assert "Versie 2, gecorrigeerd op" in body and "Twee papieren stembiljetten waren vergeten." in body


def test_manager_of_another_area_cannot_see_or_publish(client, auth, session, area):
    round_ = _knapsack_round(session, area)
    other = make_user(session, role=Role.MANAGER, email="ander@example.test", areas=[make_area(session)])
    auth.login(other.email)
    assert client.get(f"/manage/rounds/{round_.id}/results").status_code == 404
    assert client.post(f"/manage/rounds/{round_.id}/results/publish", data={"confirm": "y"}).status_code == 404
    assert session.scalar(select(func.count()).select_from(RoundResult)) == 0


# --- THREAT #9: nothing before publication ------------------------------------------------------

PUBLIC_ROUTES = ("/rounds/{id}/results", "/rounds/{id}/ballots.pb", "/rounds/{id}/results.json",
                 "/rounds/{id}/results.csv", "/rounds/{id}/receipts.txt", "/rounds/{id}/receipt")


@pytest.mark.parametrize("phase", ["voting", "closed"])
def test_results_hidden_before_publication_in_every_channel(client, session, area, phase):
    round_ = _knapsack_round(session, area, phase=phase)
    code = session.scalar(select(Ballot.receipt_code).where(Ballot.round_id == round_.id))
    for route in PUBLIC_ROUTES:
        response = client.get(route.format(id=round_.id))
        assert response.status_code == 404, route
        body = response.get_data(as_text=True).replace("\xa0", " ")
        assert "Stembiljetten" not in body and "Besteed" not in body and "Project A" not in body
    page = client.get(f"/rounds/{round_.id}/results").get_data(as_text=True).replace("\xa0", " ")
    assert "nog niet gepubliceerd" in page
    main = page.split('<main', 1)[1].split(">", 1)[1].split("</main>", 1)[0]
    text = re.sub(r"<[^>]+>", "", main).replace(round_.title, "")
    assert not re.search(r"\d", text), "no numbers before publication"
    posted = client.post(f"/rounds/{round_.id}/receipt", data={"code": code})
    assert posted.status_code == 404
    assert client.get("/rounds/99999/results").status_code == 404


# --- Exports --------------------------------------------------------------------------------------

def test_ballots_pb_round_trips_with_published_hashes(client, session, area):
    round_ = _knapsack_round(session, area, paper=2)
    stored = {b.id: b.receipt_code for b in session.scalars(select(Ballot).where(Ballot.round_id == round_.id))}
    cast = Counter(frozenset(str(i.proposal_id) for i in b.items)
                   for b in session.scalars(select(Ballot).where(Ballot.round_id == round_.id)))
    result = _publish(session, round_)
    download = client.get(f"/rounds/{round_.id}/ballots.pb")
    assert download.status_code == 200
    text = download.get_data(as_text=True)
    digest = hashlib.sha256(download.get_data()).hexdigest()
    page = client.get(f"/rounds/{round_.id}/results").get_data(as_text=True).replace("\xa0", " ")
    assert digest == result.ballots_sha256 and digest in page and result.chain_head in page
    assert ballot_files.chain_head(text) == result.chain_head

    election = read_pb(text)
    ids = [p.id for p in election.projects]
    published = Counter(frozenset(ids[i] for i in b.projects) for b in election.ballots)
    assert published == cast
    voter_ids = {b.voter_id for b in election.ballots}
    assert len(voter_ids) == len(election.ballots)
    assert not voter_ids & {str(i) for i in stored} and not voter_ids & set(stored.values())
    for code in stored.values():
        assert code not in text
    assert {p.id for p in election.projects if p.official_selected == 1} == set(result_service.outcome_of(result)["selected"])
    assert "paper" not in text and "online" not in text

    flipped = text.replace("VOTES\nvoter_id;vote\n", "VOTES\nvoter_id;vote\n", 1)
    last = flipped.rstrip("\n")
    tampered = last[:-1] + ("1" if last[-1] != "1" else "2") + "\n"
    assert ballot_files.verify_ballots_file(text, result)
    assert not ballot_files.verify_ballots_file(tampered, result)


def test_published_order_is_shuffled_not_the_stored_order(session, area):
    round_ = make_round_with_proposals(session, area)
    ids = [p.id for p in _proposals(session, round_)]
    import itertools

    subsets = [set(c) for r in (1, 2, 3) for c in itertools.combinations(ids, r)]
    for chosen in subsets:
        make_results_ballot(session, round_, dict.fromkeys(chosen))
    first = ballot_files.ballots_file(counting.count_round(session, round_, seal=False))
    second = ballot_files.ballots_file(counting.count_round(session, round_, seal=False))
    rows1 = [r.split(";", 1)[1] for r in ballot_files.vote_rows(first)]
    rows2 = [r.split(";", 1)[1] for r in ballot_files.vote_rows(second)]
    assert Counter(rows1) == Counter(rows2)
    assert rows1 != rows2  # 25 distinct ballots: the same order twice has chance 1/25!


def test_csv_export_is_formula_injection_safe(client, session, area):
    titles = ['=HYPERLINK("http://evil.test","klik")', "+31 buurtfeest", "-min", "@SUM(A1)", "Speeltuin"]
    round_ = _knapsack_round(session, area, titles=titles)
    _publish(session, round_)
    response = client.get(f"/rounds/{round_.id}/results.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).replace("\xa0", " ")), delimiter=";"))
    names = [row[2] for row in rows[1:]]
    assert '\'=HYPERLINK("http://evil.test","klik")' in names
    for name in names:
        assert not name.startswith(("=", "+", "-", "@", "\t", "\r")), name
    assert "Speeltuin" in names
    assert csv_cells.csv_safe("\tx") == "'\tx" and csv_cells.csv_safe("\rx") == "'\rx"


def test_every_project_has_an_explanation_on_page_and_in_json(client, session, area):
    round_ = _knapsack_round(session, area)
    _publish(session, round_)
    data = client.get(f"/rounds/{round_.id}/results.json").get_json()
    assert {"rule", "budget", "spent", "ballots_sha256", "projects"} <= set(data)
    assert data["budget"] == 100000 and data["spent"] == 95000 and data["ballots"] == 7
    page = client.get(f"/rounds/{round_.id}/results").get_data(as_text=True).replace("\xa0", " ")
    assert len(data["projects"]) == 5
    for p in data["projects"]:
        assert {"id", "external_id", "name", "cost", "score", "selected", "reason"} <= set(p)
        assert p["reason"].startswith("Gekozen" if p["selected"] else "Niet gekozen")
        assert p["reason"].replace("'", "&#39;") in page
    d = next(p for p in data["projects"] if p["name"] == "Project D")
    assert "€ 5.000" in d["reason"]  # only 5,000 left when D (20,000) came up


def test_paper_ballots_counted_alongside_and_shown_separately(client, session, area):
    round_ = _knapsack_round(session, area, paper=3)
    result = _publish(session, round_)
    assert (result.ballots_online, result.ballots_paper) == (4, 3)
    page = client.get(f"/rounds/{round_.id}/results").get_data(as_text=True).replace("\xa0", " ")
    assert "4 online en 3 op papier" in page


# --- Recount ---------------------------------------------------------------------------------------

def _recount(tmp_path, text, rule, tie_break):
    path = tmp_path / "ballots.pb"
    path.write_text(text, encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "pb.tally", str(path), "--rule", rule, "--tie-break", tie_break,
                          "--json"], cwd=REPO, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("ballot_type, rule", [
    ("knapsack", "greedy"), ("approval", "equalshares"), ("cumulative", "phragmen"), ("ranked", "greedy"),
    ("k_approval", "max-welfare"),
])
def test_recount_from_published_file_equals_published_outcome(client, session, area, tmp_path, ballot_type, rule):
    config = {"points_total": 10} if ballot_type == "cumulative" else {}
    if ballot_type in ("ranked", "k_approval"):
        config["max_projects"] = 3
    round_ = make_round_with_proposals(session, area, ballot_type=ballot_type, counting_rule=rule,
                                tie_break="lottery", tie_break_seed="20261124", **config)
    ids = [p.id for p in _proposals(session, round_)]
    patterns = [(0, 1), (0, 2, 3), (1, 4), (2, 3, 4), (0,), (3, 1, 0), (4, 2)]
    for pattern in patterns * 3:
        if ballot_type == "cumulative":
            choices = {ids[i]: 10 // len(pattern) for i in pattern}
        elif ballot_type == "ranked":
            choices = {ids[i]: r for r, i in enumerate(pattern, start=1)}
        else:
            choices = dict.fromkeys(ids[i] for i in pattern)
        make_results_ballot(session, round_, choices)
    result = _publish(session, round_)
    data = client.get(f"/rounds/{round_.id}/results.json").get_json()
    text = client.get(f"/rounds/{round_.id}/ballots.pb").get_data(as_text=True)
    recount = _recount(tmp_path, text, result.rule, "lottery:20261124")
    assert recount["selected"] == data["selected"]
    assert recount["rule"] == data["rule"] == result.rule
    page = client.get(f"/rounds/{round_.id}/results").get_data(as_text=True).replace("\xa0", " ")
    assert f"python -m pb.tally ballots.pb --rule {result.rule} --tie-break lottery:20261124 --json" in page


# --- Receipts ----------------------------------------------------------------------------------------

def test_receipt_check_and_code_list(client, session, area):
    round_ = _knapsack_round(session, area)
    codes = sorted(session.scalars(select(Ballot.receipt_code).where(Ballot.round_id == round_.id)))
    _publish(session, round_)
    listing = client.get(f"/rounds/{round_.id}/receipts.txt").get_data(as_text=True).replace("\xa0", " ")
    assert listing.split() == codes
    ok = client.post(f"/rounds/{round_.id}/receipt", data={"code": codes[0].lower()}).get_data(as_text=True).replace("\xa0", " ")
    assert "Uw stem is meegeteld." in ok
    bad = client.post(f"/rounds/{round_.id}/receipt", data={"code": "AAAA-BBBB-CCCC"}).get_data(as_text=True).replace("\xa0", " ")
    assert "Uw stem is meegeteld." not in bad and "staat niet in de lijst" in bad
    assert 'href="/contact"' in bad  # "contact the municipality" leads to its contact details
    assert ("Heeft u uw stem gewijzigd?" in bad) is bool(round_.allow_revote)
    assert client.post(f"/rounds/{round_.id}/receipt", data={"code": codes[0]}, csrf=False).status_code == 400


def test_results_index_lists_published_rounds_and_managers_see_rounds_to_publish(client, auth, session, area, manager):
    waiting = _knapsack_round(session, area)
    done = _knapsack_round(session, area)
    _publish(session, done)
    page = client.get("/results").get_data(as_text=True)
    assert f"/rounds/{done.id}/results" in page and done.title in page
    assert f"/manage/rounds/{waiting.id}/results" not in page
    auth.login(manager.email)
    page = client.get("/results").get_data(as_text=True)
    assert f"/manage/rounds/{waiting.id}/results" in page
    assert f"/manage/rounds/{done.id}/results" not in page


def test_project_names_are_escaped_on_the_page_and_in_the_chart(client, session, area):
    payload = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    round_ = _knapsack_round(session, area, titles=[payload, "B", "C", "D", "E"])
    _publish(session, round_)
    page = client.get(f"/rounds/{round_.id}/results").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    chart = page.split('class="chart chart-scores"', 1)[1].split("</figure>", 1)[0]
    assert "&lt;script&gt;" in chart
    data = client.get(f"/rounds/{round_.id}/results.json").get_json()
    assert payload in [p["name"] for p in data["projects"]]
    assert client.get(f"/rounds/{round_.id}/results.json").headers["Content-Type"].startswith("application/json")


def test_results_page_is_rendered_once_per_version_and_language(client, auth, session, area, manager, monkeypatch):
    """Issue 19: the published page's content is kept per process; a correction or another language
    is a new page, and the kept content never carries the visitor's login."""
    round_ = _knapsack_round(session, area)
    _publish(session, round_, manager)
    url = f"/rounds/{round_.id}/results"
    first = client.get(url).get_data(as_text=True)
    assert "Gepubliceerd op" in first and "Inloggen" in first

    def refuse(*_args, **_kwargs):
        raise AssertionError("the kept page was rendered again")

    monkeypatch.setattr(counting, "outcome_record", refuse)
    assert client.get(url).get_data(as_text=True) == first
    auth.login(manager.email)
    mine = client.get(url).get_data(as_text=True)
    assert "Uitloggen" in mine and "Inloggen" not in mine  # the page around the kept content is per visitor
    assert mine.split("<h1>", 1)[1].split("</main>")[0] == first.split("<h1>", 1)[1].split("</main>")[0]
    monkeypatch.undo()

    client.post("/language", data={"lang": "en", "next": url})
    assert "Published on" in client.get(url).get_data(as_text=True)
    client.post("/language", data={"lang": "nl", "next": url})
    client.post(f"/manage/rounds/{round_.id}/results/correct",
                data={"reason": "Twee papieren stembiljetten waren vergeten.", "confirm": "y"})
    corrected = client.get(url).get_data(as_text=True).replace("\xa0", " ")
    assert "Versie 2, gecorrigeerd op" in corrected
