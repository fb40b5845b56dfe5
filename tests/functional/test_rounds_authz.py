"""Authorization matrix for the rounds and manage_rounds blueprints, built from app.url_map:
every route x {anonymous, resident of the area, resident elsewhere, manager of the area, manager
elsewhere, staff, admin}. No unexpected 2xx, and refused POSTs write nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from pb.models.audit import AuditEntry
from pb.models.proposal import Proposal, Support
from pb.models.round import BudgetRound
from tests.authz_matrix import rules_of, two_area_people, walk
from tests.factories import PASSWORD, make_area, make_proposal, make_round

ROLES = ["anonymous", "resident", "resident_other", "manager", "manager_other", "staff", "admin"]
EVERYONE = set(ROLES)
MANAGERS = {"manager", "admin"}
# Endpoint -> roles that may get a 2xx answer (GET pages, or a POST re-rendering its form).
ALLOWED_2XX = {
    "rounds.round_page": EVERYONE,
    "rounds.proposals": EVERYONE,
    "rounds.proposal": EVERYONE,
    "rounds.photo": set(),  # the fixture proposal has no photo: 404 for all
    "rounds.photo_thumbnail": set(),
    "rounds.new_proposal": {"resident"},
    "rounds.edit_proposal": {"resident"},  # the author
    "rounds.submit": set(),
    "rounds.withdraw": set(),
    "rounds.support": set(),
    "rounds.unsupport": set(),
    "manage_rounds.rounds": MANAGERS,
    "manage_rounds.new_round": MANAGERS,
    "manage_rounds.edit_round": MANAGERS,
    "manage_rounds.move_phase": MANAGERS,
    "manage_rounds.review": MANAGERS,
    "manage_rounds.settle": set(),
    "manage_rounds.verdict": set(),
    "manage_rounds.cost": set(),
    "manage_rounds.merge": set(),
    "manage_rounds.hide": set(),
    "manage_rounds.start_next_phase": MANAGERS,
}
# POST endpoints that write for these roles (everyone else must leave the database unchanged).
MAY_WRITE = {
    "rounds.new_proposal": {"resident"}, "rounds.edit_proposal": {"resident"}, "rounds.submit": {"resident"},
    "rounds.withdraw": {"resident"}, "rounds.support": {"resident"}, "rounds.unsupport": {"resident"},
    "manage_rounds.start_next_phase": {"manager", "admin"},
}


@pytest.fixture
def world(app, session):
    area = make_area(session, slug="ulft")
    users = two_area_people(session, area, make_area(session, slug="elders"))
    round_ = make_round(session, area, phase="proposals")
    p = make_proposal(session, round_, author=users["resident"], status="draft")
    target = make_proposal(session, round_, author=users["resident"], status="submitted")
    ids = {"round_id": round_.id, "proposal_id": p.id, "slug": area.slug, "target": target.id}
    emails = {role: u.email for role, u in users.items()}
    session.commit()
    return ids, emails


def _state(session):
    session.commit()
    return (
        session.scalar(select(func.count()).select_from(Proposal)),
        session.scalar(select(func.count()).select_from(Support)),
        session.scalar(select(func.count()).select_from(BudgetRound)),
        session.scalar(select(func.count()).select_from(AuditEntry)),
        tuple(session.scalars(select(Proposal.status).order_by(Proposal.id))),
        tuple(session.scalars(select(Proposal.title).order_by(Proposal.id))),
    )


@pytest.mark.parametrize("role", ROLES)
def test_route_matrix(app, session, world, role):
    ids, emails = world

    def url_of(rule):
        return rule.rule.replace("<int:round_id>", str(ids["round_id"])).replace(
            "<int:proposal_id>", str(ids["proposal_id"])).replace("<slug>", ids["slug"])

    rules = rules_of(app, ("rounds", "manage_rounds"), ALLOWED_2XX)
    for visit in walk(app, session, email=emails.get(role), rules=rules, url_of=url_of, state=_state,
                      post_data={"title": "Gekaapt", "f-reason": "x", "reason": "x", "budget": "1"}):
        endpoint, status, where = visit.rule.endpoint, visit.status, (role, visit.method, visit.url, visit.status)
        if 200 <= status < 300:
            assert role in ALLOWED_2XX[endpoint], where
        if visit.method == "GET" or role not in MAY_WRITE.get(endpoint, set()):
            assert not visit.wrote, where
        if role == "anonymous" and endpoint not in ("rounds.round_page", "rounds.proposals",
                                                     "rounds.proposal", "rounds.photo",
                                                     "rounds.photo_thumbnail"):
            assert status in (302, 401, 403, 404), where
            if status == 302:
                assert "/login" in visit.response.headers["Location"]
        if role in ("manager_other", "staff", "resident", "resident_other") and endpoint.startswith("manage_rounds"):
            assert status == 403, where


def test_draft_not_visible_to_any_other_role(app, session, world):
    ids, emails = world
    for role in ROLES:
        client = app.test_client()
        if role != "anonymous":
            client.post("/login", data={"login": emails[role], "password": PASSWORD})
        status = client.get(f"/proposals/{ids['proposal_id']}").status_code
        assert status == (200 if role == "resident" else 404), role
