"""A round cannot open voting while a proposal awaits review or its ballot cannot be filled in."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from pb.db import utcnow
from pb.errors import InvalidState, ValidationFailed
from pb.models.audit import AuditEntry
from pb.models.ballot import Ballot
from pb.models.round import BallotType, Phase
from pb.services import ballots, rounds, voting_readiness
from tests.factories import make_round, make_proposal, make_resident


def _waiting_round(session, area, n_projects: int = 3, **fields):
    round_ = make_round(session, area, phase="waiting", **fields)
    for _ in range(n_projects):
        make_proposal(session, round_, submitted_at=utcnow(), estimated_cost_cents=100_000)
    return round_


def _open_now(session, round_, manager):
    rounds.move_phase(session, round_, actor=manager, boundary="voting_open_at", new_at=utcnow(),
                      reason="We beginnen eerder")


def test_manager_cannot_open_voting_while_a_proposal_awaits_review(session, area, manager):
    round_ = _waiting_round(session, area)
    make_proposal(session, round_, status="in_review")
    with pytest.raises(ValidationFailed, match="1 voorstel wacht nog op beoordeling") as err:
        _open_now(session, round_, manager)
    assert err.value.field == "new_at" and round_.phase_at(utcnow()) == Phase.WAITING


@pytest.mark.parametrize(("fields", "n", "reason"), [
    ({"ballot_type": BallotType.CUMULATIVE, "points_total": 10, "points_max_per_project": 5}, 2,
     "maar één geldige stem"),
    ({"ballot_type": BallotType.CUMULATIVE, "points_total": 10, "points_max_per_project": 4}, 2,
     "kan niemand precies 10 punten verdelen"),
    ({"ballot_type": BallotType.K_APPROVAL, "min_projects": 4, "max_projects": 5}, 3,
     "minstens 4 projecten noemen, maar er staan er maar 3"),
    ({"ballot_type": BallotType.KNAPSACK, "budget_cents": 50_000}, 3, "past binnen het budget"),
    ({"ballot_type": BallotType.KNAPSACK, "budget_cents": 1_000_000, "min_budget_share_pct": 90}, 3,
     "minimale deel van het budget"),
    ({"ballot_type": BallotType.APPROVAL}, 0, "geen enkel project"),
])
def test_manager_cannot_open_voting_on_an_unfillable_ballot(session, area, manager, fields, n, reason):
    round_ = _waiting_round(session, area, n, **fields)
    with pytest.raises(ValidationFailed, match=reason):
        _open_now(session, round_, manager)
    assert round_.phase_at(utcnow()) == Phase.WAITING


def test_a_fillable_round_opens(session, area, manager):
    round_ = _waiting_round(session, area, 3, ballot_type=BallotType.CUMULATIVE, points_total=10,
                         points_max_per_project=5)
    _open_now(session, round_, manager)
    assert round_.phase_at(utcnow()) == Phase.VOTING


def test_date_driven_opening_is_postponed_and_no_ballot_is_taken(session, area, runner):
    round_ = make_round(session, area, phase="voting")
    make_proposal(session, round_, submitted_at=utcnow())
    make_proposal(session, round_, submitted_at=utcnow())
    waiting = make_proposal(session, round_, status="in_review")
    voter = make_resident(session, area)
    session.commit()
    with pytest.raises(InvalidState, match="Het stemmen kan nog niet beginnen. 1 voorstel wacht"):
        ballots.cast_ballot(session, round_, voter=voter, choices={waiting.id - 1: 1})
    session.rollback()
    assert session.scalar(select(Ballot).where(Ballot.round_id == round_.id)) is None
    length = round_.voting_close_at - round_.voting_open_at
    result = runner.invoke(args=["pb", "advance-phases"])
    assert result.exit_code == 0, result.output
    assert f"Round {round_.id}" in result.output and "voting postponed" in result.output
    session.expire_all()
    assert round_.phase_at(utcnow()) == Phase.WAITING
    assert round_.voting_open_at > utcnow() + dt.timedelta(hours=23)
    assert round_.voting_close_at - round_.voting_open_at == length
    entry = session.scalar(select(AuditEntry).where(AuditEntry.round_id == round_.id,
                                                    AuditEntry.action == "round.phase_move"))
    assert entry.public and "wacht nog op beoordeling" in entry.reason
    again = runner.invoke(args=["pb", "advance-phases"])
    assert "voting postponed" not in again.output  # not due again until the new date


def test_knapsack_search_is_exact_on_small_ballots() -> None:
    fits = voting_readiness._knapsack_fits
    assert fits([30, 40, 50], 1, 3, 100, 90)  # 40 + 50
    assert not fits([30, 40, 50], 1, 3, 100, 95)
    assert not fits([30, 40, 50], 3, 3, 100, 0)
    assert fits([30, 40, 50], 2, 2, 70, 70)
