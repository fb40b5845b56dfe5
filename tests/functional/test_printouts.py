"""Printouts (issue 18): the blank paper ballot and the project booklet contain every project of the
round, numbered exactly as on the staff's paper-entry form; they are linked from the information
point, the manager's rounds and (the booklet) the public round page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from pb.db import utcnow
from pb.models.round import BallotType
from pb.models.user import Role, User
from pb.services import ballots as ballot_service
from pb.services import paper_ballots
from tests.factories import make_area, make_proposal, make_resident, make_round, make_user

NUMBERED_ROW = re.compile(r'<td class="nr">(\d+)</td>\s*<th scope="row">([^<]+)</th>')
NUMBERED_HEAD = re.compile(r'<span class="ballot-number">(\d+)\.</span>\s*(?:<span class="ballot-title">)?([^<]+?)\s*<')


@pytest.fixture
def voting_round(session):
    area = make_area(session, name="Ulft")
    round_ = make_round(session, area, ballot_type=BallotType.APPROVAL)
    now = utcnow()
    # Submitted in another order than their ids: the number follows the round's project order.
    titles = ["Bankjes bij de kerk", "Speeltuin Oost", "AED & kast <buiten>", "Bomen op het plein"]
    for i, title in enumerate(titles):
        make_proposal(session, round_, title=title, summary=f"Samenvatting {i}", location="Dorpsstraat",
                      submitted_at=now - dt.timedelta(days=(i * 7) % 5), estimated_cost_cents=100_000 * (i + 1))
    make_proposal(session, round_, title="Niet haalbaar plan", status="infeasible")
    staff = make_user(session, role=Role.STAFF, email="balie@example.test", areas=[area])
    manager = make_user(session, role=Role.MANAGER, email="regie@example.test", areas=[area])
    make_resident(session, area, user=make_user(session, email="kiezer@example.test"))
    session.commit()
    return round_, staff, manager


def _paper_form_numbers(client, auth, round_) -> dict[str, int]:
    """Number per title on the staff's paper-entry form (once a resident is found)."""
    auth.login("balie@example.test")
    page = client.get(f"/infopunt/rounds/{round_.id}/paper", query_string={"login": "kiezer@example.test"})
    auth.logout()
    return {_unescape(title): int(n) for n, title in NUMBERED_HEAD.findall(page.get_data(as_text=True))}


def _unescape(text: str) -> str:
    return text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&#39;", "'").strip()


def test_blank_ballot_and_booklet_number_every_project_like_the_paper_entry_form(client, auth, session,
                                                                                   voting_round):
    round_, staff, _manager = voting_round
    on_ballot = [p.title for p in ballot_service.ballot_proposals(session, round_)]
    assert len(on_ballot) == 4
    expected = {title: n for n, title in enumerate(on_ballot, start=1)}

    entry_numbers = _paper_form_numbers(client, auth, round_)
    assert entry_numbers == expected
    # The second staff member sees the same numbers on the entry to confirm.
    voter = session.scalar(select(User).where(User.email == "kiezer@example.test"))
    chosen = ballot_service.ballot_proposals(session, round_)[2]
    paper_ballots.enter_paper_ballot(session, round_, staff=staff, voter=voter, choices={chosen.id: 1})
    session.commit()
    auth.login("regie@example.test")
    pending = client.get(f"/infopunt/rounds/{round_.id}/paper/pending").get_data(as_text=True)
    auth.logout()
    assert f"<li>3. {chosen.title.replace('&', '&amp;')}" in pending

    ballot = client.get(f"/rounds/{round_.id}/print/ballot")
    assert ballot.status_code == 200
    rows = {_unescape(title): int(n) for n, title in NUMBERED_ROW.findall(ballot.get_data(as_text=True))}
    assert rows == expected
    body = ballot.get_data(as_text=True)
    assert "Niet haalbaar plan" not in body and "AED &amp; kast &lt;buiten&gt;" in body
    assert body.count('class="tick-box"') == 4
    assert "css/print.css" in body

    booklet = client.get(f"/rounds/{round_.id}/print/booklet")
    assert booklet.status_code == 200
    text = booklet.get_data(as_text=True)
    heads = {_unescape(title): int(n) for n, title in NUMBERED_HEAD.findall(text)}
    assert heads == expected
    for i in range(4):
        assert f"Samenvatting {i}" in text
    assert "€\xa01.000,00" in text or "€ 1.000,00" in text
    assert "Niet haalbaar plan" not in text


def test_ranked_and_points_ballots_have_the_right_marks(client, session):
    area = make_area(session)
    ranked = make_round(session, area, ballot_type=BallotType.RANKED, max_projects=2)
    points = make_round(session, area, ballot_type=BallotType.CUMULATIVE, points_total=10)
    for r in (ranked, points):
        for i in range(3):
            make_proposal(session, r, title=f"Plan {r.id}-{i}")
    session.commit()
    body = client.get(f"/rounds/{ranked.id}/print/ballot").get_data(as_text=True)
    assert body.count("<li>Plaats ") == 2 and 'class="tick-box"' not in body
    body = client.get(f"/rounds/{points.id}/print/ballot").get_data(as_text=True)
    assert body.count('class="write-line"') == 3 and "Verdeel precies 10 punten" in body


def test_an_empty_ballot_says_so_and_an_unfrozen_one_warns(client, session):
    area = make_area(session)
    waiting = make_round(session, area, phase="review")
    session.commit()
    body = client.get(f"/rounds/{waiting.id}/print/ballot").get_data(as_text=True)
    assert "Er staan nog geen projecten op het stembiljet." in body
    make_proposal(session, waiting, title="Vroeg plan")
    session.commit()
    body = client.get(f"/rounds/{waiting.id}/print/booklet").get_data(as_text=True)
    assert "Vroeg plan" in body and "kan nog veranderen" in body
    assert client.get("/rounds/999999/print/ballot").status_code == 404


def test_printouts_are_linked_from_the_information_point_the_manager_and_the_round_page(client, auth, session,
                                                                                       voting_round):
    round_, _staff, _manager = voting_round
    ballot_url, booklet_url = f"/rounds/{round_.id}/print/ballot", f"/rounds/{round_.id}/print/booklet"
    auth.login("balie@example.test")
    page = client.get("/infopunt/paper").get_data(as_text=True)
    assert ballot_url in page and booklet_url in page
    auth.logout()
    auth.login("regie@example.test")
    page = client.get(f"/manage/areas/{round_.area.slug}/rounds").get_data(as_text=True)
    assert ballot_url in page and booklet_url in page
    auth.logout()
    assert booklet_url in client.get(f"/rounds/{round_.id}").get_data(as_text=True)
