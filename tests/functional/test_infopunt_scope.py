"""Threats 22 and 23: staff act only in their own areas (route x role x area matrix over every
information-point route), accounts made there are audited and listed for the area manager, and
the register cycle cannot hand out an address's votes again."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from pb.models.assistance import Assistance
from pb.models.audit import AuditEntry
from pb.models.proposal import Proposal, Support
from pb.models.ballot import PaperEntry, Participation, SealedBallot
from pb.models.register import RegisterEntry
from pb.models.residency import Residency
from pb.models.round import BallotType
from pb.models.user import Role, User
from pb.services import paper_ballots
from tests.factories import make_area, make_proposal, make_register_entry, make_resident, make_round, make_user

INFO_POINT_ENDPOINTS = {"infopunt.entry", "infopunt.verify_account", "infopunt.new_account", "voting.paper",
                        "voting.paper_pending", "voting.paper_confirm", "voting.paper_reject",
                        "assisted.proposal", "assisted.support"}


def _snapshot(session) -> dict[str, object]:
    session.commit()
    counts = {m.__name__: session.scalar(select(func.count()).select_from(m)) for m in
              (User, Residency, AuditEntry, PaperEntry, Participation, SealedBallot, Proposal, Support, Assistance)}
    counts["verified"] = session.scalar(select(func.sum(RegisterEntry.verified_count)))
    return counts


@pytest.fixture
def world(session):
    home, other = make_area(session, name="Varsseveld"), make_area(session, name="Ulft")
    entry = make_register_entry(session, home, postcode="7051AA", huisnummer=1, eligible_count=3)
    round_ = make_round(session, home, ballot_type=BallotType.APPROVAL)
    proposal = make_proposal(session, round_)
    voter = make_resident(session, home, user=make_user(session, email="kiezer@example.test"))
    waiting = make_resident(session, home, user=make_user(session, email="wacht@example.test"))
    unverified = make_user(session, email="nieuw@example.test")
    people = {
        "resident": make_user(session),
        "staff_home": make_user(session, role=Role.STAFF, areas=[home]),
        "staff_other": make_user(session, role=Role.STAFF, areas=[other]),
        "staff_none": make_user(session, role=Role.STAFF),
        "manager_home": make_user(session, role=Role.MANAGER, areas=[home]),
        "manager_other": make_user(session, role=Role.MANAGER, areas=[other]),
        "admin": make_user(session, role=Role.ADMIN),
    }
    entered_by = make_user(session, role=Role.STAFF, areas=[home])
    pending = paper_ballots.enter_paper_ballot(session, round_, staff=entered_by, voter=waiting, choices={proposal.id: 1})
    session.commit()
    values = {"entry_id": entry.id, "round_id": round_.id}
    forms = {
        "infopunt.verify_account": {"email": unverified.email, "id_checked": "y"},
        "infopunt.new_account": {"name": "Nieuwe Bewoner", "id_checked": "y"},
        "voting.paper": {"voter_id": str(voter.id), "project": str(proposal.id)},
        "voting.paper_reject": {"reason": "Klopt niet"},
        "voting.paper_confirm": {},
        "assisted.proposal": {"login": voter.email, "title": "Stroman", "cost_lines-0-item": "Hek",
                              "cost_lines-0-amount": "100", "consent": "y"},
        "assisted.support": {"login": voter.email, "proposal_id": str(proposal.id), "consent": "y"},
    }
    return people, values, forms, pending.id


ALLOWED = {"staff_home", "manager_home", "admin"}


@pytest.mark.parametrize("who", ["resident", "staff_home", "staff_other", "staff_none", "manager_home",
                                 "manager_other", "admin"])
def test_route_role_area_matrix_cross_area_is_403_and_writes_nothing(app, client, auth, session, world, who):
    people, values, forms, pending_id = world
    auth.login(people[who].email)
    rules = [r for r in app.url_map.iter_rules() if r.endpoint in INFO_POINT_ENDPOINTS]
    assert {r.endpoint for r in rules} == INFO_POINT_ENDPOINTS
    for rule in sorted(rules, key=lambda r: r.rule):
        args = {k: (pending_id if k == "entry_id" and rule.endpoint.startswith("voting.") else values[k])
                for k in rule.arguments}
        url = rule.build(args, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            before = _snapshot(session)
            if method == "GET":
                resp = client.get(url)
            else:
                resp = client.post(url, data=forms[rule.endpoint])
            after = _snapshot(session)
            if who in ALLOWED:
                assert resp.status_code != 403, (who, method, url)
            else:
                assert resp.status_code == 403, (who, method, url, resp.status_code)
                assert after == before, (who, method, url)


def test_cross_area_staff_cannot_create_a_voter_and_the_search_stays_in_their_areas(client, auth, session, world):
    people, values, _forms, _p = world
    auth.login(people["manager_other"].email)
    before = _snapshot(session)
    resp = client.post(f"/infopunt/addresses/{values['entry_id']}/new-account",
                       data={"name": "Stroman", "id_checked": "y"})
    assert resp.status_code == 403 and _snapshot(session) == before
    page = client.get("/infopunt/?postcode=7051AA&huisnummer=1").get_data(as_text=True)
    assert f"/infopunt/addresses/{values['entry_id']}" not in page
    auth.logout()
    auth.login(people["staff_home"].email)
    page = client.get("/infopunt/?postcode=7051AA&huisnummer=1").get_data(as_text=True)
    assert f"/infopunt/addresses/{values['entry_id']}" in page


def test_accounts_made_at_the_information_point_are_audited_and_listed_for_the_manager(client, auth, session, world):
    people, values, _forms, _p = world
    auth.login(people["staff_home"].email)
    resp = client.post(f"/infopunt/addresses/{values['entry_id']}/new-account",
                       data={"name": "Gerda Balie", "id_checked": "y"})
    assert resp.status_code == 200
    made = session.scalars(select(AuditEntry).where(AuditEntry.action == "residency.account_in_person")).one()
    assert made.actor_id == people["staff_home"].id and made.area_id is not None
    # Nothing in the entry points at a round, a ballot or a participation.
    assert made.round_id is None and set(made.after) == {"username"}
    auth.logout()
    auth.login(people["manager_home"].email)
    area_slug = session.get(RegisterEntry, values["entry_id"]).area.slug
    page = client.get(f"/manage/areas/{area_slug}/infopunt-accounts").get_data(as_text=True)
    assert "Gerda Balie" in page and people["staff_home"].name in page
    yesterday = (dt.date.today() - dt.timedelta(days=2)).isoformat()
    assert "Gerda Balie" not in client.get(f"/manage/areas/{area_slug}/infopunt-accounts?dag={yesterday}").get_data(
        as_text=True)
    auth.logout()
    auth.login(people["manager_other"].email)
    assert client.get(f"/manage/areas/{area_slug}/infopunt-accounts").status_code == 403


def test_purge_reimport_and_new_codes_do_not_hand_out_a_full_address_again(app, runner, session, tmp_path):
    from pb.services import residency as residency_service

    area = make_area(session, name="Gendringen", slug="gendringen", postcodes=["7081"])
    entry = make_register_entry(session, area, postcode="7081AB", huisnummer=10, eligible_count=1)
    staff = make_user(session, role=Role.STAFF, areas=[area])
    first = make_user(session)
    with app.test_request_context():
        residency_service.verify_in_person(session, first, entry, actor=staff, id_checked=True)
    session.commit()
    result = runner.invoke(args=["pb", "purge-register", "gendringen"])
    assert result.exit_code == 0, result.output
    assert session.scalar(select(func.count()).select_from(RegisterEntry)) == 0
    csv_file = tmp_path / "register.csv"
    csv_file.write_text("postcode;huisnummer;toevoeging;gebied;aantal_stemgerechtigden\n7081 AB;10;;gendringen;1\n", encoding="utf-8")
    result = runner.invoke(args=["pb", "import-addresses", str(csv_file)])
    assert result.exit_code == 0, result.output
    new_entry = session.scalars(select(RegisterEntry)).one()
    assert new_entry.verified_count == 1 and new_entry.places_left == 0
    result = runner.invoke(args=["pb", "letter-codes", "gendringen", "--yes", "--valid-until",
                                 (dt.date.today() + dt.timedelta(days=30)).isoformat(),
                                 "--csv", str(tmp_path / "codes.csv")])
    assert result.exit_code == 0, result.output
    second = make_user(session)
    session.commit()
    with app.test_request_context(), pytest.raises(Exception) as exc:
        residency_service.verify_in_person(session, second, new_entry, actor=staff, id_checked=True)
    assert "evenveel bewoners" in str(exc.value.message)
    session.rollback()
    assert session.scalar(select(Residency).where(Residency.user_id == second.id)) is None
