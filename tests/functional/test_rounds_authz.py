"""Authorization matrix for the rounds and manage_rounds blueprints, built from app.url_map:
every route x {anonymous, resident of the area, resident elsewhere, manager of the area, manager
elsewhere, staff, admin}. No unexpected 2xx, and refused POSTs write nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from pb.models.audit import AuditEntry
from pb.models.proposal import Proposal, Support
from pb.models.round import BudgetRound
from pb.models.user import Role
from tests.factories import PASSWORD, make_area, make_proposal, make_resident, make_round, make_user

ROLES = ["anonymous", "resident", "resident_other", "manager", "manager_other", "staff", "admin"]
EVERYONE = set(ROLES)
MANAGERS = {"manager", "admin"}
# Endpoint -> roles that may get a 2xx answer (GET pages, or a POST re-rendering its form).
ALLOWED_2XX = {
    "rounds.round_page": EVERYONE,
    "rounds.proposals": EVERYONE,
    "rounds.proposal": EVERYONE,
    "rounds.photo": set(),  # the fixture proposal has no photo: 404 for all
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
    elsewhere = make_area(session, slug="elders")
    users = {
        "resident": make_resident(session, area),
        "resident_other": make_resident(session, elsewhere),
        "manager": make_user(session, role=Role.MANAGER, areas=[area]),
        "manager_other": make_user(session, role=Role.MANAGER, areas=[elsewhere]),
        "staff": make_user(session, role=Role.STAFF),
        "admin": make_user(session, role=Role.ADMIN),
    }
    rnd = make_round(session, area, phase="proposals")
    p = make_proposal(session, rnd, author=users["resident"], status="draft")
    target = make_proposal(session, rnd, author=users["resident"], status="submitted")
    ids = {"round_id": rnd.id, "proposal_id": p.id, "slug": area.slug, "target": target.id}
    emails = {role: u.email for role, u in users.items()}
    session.commit()
    return ids, emails


def _rules(app):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.split(".")[0] in ("rounds", "manage_rounds")]
    assert {r.endpoint for r in rules} == set(ALLOWED_2XX), "a route was added: extend the matrix"
    return rules


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
    client = app.test_client()
    if role != "anonymous":
        assert client.post("/login", data={"login": emails[role], "password": PASSWORD}).status_code == 302
    post_data = {"title": "Gekaapt", "f-reason": "x", "reason": "x", "budget": "1"}
    for rule in _rules(app):
        url = rule.rule.replace("<int:round_id>", str(ids["round_id"])).replace(
            "<int:proposal_id>", str(ids["proposal_id"])).replace("<slug>", ids["slug"])
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            before = _state(session)
            resp = client.get(url) if method == "GET" else client.post(url, data=post_data)
            status = resp.status_code
            assert status < 500, (role, method, url, status)
            if 200 <= status < 300:
                assert role in ALLOWED_2XX[rule.endpoint], (role, method, url, status)
            if method == "GET" or role not in MAY_WRITE.get(rule.endpoint, set()):
                assert _state(session) == before, (role, method, url)
            if role == "anonymous" and rule.endpoint not in ("rounds.round_page", "rounds.proposals",
                                                              "rounds.proposal", "rounds.photo"):
                assert status in (302, 401, 403, 404), (method, url, status)
                if status == 302:
                    assert "/login" in resp.headers["Location"]
            if role in ("manager_other", "staff", "resident", "resident_other") and rule.endpoint.startswith("manage_rounds"):
                assert status == 403, (role, method, url, status)


def test_draft_not_visible_to_any_other_role(app, session, world):
    ids, emails = world
    for role in ROLES:
        client = app.test_client()
        if role != "anonymous":
            client.post("/login", data={"login": emails[role], "password": PASSWORD})
        status = client.get(f"/proposals/{ids['proposal_id']}").status_code
        assert status == (200 if role == "resident" else 404), role
