"""Round configuration: validation per ballot type, phase moves, phases from dates, the freeze."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select

from pb.db import utcnow
from pb.errors import PermissionDenied, ValidationFailed
from pb.models.audit import AuditEntry
from pb.models.round import BallotType, CountingRule, Phase, TieBreak
from pb.models.user import Role
from pb.services import rounds
from pb.services.rounds import RoundData, RoundFrozen
from tests.factories import make_area, make_round, make_user, round_dates


def _data(**overrides) -> RoundData:
    base = RoundData(
        title="Buurtbudget 2027", description="Samen kiezen", budget_cents=2_500_000,
        ballot_type=BallotType.KNAPSACK, counting_rule=CountingRule.GREEDY, tie_break=TieBreak.LOWER_COST,
        themes=["Spelen", "Groen"], neighbourhoods=[("Noord", 1_000_000), ("Zuid", None)],
        **round_dates("upcoming"),
    )
    return dataclasses.replace(base, **overrides)


def test_create_round_audited_publicly(session, area, manager):
    round_ = rounds.create_round(session, area, actor=manager, data=_data())
    assert round_.budget_cents == 2_500_000 and sorted(t.name for t in round_.themes) == ["Groen", "Spelen"]
    assert {(n.name, n.budget_cents) for n in round_.neighbourhoods} == {("Noord", 1_000_000), ("Zuid", None)}
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "round.create"))
    assert entry.round_id == round_.id and entry.public and entry.actor_id == manager.id


def test_manager_of_other_area_and_staff_cannot_create(session, area):
    other = make_user(session, role=Role.MANAGER, areas=[make_area(session)])
    staff = make_user(session, role=Role.STAFF)
    for user in (other, staff):
        with pytest.raises(PermissionDenied):
            rounds.create_round(session, area, actor=user, data=_data())


@pytest.mark.parametrize(("overrides", "field"), [
    ({"budget_cents": 0}, "budget"),
    ({"budget_cents": -5}, "budget"),
    ({"title": "  "}, "title"),
    ({"ballot_type": BallotType.K_APPROVAL}, "max_projects"),
    ({"ballot_type": BallotType.RANKED}, "max_projects"),
    ({"ballot_type": BallotType.CUMULATIVE}, "points_total"),
    ({"ballot_type": BallotType.CUMULATIVE, "points_total": 5, "points_max_per_project": 6}, "points_max_per_project"),
    ({"points_total": 10}, "points_total"),
    ({"min_projects": 3, "max_projects": 2}, "min_projects"),
    ({"min_age": 30, "max_age": 20}, "min_age"),
    ({"min_budget_share_pct": 120}, "min_budget_share_pct"),
    ({"ballot_type": BallotType.APPROVAL, "min_budget_share_pct": 50}, "min_budget_share_pct"),
    ({"ballot_type": BallotType.CHOOSE_ONE, "max_projects": 3}, "max_projects"),
    ({"themes": ["Groen", "groen"]}, "themes"),
    ({"neighbourhoods": [("Noord", 9_999_999_999)]}, "neighbourhoods"),
    ({"support_threshold": -1}, "support_threshold"),
])
def test_invalid_configurations_refused(session, area, manager, overrides, field):
    with pytest.raises(ValidationFailed) as exc:
        rounds.create_round(session, area, actor=manager, data=_data(**overrides))
    assert exc.value.field == field


@pytest.mark.parametrize("later", ["proposals_close_at", "support_close_at", "review_close_at", "voting_open_at",
                                   "voting_close_at"])
def test_dates_out_of_order_refused(session, area, manager, later):
    data = _data(**{later: utcnow() - dt.timedelta(days=30)})
    with pytest.raises(ValidationFailed) as exc:
        rounds.create_round(session, area, actor=manager, data=data)
    assert exc.value.field == later


@pytest.mark.parametrize(("overrides"), [
    {"ballot_type": BallotType.K_APPROVAL, "max_projects": 3},
    {"ballot_type": BallotType.RANKED, "max_projects": 5, "min_projects": 1},
    {"ballot_type": BallotType.CUMULATIVE, "points_total": 10, "points_max_per_project": 4},
    {"ballot_type": BallotType.CHOOSE_ONE},
    {"ballot_type": BallotType.APPROVAL},
    {"ballot_type": BallotType.KNAPSACK, "min_budget_share_pct": 50},
])
def test_valid_configurations_per_ballot_type(session, area, manager, overrides):
    round_ = rounds.create_round(session, area, actor=manager, data=_data(**overrides))
    assert round_.ballot_type == overrides["ballot_type"]


@pytest.mark.parametrize("phase", ["upcoming", "proposals", "support", "review", "waiting", "voting", "closed"])
def test_phase_follows_dates(session, area, phase):
    round_ = make_round(session, area, phase=phase)
    assert round_.phase_at(utcnow()) == Phase(phase)
    assert round_.is_frozen_at(utcnow()) == (phase in ("voting", "closed"))


def test_move_phase_requires_reason_and_is_public(session, area, manager):
    round_ = make_round(session, area, phase="proposals")
    new = utcnow() + dt.timedelta(hours=6)
    with pytest.raises(ValidationFailed) as exc:
        rounds.move_phase(session, round_, actor=manager, boundary="proposals_close_at", new_at=new, reason=" ")
    assert exc.value.field == "reason"
    rounds.move_phase(session, round_, actor=manager, boundary="proposals_close_at", new_at=new,
                      reason="Meer tijd voor de zomervakantie")
    assert round_.proposals_close_at == new
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "round.phase_move"))
    assert entry.public and entry.reason == "Meer tijd voor de zomervakantie"
    assert entry.after == {"proposals_close_at": new.isoformat()}


def test_move_phase_early_means_now(session, area, manager):
    round_ = make_round(session, area, phase="proposals")
    rounds.move_phase(session, round_, actor=manager, boundary="proposals_close_at",
                      new_at=utcnow() - dt.timedelta(days=1), reason="Genoeg plannen")
    assert round_.phase_at(utcnow()) == Phase.SUPPORT


@pytest.mark.parametrize(("boundary", "delta_days", "field"), [
    ("proposals_open_at", 0.5, "boundary"),  # already passed
    ("proposals_close_at", 3, "new_at"),  # past the next boundary
    ("support_close_at", -3, "new_at"),  # before the previous boundary
    ("nonsense", 1, "boundary"),
])
def test_move_phase_keeps_order(session, area, manager, boundary, delta_days, field):
    round_ = make_round(session, area, phase="proposals")
    before = {b: getattr(round_, b) for b in rounds.BOUNDARIES}
    with pytest.raises(ValidationFailed) as exc:
        rounds.move_phase(session, round_, actor=manager, boundary=boundary,
                          new_at=utcnow() + dt.timedelta(days=delta_days), reason="reden")
    assert exc.value.field == field
    assert {b: getattr(round_, b) for b in rounds.BOUNDARIES} == before


def test_move_phase_by_manager_of_other_area_refused(session, area):
    round_ = make_round(session, area, phase="proposals")
    other = make_user(session, role=Role.MANAGER, areas=[make_area(session)])
    with pytest.raises(PermissionDenied):
        rounds.move_phase(session, round_, actor=other, boundary="proposals_close_at", new_at=utcnow(), reason="x")


def test_update_before_freeze_changes_everything(session, area, manager):
    round_ = rounds.create_round(session, area, actor=manager, data=_data())
    rounds.update_round(session, round_, actor=manager, data=_data(budget_cents=3_000_000,
                                                                 ballot_type=BallotType.K_APPROVAL, max_projects=3))
    assert round_.budget_cents == 3_000_000 and round_.max_projects == 3
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "round.update"))
    assert entry.before["budget_cents"] == 2_500_000 and entry.after["budget_cents"] == 3_000_000


def test_update_cannot_rewrite_a_passed_date(session, area, manager):
    round_ = make_round(session, area, phase="support")
    data = _data(**{b: getattr(round_, b) for b in rounds.BOUNDARIES})
    data = dataclasses.replace(data, proposals_open_at=round_.proposals_open_at - dt.timedelta(days=1))
    with pytest.raises(ValidationFailed) as exc:
        rounds.update_round(session, round_, actor=manager, data=data)
    assert exc.value.field == "proposals_open_at"


FROZEN_CHANGES = {
    "budget_cents": {"budget_cents": 9_000_000},
    "ballot_type": {"ballot_type": BallotType.APPROVAL},
    "min_projects": {"min_projects": 1},
    "max_projects": {"max_projects": 4},
    "min_budget_share_pct": {"min_budget_share_pct": 30},
    "counting_rule": {"counting_rule": CountingRule.EQUAL_SHARES},
    "tie_break": {"tie_break": TieBreak.HIGHER_COST},
    "neighbourhoods": {"neighbourhoods": [("Noord", 5)]},
    "min_age": {"min_age": 18},
    "max_age": {"max_age": 80},
    "allow_revote": {"allow_revote": True},
}


@pytest.mark.parametrize("name", sorted(FROZEN_CHANGES))
def test_frozen_field_refused_and_audited(session, area, manager, name):
    round_ = make_round(session, area, phase="voting")
    base = _data(**{b: getattr(round_, b) for b in rounds.BOUNDARIES}, neighbourhoods=[], themes=["Spelen", "Groen"],
                 budget_cents=round_.budget_cents)
    before = rounds.snapshot(round_)
    with pytest.raises(RoundFrozen):
        rounds.update_round(session, round_, actor=manager, data=dataclasses.replace(base, **FROZEN_CHANGES[name]))
    assert rounds.snapshot(round_) == before
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "round.update.refused"))
    assert entry is not None and name in entry.after and entry.round_id == round_.id


def test_frozen_round_still_accepts_a_new_description(session, area, manager):
    round_ = make_round(session, area, phase="voting")
    base = _data(**{b: getattr(round_, b) for b in rounds.BOUNDARIES}, neighbourhoods=[], themes=["Spelen", "Groen"],
                 budget_cents=round_.budget_cents, description="Nieuwe uitleg")
    rounds.update_round(session, round_, actor=manager, data=base)
    assert round_.description == "Nieuwe uitleg"


def test_open_vote_closes_only_later_unless_an_admin_gives_a_public_reason(session, area, manager):
    round_ = make_round(session, area, phase="voting")
    close = round_.voting_close_at
    for new_at in (utcnow() - dt.timedelta(minutes=1), close - dt.timedelta(hours=1)):
        with pytest.raises(ValidationFailed) as exc:
            rounds.move_phase(session, round_, actor=manager, boundary="voting_close_at", new_at=new_at,
                              reason="Snel klaar")
        assert exc.value.field == "new_at"
    assert round_.voting_close_at == close and round_.phase_at(utcnow()) == Phase.VOTING
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "round.phase_move")) is None
    later = close + dt.timedelta(days=2)
    rounds.move_phase(session, round_, actor=manager, boundary="voting_close_at", new_at=later, reason="Langer stemmen")
    assert round_.voting_close_at == later
    admin = make_user(session, role=Role.ADMIN)
    earlier = later - dt.timedelta(days=2, hours=12)
    with pytest.raises(ValidationFailed):
        rounds.move_phase(session, round_, actor=admin, boundary="voting_close_at", new_at=earlier, reason=" ")
    rounds.move_phase(session, round_, actor=admin, boundary="voting_close_at", new_at=earlier,
                      reason="Storing in het stembureau: de gemeenteraad besloot eerder te sluiten")
    assert round_.voting_close_at == earlier
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "round.phase_move")
                            .order_by(AuditEntry.seq.desc())).first()
    assert entry.public and entry.actor_id == admin.id and "gemeenteraad" in entry.reason
