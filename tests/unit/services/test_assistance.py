"""The assisted-participation service: scope first, then consent, then the resident's own rules."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from pb.errors import InvalidState, PermissionDenied, ValidationFailed
from pb.models.assistance import Assistance
from pb.models.proposal import Proposal, ProposalStatus
from pb.models.user import Role
from pb.services import assistance
from pb.services.proposals import ProposalData
from tests.factories import make_area, make_proposal, make_resident, make_round, make_user

DATA = ProposalData(title="Moestuin", summary="", description="", location="", cost_lines=[("Bakken", 50_000)])


@pytest.fixture
def world(session):
    home, other = make_area(session), make_area(session)
    round_ = make_round(session, home, phase="proposals")
    return {
        "round": round_, "home": home,
        "resident": make_resident(session, home),
        "staff": make_user(session, role=Role.STAFF, areas=[home]),
        "manager_other": make_user(session, role=Role.MANAGER, areas=[other]),
        "admin": make_user(session, role=Role.ADMIN),
    }


def test_scope_is_checked_before_consent_and_nothing_is_written(session, world):
    w = world
    for outsider in (w["manager_other"], w["resident"]):
        with pytest.raises(PermissionDenied):
            assistance.file_proposal(session, w["round"], staff=outsider, resident=w["resident"], data=DATA,
                                     consent=False)
    with pytest.raises(ValidationFailed) as refused:
        assistance.file_proposal(session, w["round"], staff=w["staff"], resident=w["resident"], data=DATA,
                                 consent=False)
    assert refused.value.field == "consent"
    assert session.scalar(select(func.count()).select_from(Proposal)) == 0
    assert session.scalar(select(func.count()).select_from(Assistance)) == 0


def test_an_admin_may_assist_and_the_resident_rules_still_apply(session, world):
    w = world
    made = assistance.file_proposal(session, w["round"], staff=w["admin"], resident=w["resident"], data=DATA,
                                    consent=True)
    assert made.status == ProposalStatus.SUBMITTED and assistance.was_assisted(session, made)
    with pytest.raises(InvalidState):  # the author's own support never counts, assisted or not
        assistance.file_support(session, made, staff=w["staff"], resident=w["resident"], consent=True)
    not_resident = make_user(session)
    with pytest.raises(PermissionDenied):
        assistance.file_proposal(session, w["round"], staff=w["staff"], resident=not_resident, data=DATA,
                                 consent=True)
    closed = make_round(session, w["home"], phase="voting")
    with pytest.raises(InvalidState):
        assistance.file_proposal(session, closed, staff=w["staff"], resident=w["resident"], data=DATA, consent=True)
    later = make_proposal(session, closed, status="feasible")
    with pytest.raises(InvalidState):
        assistance.file_support(session, later, staff=w["staff"], resident=make_resident(session, w["home"]),
                                consent=True)


def test_rounds_to_assist_are_the_staff_members_open_rounds(session, world):
    from pb.db import utcnow

    w = world
    make_round(session, w["home"], phase="voting")
    support = make_round(session, w["home"], phase="support")
    elsewhere = make_round(session, make_area(session), phase="proposals")
    found = assistance.rounds_to_assist(session, w["staff"], now=utcnow())
    assert {r.id for r in found} == {w["round"].id, support.id}
    assert elsewhere.id in {r.id for r in assistance.rounds_to_assist(session, w["admin"], now=utcnow())}
