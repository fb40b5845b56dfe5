"""Assisted participation (issue 18): staff file a proposal and a support for a resident who comes
by. Recorded as assisted (public history without names, audit with the staff member, consent with
who and when), scoped to the staff member's areas (cross-area 403, nothing written), consent
required (a Dutch form error), own-support rule and threshold unchanged."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from pb.db import utcnow
from pb.models.assistance import Assistance, AssistKind
from pb.models.audit import AuditEntry
from pb.models.proposal import Proposal, ProposalStatus, Support
from pb.models.user import Role
from pb.services import proposals as proposal_service
from tests.factories import make_area, make_proposal, make_resident, make_round, make_user


def _counts(session) -> dict[str, int]:
    session.commit()
    return {m.__name__: session.scalar(select(func.count()).select_from(m)) or 0
            for m in (Proposal, Support, Assistance, AuditEntry)}


@pytest.fixture
def world(session):
    home, other = make_area(session, name="Ulft"), make_area(session, name="Gendringen")
    proposing = make_round(session, home, phase="proposals", support_threshold=2)
    resident = make_resident(session, home, user=make_user(session, email="toos@example.test", name="Toos Balie"))
    author = make_resident(session, home, user=make_user(session, email="auteur@example.test", name="Ad Auteur"))
    plan = make_proposal(session, proposing, author=author, status="submitted", title="Bankjes bij de kerk")
    staff = make_user(session, role=Role.STAFF, email="balie@example.test", name="Bea Balie", areas=[home])
    stranger = make_user(session, role=Role.STAFF, email="elders@example.test", name="Erik Elders", areas=[other])
    session.commit()
    return {"home": home, "round": proposing, "resident": resident, "author": author, "plan": plan,
            "staff": staff, "stranger": stranger}


def _proposal_form(login: str, *, consent: bool = True, title: str = "Moestuin aan de IJssel") -> dict[str, str]:
    data = {"login": login, "title": title, "summary": "Samen groenten kweken.", "description": "Twaalf bakken.",
            "location": "IJsselweg", "theme_id": "", "neighbourhood_id": "", "agenda_item_id": "",
            "cost_lines-0-item": "Bakken", "cost_lines-0-amount": "1.250,00", "coinitiators": ""}
    if consent:
        data["consent"] = "y"
    return data


def test_assisted_proposal_is_submitted_for_the_resident_and_marked_in_the_history(client, auth, session, world):
    w = world
    auth.login("balie@example.test")
    resp = client.post(f"/infopunt/rounds/{w['round'].id}/assisted-proposal", data=_proposal_form("toos@example.test"))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    made = session.scalars(select(Proposal).where(Proposal.title == "Moestuin aan de IJssel")).one()
    assert made.author_id == w["resident"].id and made.status == ProposalStatus.SUBMITTED
    assert made.estimated_cost_cents == 125_000
    consent = session.scalars(select(Assistance)).one()
    assert (consent.kind, consent.proposal_id, consent.resident_id, consent.staff_id) == (
        AssistKind.PROPOSAL, made.id, w["resident"].id, w["staff"].id)
    assert abs((utcnow() - consent.consent_at).total_seconds()) < 60
    entry = session.scalars(select(AuditEntry).where(AuditEntry.object_id == str(made.id))).one()
    assert (entry.action, entry.actor_id, entry.public) == ("proposal.submit_assisted", w["staff"].id, True)
    assert "Bea" not in entry.after_json and str(w["staff"].id) not in entry.after_json
    auth.logout()
    page = client.get(f"/proposals/{made.id}").get_data(as_text=True)
    assert "Plan ingediend met hulp van het informatiepunt" in page
    assert "Toos Balie" in page and "met hulp van het informatiepunt" in page
    assert "Bea Balie" not in page  # the staff member is not named in public
    api = client.get(f"/api/v1/proposals/{made.id}").get_json()
    assert "Bea" not in str(api) and "balie@" not in str(api)


def test_assisted_support_counts_once_and_is_marked_without_names(client, auth, session, world):
    w = world
    auth.login("balie@example.test")
    # The plan's page leads staff to the support form with the plan already chosen.
    link = f"/infopunt/rounds/{w['round'].id}/assisted-support?plan={w['plan'].id}"
    assert link in client.get(f"/proposals/{w['plan'].id}").get_data(as_text=True).replace("&amp;", "&")
    assert f'<option selected value="{w["plan"].id}">' in client.get(link).get_data(as_text=True)
    resp = client.post(f"/infopunt/rounds/{w['round'].id}/assisted-support",
                       data={"login": "toos@example.test", "proposal_id": str(w["plan"].id), "consent": "y"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    support = session.scalars(select(Support)).one()
    assert (support.proposal_id, support.user_id) == (w["plan"].id, w["resident"].id)
    row = session.scalars(select(Assistance)).one()
    assert (row.kind, row.resident_id, row.staff_id) == (AssistKind.SUPPORT, w["resident"].id, w["staff"].id)
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "proposal.support_assisted")).one()
    assert entry.actor_id == w["staff"].id and entry.public
    assert str(w["resident"].id) not in entry.after_json + entry.before_json
    # A second time: refused, nothing more written.
    before = _counts(session)
    again = client.post(f"/infopunt/rounds/{w['round'].id}/assisted-support",
                        data={"login": "toos@example.test", "proposal_id": str(w["plan"].id), "consent": "y"})
    assert "Deze bewoner steunt dit plan al." in again.get_data(as_text=True)
    assert _counts(session) == before
    auth.logout()
    page = client.get(f"/proposals/{w['plan'].id}").get_data(as_text=True)
    assert "Steun gegeven met hulp van het informatiepunt" in page and "Toos Balie" not in page
    assert "Bea Balie" not in page
    assert proposal_service.support_counts(session, [w["plan"].id]) == {w["plan"].id: 1}


def test_own_support_is_refused_and_the_threshold_still_applies(client, app, auth, session, world):
    w = world
    auth.login("balie@example.test")
    before = _counts(session)
    own = client.post(f"/infopunt/rounds/{w['round'].id}/assisted-support",
                      data={"login": "auteur@example.test", "proposal_id": str(w["plan"].id), "consent": "y"})
    assert "Eigen steun telt niet mee" in own.get_data(as_text=True)
    assert _counts(session) == before
    client.post(f"/infopunt/rounds/{w['round'].id}/assisted-support",
                data={"login": "toos@example.test", "proposal_id": str(w["plan"].id), "consent": "y"})
    # One supporter against a threshold of 2: the support phase ends with "not enough support".
    round_ = w["round"]
    with app.test_request_context():
        proposal_service.settle_support_phase(session, round_, round_.support_close_at)
    session.commit()
    assert session.get(Proposal, w["plan"].id).status == ProposalStatus.NOT_ENOUGH_SUPPORT


@pytest.mark.parametrize("kind", ["proposal", "support"])
def test_consent_is_required_with_a_dutch_form_error(client, auth, session, world, kind):
    w = world
    auth.login("balie@example.test")
    before = _counts(session)
    if kind == "proposal":
        resp = client.post(f"/infopunt/rounds/{w['round'].id}/assisted-proposal",
                           data=_proposal_form("toos@example.test", consent=False))
    else:
        resp = client.post(f"/infopunt/rounds/{w['round'].id}/assisted-support",
                           data={"login": "toos@example.test", "proposal_id": str(w["plan"].id)})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Vink aan dat de bewoner toestemming geeft." in body
    assert 'id="consent-error"' in body and 'aria-invalid="true"' in body
    assert _counts(session) == before


@pytest.mark.parametrize("kind", ["proposal", "support"])
def test_cross_area_staff_get_403_and_nothing_is_written(client, auth, session, world, kind):
    w = world
    auth.login("elders@example.test")
    url = f"/infopunt/rounds/{w['round'].id}/assisted-{kind}"
    data = (_proposal_form("toos@example.test") if kind == "proposal"
            else {"login": "toos@example.test", "proposal_id": str(w["plan"].id), "consent": "y"})
    assert client.get(url).status_code == 403
    before = _counts(session)
    assert client.post(url, data=data).status_code == 403
    assert _counts(session) == before
    assert "/assisted-" not in client.get("/infopunt/assist").get_data(as_text=True)


def test_a_resident_of_another_area_or_unknown_login_is_not_found_and_nothing_is_written(client, auth, session,
                                                                                           world):
    w = world
    outsider = make_resident(session, make_area(session), user=make_user(session, email="ver@example.test"))
    assert outsider.id
    auth.login("balie@example.test")
    before = _counts(session)
    for login in ("ver@example.test", "niemand@example.test"):
        resp = client.post(f"/infopunt/rounds/{w['round'].id}/assisted-proposal", data=_proposal_form(login))
        assert "Geen geverifieerde bewoner van Ulft gevonden" in resp.get_data(as_text=True)
    assert _counts(session) == before


def test_staff_cannot_file_for_themselves(client, auth, session, world):
    w = world
    make_resident(session, w["home"], user=w["staff"])
    session.commit()
    auth.login("balie@example.test")
    before = _counts(session)
    resp = client.post(f"/infopunt/rounds/{w['round'].id}/assisted-proposal", data=_proposal_form("balie@example.test"))
    assert "niet voor uzelf" in resp.get_data(as_text=True)
    assert _counts(session) == before


def test_the_overview_lists_the_rounds_of_the_staff_members_areas(client, auth, session, world):
    w = world
    auth.login("balie@example.test")
    page = client.get("/infopunt/assist").get_data(as_text=True)
    assert w["round"].title in page and f"/infopunt/rounds/{w['round'].id}/assisted-proposal" in page
    assert "/infopunt/assist" in client.get("/infopunt/").get_data(as_text=True)
    auth.logout()
    auth.login("toos@example.test")
    assert client.get("/infopunt/assist").status_code == 403


def test_the_error_summary_lists_the_residents_field_first_as_on_the_page(client, auth, session, world):
    auth.login("balie@example.test")
    resp = client.post(f"/infopunt/rounds/{world['round'].id}/assisted-proposal", data=_proposal_form("", title=""))
    summary = resp.get_data(as_text=True).split('class="error-summary"')[1].split("</ul>")[0]
    assert resp.status_code == 200
    assert summary.index('href="#login"') < summary.index('href="#title"')
