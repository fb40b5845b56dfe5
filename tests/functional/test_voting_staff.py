"""Paper ballots with a second staff member, paper/online exclusivity, turnout, and the crawl
that proves no vote count leaks anywhere during voting (THREATS #9)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from pb.models.audit import AuditEntry
from pb.models.ballot import Ballot, Channel, PaperEntry, Participation, SealedBallot
from pb.models.round import BallotType
from pb.models.user import Role
from pb.services import ballots as ballot_service
from pb.services import grant_decisions, implementations, paper_ballots
from pb.services import turnout as turnout_service
from tests.factories import make_area, make_proposal, make_resident, make_round, make_user, mix_now
from tests.grant_factories import make_application, make_mandate, make_pot, make_settings


def _count(session, model) -> int:
    session.commit()
    return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def setup(session):
    area = make_area(session, postcodes=["7071"])
    round_ = make_round(session, area, ballot_type=BallotType.APPROVAL)
    props = [make_proposal(session, round_, title=f"Bankje {i}") for i in range(3)]
    resident = make_resident(session, area, user=make_user(session, email="piet@example.test", name="Piet Paper"))
    first = make_user(session, role=Role.STAFF, email="staf1@example.test", name="Eerste Medewerker", areas=[area])
    second = make_user(session, role=Role.STAFF, email="staf2@example.test", name="Tweede Medewerker", areas=[area])
    manager = make_user(session, role=Role.MANAGER, email="regie@example.test", areas=[area])
    session.commit()
    return area, round_, props, resident, first, second, manager


def _enter(client, auth, round_, resident, props, staff_email="staf1@example.test"):
    auth.login(staff_email)
    found = client.get(f"/infopunt/rounds/{round_.id}/paper", query_string={"login": resident.email})
    assert "Piet Paper" in found.get_data(as_text=True)
    return client.post(f"/infopunt/rounds/{round_.id}/paper",
                       data={"voter_id": str(resident.id), "project": [str(props[0].id), str(props[2].id)]})


def test_paper_ballot_needs_a_second_staff_member(client, auth, session, setup):
    _area, round_, props, resident, first, second, _m = setup
    resp = _enter(client, auth, round_, resident, props)
    assert resp.status_code == 302
    assert _count(session, PaperEntry) == 1
    assert _count(session, Participation) == 0 and _count(session, Ballot) == 0

    own = client.get(f"/infopunt/rounds/{round_.id}/paper/pending").get_data(as_text=True)
    assert "Klopt, bevestigen" not in own and "Piet Paper" in own
    entry = session.scalars(select(PaperEntry)).one()
    refused = client.post(f"/infopunt/rounds/{round_.id}/paper/{entry.id}/confirm", follow_redirects=True)
    assert "tweede medewerker" in refused.get_data(as_text=True).lower()
    assert _count(session, Participation) == 0 and _count(session, PaperEntry) == 1

    auth.logout()
    auth.login(second.email)
    pending = client.get(f"/infopunt/rounds/{round_.id}/paper/pending").get_data(as_text=True)
    assert "Bankje 0" in pending and "Bankje 2" in pending and "Bankje 1" not in pending
    ok = client.post(f"/infopunt/rounds/{round_.id}/paper/{entry.id}/confirm", follow_redirects=True)
    assert "bevestigd" in ok.get_data(as_text=True)
    participation = session.scalars(select(Participation)).one()
    # The confirmation wrote the participation and the sealed ballot, never a ballot row.
    assert _count(session, Ballot) == 0 and _count(session, SealedBallot) == 1
    confirm = session.scalars(select(AuditEntry).where(AuditEntry.action == "paper_ballot.confirm")).one()
    assert str(resident.id) not in confirm.after_json
    mix_now(session, round_)
    ballot = session.scalars(select(Ballot)).one()
    assert participation.voter_id == resident.id and participation.channel == Channel.PAPER
    assert ballot.channel == Channel.PAPER
    assert sorted(i.proposal_id for i in ballot.items) == [props[0].id, props[2].id]
    assert _count(session, PaperEntry) == 0  # the voter-next-to-choices row is gone

    actions = [(e.action, e.actor_id) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.seq))]
    assert ("paper_ballot.enter", first.id) in actions and ("paper_ballot.confirm", second.id) in actions
    for entry_row in session.scalars(select(AuditEntry)):
        assert str(props[0].id) not in entry_row.after_json.replace(str(resident.id), "")  # no ballot contents
        assert "Bankje" not in entry_row.after_json

    # Voted on paper: online voting is refused.
    auth.logout()
    auth.login(resident.email)
    page = client.get(f"/rounds/{round_.id}/vote").get_data(as_text=True)
    assert "U heeft al gestemd" in page and "op papier" in page
    resp = client.post(f"/rounds/{round_.id}/vote/cast", data={"project": str(props[1].id), "action": "cast"})
    assert resp.status_code == 409
    assert _count(session, Ballot) == 1 and _count(session, SealedBallot) == 0


def test_online_voter_cannot_also_vote_on_paper(client, auth, session, setup):
    _area, round_, props, resident, first, second, _m = setup
    ballot_service.cast_ballot(session, round_, voter=resident, choices={props[1].id: 1})
    session.commit()
    auth.login(first.email)
    found = client.get(f"/infopunt/rounds/{round_.id}/paper", query_string={"login": resident.email})
    assert "al gestemd" in found.get_data(as_text=True)
    resp = client.post(f"/infopunt/rounds/{round_.id}/paper",
                       data={"voter_id": str(resident.id), "project": str(props[0].id)})
    assert resp.status_code == 409 and _count(session, PaperEntry) == 0
    assert _count(session, SealedBallot) == 1


def test_online_vote_between_entry_and_confirmation_wins(client, auth, session, setup):
    _area, round_, props, resident, _first, second, _m = setup
    assert _enter(client, auth, round_, resident, props).status_code == 302
    ballot_service.cast_ballot(session, round_, voter=resident, choices={props[1].id: 1})
    session.commit()
    auth.logout()
    auth.login(second.email)
    entry = session.scalars(select(PaperEntry)).one()
    resp = client.post(f"/infopunt/rounds/{round_.id}/paper/{entry.id}/confirm", follow_redirects=True)
    assert "al gestemd" in resp.get_data(as_text=True)
    assert _count(session, Participation) == 1 and _count(session, SealedBallot) == 1
    mix_now(session, round_)
    ballot = session.scalars(select(Ballot)).one()
    assert ballot.channel == Channel.ONLINE


def test_reject_removes_the_entry_with_a_reason(client, auth, session, setup):
    _area, round_, props, resident, _first, second, _m = setup
    _enter(client, auth, round_, resident, props)
    auth.logout()
    auth.login(second.email)
    entry = session.scalars(select(PaperEntry)).one()
    resp = client.post(f"/infopunt/rounds/{round_.id}/paper/{entry.id}/reject", data={"reason": "Verkeerd project"})
    assert resp.status_code == 302
    assert _count(session, PaperEntry) == 0 and _count(session, Ballot) + _count(session, SealedBallot) == 0
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert last.action == "paper_ballot.reject" and last.reason == "Verkeerd project"


def test_residents_and_other_managers_cannot_use_the_information_point(client, auth, session, setup):
    area, round_, _props, resident, _first, _second, _m = setup
    other_manager = make_user(session, role=Role.MANAGER, areas=[make_area(session)])
    session.commit()
    for user in (resident, other_manager):
        auth.login(user.email)
        assert client.get(f"/infopunt/rounds/{round_.id}/paper").status_code == 403
        assert client.get(f"/infopunt/rounds/{round_.id}/paper/pending").status_code == 403
        assert client.get(f"/manage/rounds/{round_.id}/turnout").status_code == 403
        auth.logout()


def test_turnout_page_shows_participation_per_day_only(client, auth, session, setup):
    area, round_, props, resident, _first, _second, manager = setup
    for _ in range(3):
        ballot_service.cast_ballot(session, round_, voter=make_resident(session, area), choices={props[0].id: 1})
    session.commit()
    auth.login(manager.email)
    html = client.get(f"/manage/rounds/{round_.id}/turnout").get_data(as_text=True)
    assert "Opkomst" in html and re.search(r"<dd>3</dd>", html)
    assert "Per postcode is nog niet beschikbaar" in html
    assert "Bankje" not in html


def test_postcode_groups_under_ten_are_hidden():
    rows = turnout_service.postcode_groups(["7071AB"] * 12 + ["7072CD"] * 9 + [None, ""])
    assert rows == [("7071", 12), ("7072", None)]


# --- THREATS #9: crawl every GET route during voting ------------------------------------------

POINT_TOTALS = ("4321", "2679")  # what the two projects would score; must appear nowhere


def _url_for_rule(rule, values):
    args = {}
    for arg in rule.arguments:
        if arg not in values:
            return None
        args[arg] = values[arg]
    try:
        return rule.build(args, append_unknown=False)[1]
    except Exception:  # noqa: BLE001 - a converter that cannot take our value
        return None


def test_no_vote_counts_in_any_response_during_voting(app, client, auth, session):
    area = make_area(session)
    round_ = make_round(session, area, ballot_type=BallotType.CUMULATIVE, points_total=1000,
                        points_max_per_project=1000)
    p1, p2, p3 = (make_proposal(session, round_, title=f"Plan {c}") for c in "ABC")
    shares = [617] * 6 + [619]  # Plan A: 4321 points, Plan B: 2679 points, 7 ballots
    voters = [make_resident(session, area, user=make_user(session, name="Stemmer")) for _ in shares]
    for voter, share in zip(voters, shares, strict=True):
        ballot_service.cast_ballot(session, round_, voter=voter, choices={p1.id: share, p2.id: 1000 - share})
    staff = make_user(session, role=Role.STAFF, name="Medewerker", areas=[area])
    manager = make_user(session, role=Role.MANAGER, name="Regisseur", areas=[area])
    admin = make_user(session, role=Role.ADMIN, name="Beheerder")
    paper_ballots.enter_paper_ballot(session, round_, staff=staff, voter=make_resident(session, area),
                              choices={p3.id: 1000})
    # A small grant given meanwhile: its register entry and tracking are open data during the vote.
    make_settings(session, area, min_backing=0)
    make_pot(session, area)
    make_mandate(session, manager, 100_000)
    grant = make_application(session, area, make_resident(session, area), cents=30_000)
    grant_decisions.grant(session, grant, actor=manager)
    tracking = implementations.of_grant(session, grant)
    session.commit()
    values = {"round_id": round_.id, "id": round_.id, "slug": area.slug, "area_id": area.id,
              "proposal_id": p1.id, "user_id": voters[0].id, "entry_id": 1, "filename": "css/site.css",
              "version": 1, "origin_id": 1, "grant_id": grant.id, "application_id": grant.id,
              "implementation_id": tracking.id}
    rules = [r for r in app.url_map.iter_rules() if "GET" in r.methods and r.endpoint != "static"]
    # The open-data API's lists with every filter, and the index of everything published.
    extra = [f"/api/v1/rounds?area={area.slug}", f"/api/v1/proposals?round={round_.id}",
             f"/api/v1/proposals?round={round_.id}&status=feasible", "/api/v1/results?limit=1",
             f"/api/v1/rounds/{round_.id}/results", f"/api/v1/rounds/{round_.id}/results/1",
             f"/api/v1/grants?area={area.slug}", f"/api/v1/implementations?area={area.slug}",
             f"/api/v1/implementations?area={area.slug}&kind=small_grant&year={tracking.year}",
             "/api/v1/implementations?kind=project"]
    crawled: dict[str, int] = {}
    for who in (None, voters[0], staff, manager, admin):
        if who is not None:
            auth.login(who.email)
        urls = [u for u in (_url_for_rule(rule, values) for rule in rules) if u is not None] + extra
        for url in urls:
            response = client.get(url)
            body = (response.get_data() if response.is_streamed is False else b"".join(response.response))
            body = body.decode("utf-8", "replace")
            crawled[url] = response.status_code
            for total in POINT_TOTALS:
                for shown in (total, f"{total[0]}.{total[1:]}", f"{total[0]} {total[1:]}"):
                    # A whole number only: the digits may occur inside a timestamp's microseconds.
                    pattern = rf"(?<![\d.]){re.escape(shown)}(?![\d])"
                    assert not re.search(pattern, body), f"{url} as {who}: shows {shown}"
            assert not re.search(r"\b7\s+(stemmen|punten|votes)\b", body), url
            if url.startswith("/api/") and not url.endswith("/openapi.json"):
                # No count-shaped field at all in the API before publication.
                assert not re.search(r'"(score|ballots[a-z_]*|votes|turnout|spent)"', body), url
        if who is not None:
            auth.logout()
    assert len(crawled) >= 8
    api_answers = {url: status for url, status in crawled.items() if url.startswith("/api/v1/")}
    assert len(api_answers) >= 12, api_answers
    assert api_answers[f"/api/v1/rounds/{round_.id}"] == 200 and api_answers[f"/api/v1/proposals/{p1.id}"] == 200
    assert api_answers[f"/api/v1/rounds/{round_.id}/results"] == 404
    assert api_answers[f"/api/v1/rounds/{round_.id}/results/1"] == 404
    for url in (f"/api/v1/grants/{grant.id}", f"/api/v1/implementations/{tracking.id}", "/api/v1/grants",
                f"/api/v1/implementations?area={area.slug}", "/api/v1/implementations"):
        assert api_answers[url] == 200, url
    assert crawled[f"/widgets/areas/{area.slug}"] == 200 and crawled[f"/widgets/rounds/{round_.id}/results"] == 404
    # The voter page and the turnout page were among them and answered.
    auth.login(manager.email)
    assert "Opkomst" in client.get(f"/manage/rounds/{round_.id}/turnout").get_data(as_text=True)
