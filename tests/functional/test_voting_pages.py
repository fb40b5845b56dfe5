"""Voting pages: every ballot type, review step, cast, receipt, no-JS errors, re-vote."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from pb.models.ballot import Ballot, BallotItem, Participation, SealedBallot
from pb.models.round import BallotType
from pb.models.user import Role
from pb.demo import voting as demo_voting
from pb.services import ballot_mixing
from pb.services import ballots as ballot_service
from tests.factories import close_and_seal, make_area, make_proposal, make_resident, make_round, make_user, mix_now


def _count(session, model) -> int:
    session.commit()
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def knapsack(session):
    area = make_area(session)
    round_ = make_round(session, area, budget_cents=2_500_000)
    props = [make_proposal(session, round_, title=f"Speeltuin {i}", estimated_cost_cents=1_000_000) for i in range(3)]
    voter = make_resident(session, area)
    session.commit()
    return round_, props, voter


def test_knapsack_review_then_cast_shows_receipt(client, auth, session, knapsack):
    round_, props, voter = knapsack
    auth.login(voter.email)
    page = client.get(f"/rounds/{round_.id}/vote")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for p in props:
        assert p.title in html and f'href="/proposals/{p.id}"' in html
    assert 'aria-live="polite"' in html and "<legend>" in html

    review = client.post(f"/rounds/{round_.id}/vote", data={"project": [str(props[0].id), str(props[1].id)]})
    body = review.get_data(as_text=True)
    assert review.status_code == 200 and "Controleer uw keuze" in body
    assert _count(session, Ballot) == 0  # the review step writes nothing

    cast = client.post(f"/rounds/{round_.id}/vote/cast",
                       data={"project": [str(props[0].id), str(props[1].id)], "action": "cast"})
    assert cast.status_code == 200
    receipt = cast.get_data(as_text=True)
    code = re.search(r'id="receipt-code">([A-Z0-9-]+)<', receipt).group(1)
    assert "Uw stem is opgeslagen" in receipt
    # The receipt is in no cookie: the session holds nothing that leads to the ballot.
    with client.session_transaction() as sess:
        assert code not in repr(dict(sess))
    assert _count(session, Ballot) == 0 and _count(session, SealedBallot) == 1  # sealed until mixed
    mix_now(session, round_)
    ballot = session.scalars(select(Ballot)).one()
    assert ballot.receipt_code == code
    assert sorted(i.proposal_id for i in ballot.items) == sorted([props[0].id, props[1].id])
    assert session.scalars(select(Participation)).one().voter_id == voter.id

    download = client.post(f"/rounds/{round_.id}/vote/receipt.txt", data={"code": code})
    assert download.status_code == 200 and code in download.get_data(as_text=True)
    assert "attachment" in download.headers["Content-Disposition"]
    assert client.post(f"/rounds/{round_.id}/vote/receipt.txt", data={"code": "<script>"}).status_code == 400

    again = client.get(f"/rounds/{round_.id}/vote")
    assert "U heeft al gestemd" in again.get_data(as_text=True)


def test_over_budget_without_js_rerenders_with_dutch_error_and_keeps_choices(client, auth, session, knapsack):
    round_, props, voter = knapsack
    auth.login(voter.email)
    resp = client.post(f"/rounds/{round_.id}/vote", data={"project": [str(p.id) for p in props]})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "meer dan het budget" in html
    assert _count(session, Ballot) == 0 and _count(session, Participation) == 0
    for p in props:
        assert re.search(rf'value="{p.id}" id="project-{p.id}"[^>]*checked', html)
    assert _count(session, Ballot) == 0


def test_edit_from_review_keeps_choices(client, auth, knapsack):
    round_, props, voter = knapsack
    auth.login(voter.email)
    resp = client.post(f"/rounds/{round_.id}/vote/cast", data={"project": [str(props[2].id)], "action": "edit"})
    html = resp.get_data(as_text=True)
    assert re.search(rf'id="project-{props[2].id}"[^>]*checked', html)
    assert not re.search(rf'id="project-{props[0].id}"[^>]*checked', html)


def test_project_order_is_shuffled_per_voter_but_stable(client, auth, session):
    area = make_area(session)
    round_ = make_round(session, area, ballot_type=BallotType.APPROVAL)
    props = [make_proposal(session, round_, title=f"Plan{i:02d}x") for i in range(12)]
    voters = [make_resident(session, area) for _ in range(3)]
    session.commit()
    orders = []
    for voter in voters:
        auth.login(voter.email)
        first = re.findall(r"Plan\d\dx", client.get(f"/rounds/{round_.id}/vote").get_data(as_text=True))
        second = re.findall(r"Plan\d\dx", client.get(f"/rounds/{round_.id}/vote").get_data(as_text=True))
        assert first == second
        orders.append(tuple(dict.fromkeys(first)))
        auth.logout()
    assert len(set(orders)) > 1
    assert {len(o) for o in orders} == {len(props)}


@pytest.mark.parametrize("ballot_type,extra,data_of,expect", [
    (BallotType.APPROVAL, {}, lambda p: {"project": [str(p[0].id), str(p[2].id)]}, {0: (None, None), 2: (None, None)}),
    (BallotType.K_APPROVAL, {"max_projects": 2}, lambda p: {"project": [str(p[1].id)]}, {1: (None, None)}),
    (BallotType.CUMULATIVE, {"points_total": 10, "points_max_per_project": 6},
     lambda p: {f"points-{p[0].id}": "6", f"points-{p[1].id}": "4", f"points-{p[2].id}": "0"},
     {0: (6, None), 1: (4, None)}),
    (BallotType.RANKED, {"max_projects": 3}, lambda p: {"rank-1": str(p[2].id), "rank-2": str(p[0].id), "rank-3": ""},
     {2: (None, 1), 0: (None, 2)}),
    (BallotType.CHOOSE_ONE, {}, lambda p: {"project": str(p[1].id)}, {1: (None, None)}),
])
def test_every_ballot_type_casts_through_the_pages(client, auth, session, ballot_type, extra, data_of, expect):
    area = make_area(session)
    round_ = make_round(session, area, ballot_type=ballot_type, **extra)
    props = [make_proposal(session, round_) for _ in range(3)]
    voter = make_resident(session, area)
    session.commit()
    auth.login(voter.email)
    page = client.get(f"/rounds/{round_.id}/vote").get_data(as_text=True)
    assert "<fieldset" in page and "<legend>" in page
    data = data_of(props)
    assert client.post(f"/rounds/{round_.id}/vote", data=data).status_code == 200
    resp = client.post(f"/rounds/{round_.id}/vote/cast", data={**data, "action": "cast"})
    assert resp.status_code == 200 and 'id="receipt-code"' in resp.get_data(as_text=True)
    mix_now(session, round_)
    items = {i.proposal_id: (i.points, i.rank) for i in session.scalars(select(BallotItem))}
    assert items == {props[k].id: v for k, v in expect.items()}


def test_non_resident_cannot_open_the_ballot(client, auth, session, knapsack):
    round_, _props, _voter = knapsack
    outsider = make_user(session)
    session.commit()
    auth.login(outsider.email)
    assert client.get(f"/rounds/{round_.id}/vote").status_code == 403
    resp = client.post(f"/rounds/{round_.id}/vote/cast", data={"project": "1", "action": "cast"})
    assert resp.status_code == 403
    assert _count(session, Participation) == 0


def test_revote_replaces_the_ballot_once(client, auth, session):
    area = make_area(session)
    round_ = make_round(session, area, ballot_type=BallotType.APPROVAL, allow_revote=True)
    p1, p2 = make_proposal(session, round_), make_proposal(session, round_)
    voter = make_resident(session, area)
    session.commit()
    auth.login(voter.email)
    first = client.post(f"/rounds/{round_.id}/vote/cast", data={"project": str(p1.id), "action": "cast"})
    first_code = re.search(r'id="receipt-code">([A-Z0-9-]+)<', first.get_data(as_text=True)).group(1)
    assert "U kunt uw stem nog één keer wijzigen, tot het stemmen sluit" in first.get_data(as_text=True)
    mix_now(session, round_)  # the first ballot may already be mixed when the voter changes it
    assert "Daarna kunt u niet meer wijzigen" in client.get(f"/rounds/{round_.id}/vote").get_data(as_text=True)
    second = client.post(f"/rounds/{round_.id}/vote/cast", data={"project": str(p2.id), "action": "cast"})
    assert "Uw nieuwe stem is opgeslagen" in second.get_data(as_text=True)
    assert "Dat kan maar één keer" in second.get_data(as_text=True)
    assert session.scalars(select(Participation)).one().revotes == 1
    third = client.post(f"/rounds/{round_.id}/vote/cast", data={"project": str(p1.id), "action": "cast"})
    assert third.status_code == 409
    # Until sealing both ballots exist (nothing touched the old one in the voter's transaction);
    # sealing drops the replaced one.
    assert _count(session, Ballot) + _count(session, SealedBallot) == 2
    close_and_seal(session, round_)
    ballot = session.scalars(select(Ballot)).one()
    assert [i.proposal_id for i in ballot.items] == [p2.id]
    assert ballot.receipt_code != first_code


def test_late_cast_is_refused_and_nothing_is_written(client, auth, session):
    import datetime as dt

    from pb.db import utcnow
    from pb.models.ballot import BallotSealKey, RoundSeal

    area = make_area(session)
    round_ = make_round(session, area, ballot_type=BallotType.APPROVAL, allow_revote=True)
    proposal = make_proposal(session, round_)
    early, late = make_resident(session, area), make_resident(session, area)
    ballot_service.cast_ballot(session, round_, voter=early, choices={proposal.id: 1})
    round_.voting_close_at = utcnow() - dt.timedelta(seconds=1)
    session.commit()
    assert session.scalars(select(Participation.sealed_pointer)).one() is not None
    auth.login(late.email)
    resp = client.post(f"/rounds/{round_.id}/vote/cast", data={"project": str(proposal.id), "action": "cast"})
    assert resp.status_code == 409 and "gesloten" in resp.get_data(as_text=True)
    assert _count(session, SealedBallot) == 1 and _count(session, Participation) == 1
    # Sealing is the cron job's (or publishing's) work, not a late voter's request.
    assert _count(session, RoundSeal) == 0
    ballot_mixing.seal_round(session, round_)
    session.commit()
    assert session.scalars(select(Participation.sealed_pointer)).one() is None
    assert _count(session, BallotSealKey) == 0 and _count(session, RoundSeal) == 1
    assert _count(session, Ballot) == 1 and _count(session, SealedBallot) == 0


def test_seal_rounds_cli(runner, session):
    import datetime as dt

    from pb.db import utcnow
    from pb.models.ballot import RoundSeal

    area = make_area(session)
    round_ = make_round(session, area, ballot_type=BallotType.APPROVAL, allow_revote=True)
    proposal = make_proposal(session, round_)
    ballot_service.cast_ballot(session, round_, voter=make_resident(session, area), choices={proposal.id: 1})
    open_round = make_round(session, area)
    round_.voting_close_at = utcnow() - dt.timedelta(seconds=1)
    session.commit()
    result = runner.invoke(args=["pb", "seal-rounds"])
    assert result.exit_code == 0 and f"Sealed round {round_.id}" in result.output
    assert session.scalars(select(Participation.sealed_pointer)).one() is None
    assert runner.invoke(args=["pb", "seal-rounds"]).output.strip() == "Nothing to seal."
    refused = runner.invoke(args=["pb", "seal-rounds", "--round", str(open_round.id)])
    assert refused.exit_code != 0 and "nog niet gesloten" in refused.output
    assert _count(session, RoundSeal) == 1


def test_demo_round_is_loaded_once(session):
    from pb.demo import people as demo

    demo.load_demo(session)
    demo.load_demo(session)
    session.commit()
    from pb.models.round import BudgetRound

    rounds = session.scalars(select(BudgetRound).where(BudgetRound.title == demo_voting.DEMO_ROUND_TITLE)).all()
    assert len(rounds) == 1 and len(ballot_service.ballot_proposals(session, rounds[0])) == 5


def test_ranked_and_cumulative_errors_keep_the_choices_without_js(client, auth, session):
    area = make_area(session)
    ranked = make_round(session, area, ballot_type=BallotType.RANKED, max_projects=3)
    cumulative = make_round(session, area, ballot_type=BallotType.CUMULATIVE, points_total=10)
    r_props = [make_proposal(session, ranked) for _ in range(3)]
    c_props = [make_proposal(session, cumulative) for _ in range(2)]
    voter = make_resident(session, area)
    session.commit()
    auth.login(voter.email)
    resp = client.post(f"/rounds/{ranked.id}/vote", data={"rank-1": str(r_props[1].id), "rank-3": str(r_props[0].id)})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "zonder plaatsen over te slaan" in html
    assert re.search(rf'<select id="rank-1".*?value="{r_props[1].id}" selected', html, re.S)
    assert re.search(rf'<select id="rank-3".*?value="{r_props[0].id}" selected', html, re.S)
    resp = client.post(f"/rounds/{cumulative.id}/vote", data={f"points-{c_props[0].id}": "7", f"points-{c_props[1].id}": "2"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "Verdeel precies 10 punten" in html
    assert re.search(rf'id="points-{c_props[0].id}"[^>]*value="7"', html)
    assert _count(session, Ballot) == 0


def test_mix_ballots_cli_waits_for_a_batch_then_seals_closed_rounds(app, runner, session):
    import datetime as dt

    from pb.db import utcnow
    from pb.models.ballot import RoundSeal

    app.config["MIX_MIN_BATCH"] = 3
    area = make_area(session)
    round_ = make_round(session, area, ballot_type=BallotType.APPROVAL)
    proposal = make_proposal(session, round_)
    voters = [make_resident(session, area) for _ in range(4)]
    for voter in voters[:2]:
        ballot_service.cast_ballot(session, round_, voter=voter, choices={proposal.id: 1})
    session.commit()
    result = runner.invoke(args=["pb", "mix-ballots"])
    assert result.exit_code == 0 and result.output.strip() == "Nothing to mix."  # a batch of 2 would link
    assert _count(session, SealedBallot) == 2 and _count(session, Ballot) == 0
    ballot_service.cast_ballot(session, round_, voter=voters[2], choices={proposal.id: 1})
    session.commit()
    result = runner.invoke(args=["pb", "mix-ballots"])
    assert f"Mixed 3 ballots of round {round_.id}" in result.output
    assert _count(session, SealedBallot) == 0 and _count(session, Ballot) == 3
    ballot_service.cast_ballot(session, round_, voter=voters[3], choices={proposal.id: 1})
    round_.voting_close_at = utcnow() - dt.timedelta(seconds=1)
    session.commit()
    result = runner.invoke(args=["pb", "mix-ballots"])
    assert result.exit_code == 0 and f"Sealed round {round_.id}" in result.output
    assert _count(session, SealedBallot) == 0 and _count(session, Ballot) == 4 and _count(session, RoundSeal) == 1


def test_revote_wording_matches_the_one_change_rule(client, auth, session):
    """The manager's checkbox and the resident's ballot say: one change, until voting closes."""
    area = make_area(session)
    round_ = make_round(session, area, ballot_type=BallotType.APPROVAL, allow_revote=True)
    make_proposal(session, round_)
    voter = make_resident(session, area)
    manager = make_user(session, role=Role.MANAGER, areas=[area])
    session.commit()
    auth.login(voter.email)
    page = client.get(f"/rounds/{round_.id}/vote").get_data(as_text=True)
    assert "nog één keer wijzigen, tot het stemmen sluit" in page
    auth.logout()
    auth.login(manager.email)
    form = client.get(f"/manage/rounds/{round_.id}/edit").get_data(as_text=True)
    assert "Bewoners mogen hun stem één keer wijzigen" in form and "wijzigen tot het stemmen sluit" not in form
    assert "één keer een nieuwe stem" in form
