"""Manager pages: create and edit rounds, the freeze over HTTP (409 + audit + unchanged), phase moves,
the review queue (verdict, cost, merge, hide), mass assignment."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from pb.db import utcnow
from pb.forms.rounds import to_local
from pb.models.audit import AuditEntry
from pb.models.proposal import Proposal, ProposalStatus, Support
from pb.models.round import BallotType, BudgetRound, CountingRule
from pb.models.user import Role
from pb.services import rounds as round_service
from tests.factories import make_area, make_proposal, make_resident, make_round, make_user, round_dates
from pb.services import ballots as ballot_service


def _local(moment: dt.datetime) -> str:
    return to_local(moment).strftime("%Y-%m-%dT%H:%M")


def round_form(**overrides) -> dict:
    """POST data for the round form (dates: now in the upcoming phase)."""
    dates = round_dates("upcoming", step_days=3)
    data = {
        "title": "Buurtbudget 2027", "description": "Samen kiezen", "budget": "25.000,00",
        "themes": "Spelen\nGroen", "neighbourhoods": "Noord: 10.000\nZuid",
        **{k: _local(v) for k, v in dates.items()},
        "ballot_type": "knapsack", "counting_rule": "greedy", "tie_break": "lower-cost",
        "min_projects": "", "max_projects": "", "min_budget_share_pct": "", "points_total": "",
        "points_max_per_project": "", "support_threshold": "3", "min_age": "", "max_age": "",
    }
    data.update(overrides)
    return data


def form_of(round_: BudgetRound, **overrides) -> dict:
    """POST data that repeats ``round_``'s current configuration, with ``overrides``."""
    data = round_form(
        title=round_.title, description=round_.description, budget=f"{round_.budget_cents // 100},{round_.budget_cents % 100:02d}",
        themes="\n".join(t.name for t in round_.themes), neighbourhoods="", ballot_type=str(round_.ballot_type),
        counting_rule=str(round_.counting_rule), tie_break=str(round_.tie_break),
        support_threshold=str(round_.support_threshold),
        **{b: _local(getattr(round_, b)) for b in round_service.BOUNDARIES},
    )
    for name in ("min_projects", "max_projects", "min_budget_share_pct", "points_total", "points_max_per_project",
                 "min_age", "max_age"):
        value = getattr(round_, name)
        data[name] = "" if value is None else str(value)
    if round_.allow_revote:
        data["allow_revote"] = "y"
    data.update(overrides)
    return data


@pytest.fixture
def signed_in_manager(session, area, client, auth):
    user = make_user(session, role=Role.MANAGER, areas=[area], email="regisseur@example.test")
    auth.login(user.email)
    return user


def test_create_round_through_form(client, session, area, signed_in_manager):
    resp = client.post(f"/manage/areas/{area.slug}/rounds/new", data=round_form())
    assert resp.status_code == 302, resp.get_data(as_text=True)
    round_ = session.scalar(select(BudgetRound))
    assert round_.title == "Buurtbudget 2027" and round_.budget_cents == 2_500_000 and round_.support_threshold == 3
    assert {(n.name, n.budget_cents) for n in round_.neighbourhoods} == {("Noord", 1_000_000), ("Zuid", None)}
    page = client.get(f"/manage/areas/{area.slug}/rounds").get_data(as_text=True)
    assert "Buurtbudget 2027" in page


@pytest.mark.parametrize(("overrides", "message"), [
    ({"ballot_type": "k_approval"}, "maximum aantal projecten"),
    ({"ballot_type": "cumulative"}, "punten"),
    ({"budget": "0"}, "groter zijn dan 0"),
    ({"budget": "veel"}, "bedrag in euro"),
    ({"min_projects": "4", "max_projects": "2"}, "minimum aantal projecten"),
])
def test_create_round_errors_shown(client, session, area, signed_in_manager, overrides, message):
    resp = client.post(f"/manage/areas/{area.slug}/rounds/new", data=round_form(**overrides))
    assert resp.status_code == 200 and message in resp.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(BudgetRound)) == 0


def test_dates_out_of_order_shown(client, session, area, signed_in_manager):
    data = round_form()
    data["voting_open_at"], data["review_close_at"] = data["review_close_at"], data["voting_open_at"]
    resp = client.post(f"/manage/areas/{area.slug}/rounds/new", data=data)
    assert resp.status_code == 200 and "op volgorde" in resp.get_data(as_text=True)


def test_round_mass_assignment_ignored(client, session, area, signed_in_manager):
    other = make_area(session)
    resp = client.post(f"/manage/areas/{area.slug}/rounds/new",
                       data=round_form(area_id=str(other.id), budget_cents="1", results_published_at="2020-01-01",
                                       id="999"))
    assert resp.status_code == 302
    round_ = session.scalar(select(BudgetRound))
    assert round_.area_id == area.id and round_.budget_cents == 2_500_000 and round_.results_published_at is None
    assert round_.id != 999


def test_edit_round_before_voting(client, session, area, signed_in_manager):
    round_ = make_round(session, area, phase="review")
    resp = client.post(f"/manage/rounds/{round_.id}/edit", data=form_of(round_, budget="12.345,67", ballot_type="ranked",
                                                                      max_projects="3"))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    assert (round_.budget_cents, round_.ballot_type, round_.max_projects) == (1_234_567, BallotType.RANKED, 3)


FROZEN_EDITS = {
    "budget": {"budget": "99.000"},
    "ballot_type": {"ballot_type": "approval"},
    "min_projects": {"min_projects": "1"},
    "max_projects": {"max_projects": "4"},
    "min_budget_share_pct": {"min_budget_share_pct": "25"},
    "counting_rule": {"counting_rule": "phragmen"},
    "tie_break": {"tie_break": "lottery"},
    "neighbourhoods": {"neighbourhoods": "Noord: 500"},
    "min_age": {"min_age": "18"},
    "allow_revote": {"allow_revote": "y"},
}


@pytest.mark.parametrize("name", sorted(FROZEN_EDITS))
def test_frozen_field_edit_is_409_audited_unchanged(client, session, area, signed_in_manager, name):
    round_ = make_round(session, area, phase="voting")
    before = round_service.snapshot(round_)
    resp = client.post(f"/manage/rounds/{round_.id}/edit", data=form_of(round_, **FROZEN_EDITS[name]))
    assert resp.status_code == 409
    assert "liggen vast" in resp.get_data(as_text=True)
    session.refresh(round_)
    assert round_service.snapshot(round_) == before
    refused = session.scalars(select(AuditEntry).where(AuditEntry.action == "round.update.refused")).all()
    assert len(refused) == 1 and refused[0].actor_id == signed_in_manager.id and refused[0].round_id == round_.id


def test_frozen_edit_explains_what_can_still_change(client, session, area, signed_in_manager):
    round_ = make_round(session, area, phase="voting")
    page = client.get(f"/manage/rounds/{round_.id}/edit").get_data(as_text=True)
    assert "Dit kunt u nog wijzigen" in page and "de naam en de beschrijving van de ronde" in page
    resp = client.post(f"/manage/rounds/{round_.id}/edit", data=form_of(round_, budget="99.999,00"))
    body = resp.get_data(as_text=True)
    assert resp.status_code == 409
    assert "Dit kunt u nog wijzigen" in body and "liggen vast" in body and 'role="alert"' in body
    assert "99.999,00" in body  # the manager's input is kept to correct
    assert session.scalar(select(func.count()).select_from(AuditEntry)
                          .where(AuditEntry.action == "round.update.refused")) == 1


def test_frozen_round_text_edit_allowed(client, session, area, signed_in_manager):
    round_ = make_round(session, area, phase="voting", counting_rule=CountingRule.EQUAL_SHARES)
    resp = client.post(f"/manage/rounds/{round_.id}/edit", data=form_of(round_, description="Stem voor 1 december!"))
    assert resp.status_code == 302
    assert round_.description == "Stem voor 1 december!" and round_.counting_rule == CountingRule.EQUAL_SHARES


def test_phase_move_form(client, session, area, signed_in_manager):
    round_ = make_round(session, area, phase="proposals")
    new = utcnow() + dt.timedelta(hours=12)
    resp = client.post(f"/manage/rounds/{round_.id}/phase",
                       data={"boundary": "proposals_close_at", "new_at": _local(new), "reason": ""})
    assert resp.status_code == 200 and "Vul dit veld in" in resp.get_data(as_text=True)
    resp = client.post(f"/manage/rounds/{round_.id}/phase",
                       data={"boundary": "proposals_close_at", "new_at": _local(new), "reason": "Kermis"})
    assert resp.status_code == 302
    assert abs(round_.proposals_close_at - new) < dt.timedelta(minutes=1)
    page = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    assert "Fase verschoven" in page and "Kermis" in page


def test_review_queue_actions(client, session, area, signed_in_manager, outbox):
    round_ = make_round(session, area, phase="review", support_threshold=1)
    author = make_resident(session, area)
    neighbour = make_resident(session, area)
    p = make_proposal(session, round_, author=author, status="submitted", title="Speeltuin", supporters=[neighbour], estimated_cost_cents=100_000)
    dup = make_proposal(session, round_, author=neighbour, status="submitted", title="Speeltuin (dubbel)", supporters=[author, neighbour])
    short = make_proposal(session, round_, author=neighbour, status="submitted", title="Te weinig steun")
    spam = make_proposal(session, round_, author=neighbour, status="submitted", title="Reclame")
    page = client.get(f"/manage/rounds/{round_.id}/review").get_data(as_text=True)
    assert "Steunfase verwerken" in page
    # Issue 18: the cost lines are on the card; merging and hiding are folded away on every card.
    card = page.split(f'id="p{p.id}"', 1)[1].split("</section>", 1)[0]
    assert "Kostenraming van de indiener" in card and "1.000,00" in card.replace("\xa0", " ")
    for line in p.cost_lines:
        assert line.description in card
    more = card.split('<details class="more-actions">', 1)[1].split("</details>", 1)[0]
    assert "Dubbel plan samenvoegen" in more and "Verbergen (bij kwetsende inhoud)" in more
    assert "Dubbel plan samenvoegen" not in card.split('<details class="more-actions">', 1)[0]
    assert p.status == ProposalStatus.SUBMITTED  # GET wrote nothing
    assert client.post(f"/manage/rounds/{round_.id}/settle").status_code == 302
    assert (p.status, short.status) == (ProposalStatus.IN_REVIEW, ProposalStatus.NOT_ENOUGH_SUPPORT)

    resp = client.post(f"/manage/proposals/{p.id}/verdict", data={f"v{p.id}-verdict": "feasible", f"v{p.id}-reason": ""})
    assert resp.status_code == 302 and p.status == ProposalStatus.IN_REVIEW
    client.post(f"/manage/proposals/{p.id}/verdict",
                data={f"v{p.id}-verdict": "feasible", f"v{p.id}-reason": "Past in het onderhoudsplan",
                      "status": "hidden", f"v{p.id}-cost_cents": "1"})
    assert p.status == ProposalStatus.FEASIBLE and p.review_reason == "Past in het onderhoudsplan"
    client.post(f"/manage/proposals/{p.id}/cost", data={f"c{p.id}-cost": "1.250,50", f"c{p.id}-reason": "Hek nodig"})
    assert p.cost_cents == 125_050 and p.cost_reason == "Hek nodig"
    client.post(f"/manage/proposals/{dup.id}/merge", data={f"m{dup.id}-target_id": str(p.id), f"m{dup.id}-reason": "Dubbel"})
    assert dup.status == ProposalStatus.MERGED
    assert session.scalar(select(func.count()).select_from(Support).where(Support.proposal_id == p.id)) == 2
    client.post(f"/manage/proposals/{spam.id}/hide", data={f"h{spam.id}-reason": "Reclame"})
    assert spam.status == ProposalStatus.HIDDEN

    public = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    assert "Plan verborgen" in public and "een verborgen plan" in public and "Reclame</a>" not in public
    assert f"/proposals/{spam.id}" not in public
    assert "Kosten aangepast" in public and "1.000,00" in public and "1.250,50" in public and "Hek nodig" in public
    assert "Past in het onderhoudsplan" in public
    assert any("Hek nodig" in str(m.get_content()) for m in outbox.messages())


@pytest.mark.parametrize("action", ["verdict", "cost", "merge", "hide"])
def test_review_after_voting_opened_is_409_and_audited(client, session, area, signed_in_manager, action):
    round_ = make_round(session, area, phase="voting")
    author = make_resident(session, area)
    p = make_proposal(session, round_, author=author, status="feasible", estimated_cost_cents=5000)
    other = make_proposal(session, round_, author=author, status="feasible")
    data = {
        "verdict": {f"v{p.id}-verdict": "infeasible", f"v{p.id}-reason": "x"},
        "cost": {f"c{p.id}-cost": "99", f"c{p.id}-reason": "x"},
        "merge": {f"m{p.id}-target_id": str(other.id), f"m{p.id}-reason": "x"},
        "hide": {f"h{p.id}-reason": "x"},
    }[action]
    resp = client.post(f"/manage/proposals/{p.id}/{action}", data=data)
    assert resp.status_code == 409
    session.refresh(p)
    assert (p.status, p.ballot_cost_cents, p.merged_into_id) == (ProposalStatus.FEASIBLE, 5000, None)
    assert session.scalar(select(func.count()).select_from(AuditEntry)
                          .where(AuditEntry.action == f"proposal.{'review' if action == 'verdict' else action}.refused")) == 1


def test_ballot_proposals_for_voting(session, area):
    round_ = make_round(session, area, phase="voting")
    author = make_resident(session, area)
    on = make_proposal(session, round_, author=author, status="feasible")
    make_proposal(session, round_, author=author, status="infeasible")
    make_proposal(session, round_, author=author, status="withdrawn")
    assert ballot_service.ballot_proposals(session, round_) == [on]
    assert session.scalar(select(func.count()).select_from(Proposal)) == 3


def test_frozen_edit_page_explains(client, session, area, signed_in_manager):
    round_ = make_round(session, area, phase="voting")
    page = client.get(f"/manage/rounds/{round_.id}/edit").get_data(as_text=True)
    assert "Het stemmen is begonnen" in page and 'value="10.000,00"' in page


def test_get_pages_write_nothing(client, session, area, signed_in_manager):
    round_ = make_round(session, area, phase="review")
    p = make_proposal(session, round_, author=make_resident(session, area), status="submitted")
    count = session.scalar(select(func.count()).select_from(AuditEntry))
    for url in (f"/manage/rounds/{round_.id}/review", f"/manage/rounds/{round_.id}/edit", f"/manage/rounds/{round_.id}/phase",
                f"/rounds/{round_.id}", f"/proposals/{p.id}", f"/manage/areas/{area.slug}/rounds"):
        assert client.get(url).status_code == 200
    assert p.status == ProposalStatus.SUBMITTED
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == count


def test_round_change_shown_in_public_history(client, session, area, signed_in_manager):
    round_ = make_round(session, area, phase="proposals", title="Oude titel")
    client.post(f"/manage/rounds/{round_.id}/edit", data=form_of(round_, title="Nieuwe titel", budget="20.000"))
    history = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    assert "Instellingen gewijzigd" in history and "Titel: Oude titel → Nieuwe titel" in history
    assert "Budget: € 10.000,00 → € 20.000,00" in history.replace("\xa0", " ")


def test_start_next_phase_now_settles_support_and_is_audited(client, session, area, signed_in_manager):
    round_ = make_round(session, area, phase="support", support_threshold=1)
    author = make_resident(session, area)
    liked = make_proposal(session, round_, author=author, status="submitted", supporters=[make_resident(session, area)])
    alone = make_proposal(session, round_, author=author, status="submitted", supporters=[author])
    page = client.get(f"/manage/rounds/{round_.id}/phase").get_data(as_text=True)
    assert "Volgende fase nu starten" in page
    resp = client.post(f"/manage/rounds/{round_.id}/next-phase", data={"next-reason": ""})
    assert resp.status_code == 200 and "Vul dit veld in" in resp.get_data(as_text=True)
    assert round_.phase_at(utcnow()).value == "support"
    resp = client.post(f"/manage/rounds/{round_.id}/next-phase", data={"next-reason": "Genoeg plannen binnen"})
    assert resp.status_code == 302
    session.refresh(round_)
    assert round_.phase_at(utcnow()).value == "review"
    assert (liked.status, alone.status) == (ProposalStatus.IN_REVIEW, ProposalStatus.NOT_ENOUGH_SUPPORT)
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "round.phase_move",
                                                     AuditEntry.round_id == round_.id)).one()
    assert entry.public and entry.reason == "Genoeg plannen binnen" and "support_close_at" in entry.after
    page = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    assert "Genoeg plannen binnen" in page


def test_start_next_phase_refused_while_a_proposal_awaits_review(client, session, area, signed_in_manager):
    round_ = make_round(session, area, phase="waiting")
    make_proposal(session, round_, author=make_resident(session, area), status="in_review")
    opens = round_.voting_open_at
    resp = client.post(f"/manage/rounds/{round_.id}/next-phase", data={"next-reason": "Snel beginnen"})
    assert resp.status_code == 200 and "Het stemmen kan nog niet beginnen" in resp.get_data(as_text=True)
    session.refresh(round_)
    assert round_.voting_open_at == opens
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "round.phase_move")) == 0


def test_start_next_phase_refused_after_voting_closed(client, session, area, signed_in_manager):
    round_ = make_round(session, area, phase="closed")
    resp = client.post(f"/manage/rounds/{round_.id}/next-phase", data={"next-reason": "Door"})
    assert resp.status_code == 200 and "geen volgende fase meer" in resp.get_data(as_text=True)
