"""Small grants through HTTP: the whole path with forms, XSS in every field (THREAT 13), mass assignment
(THREAT 16), the CSV/JSON downloads (THREAT 14), uploads stored in the database (THREAT 18)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import func, select

from pb.models.agenda import AgendaItem
from pb.models.audit import AuditEntry
from pb.models.grant import (
    ApplicationStatus, Backing, FileKind, GrantApplication, GrantFile, GrantPot, GrantSettings, LedgerEntry,
    LedgerKind, ReportStatus,
)
from pb.models.user import Role
from pb.services import accountability, area_agenda, backings, grant_decisions
from tests.factories import PASSWORD, make_area, make_resident, make_user
from tests.functional.test_rounds_public import PAYLOADS
from tests.grant_factories import make_application, make_mandate, make_pot, make_settings, png_bytes


@pytest.fixture
def world(app, session):
    area = make_area(session, slug="ulft", name="Ulft")
    manager = make_user(session, role=Role.MANAGER, areas=[area], email="regisseur@example.test")
    colleague = make_user(session, role=Role.MANAGER, areas=[area], email="collega@example.test")
    applicant = make_resident(session, area, user=make_user(session, email="jan@example.test", name="Jan Jansen"))
    neighbours = [make_resident(session, area) for _ in range(2)]
    make_mandate(session, manager, 100_000)
    make_settings(session, area, min_backing=2, receipts_above_cents=50_000)
    pot = make_pot(session, area, grants_cents=1_000_000)
    session.commit()
    return {"area": area, "manager": manager, "colleague": colleague, "applicant": applicant,
            "neighbours": neighbours, "pot": pot}


def _login(app, email):
    client = app.test_client()
    assert client.post("/login", data={"login": email, "password": PASSWORD}).status_code == 302
    return client


def _apply_post(**extra):
    data = {"title": "Bloembakken Kerkstraat", "description": "Tien bloembakken voor de straat.",
            "cost_lines-0-item": "Bakken", "cost_lines-0-amount": "400,00",
            "cost_lines-1-item": "Planten", "cost_lines-1-amount": "200",
            "own_contribution": "50", "volunteer_hours": "8", "planned_on": "2027-04-01", "show_name": "y"}
    data.update(extra)
    return data


def test_whole_path_through_the_forms(app, session, world, outbox):
    w = world
    jan = _login(app, w["applicant"].email)
    resp = jan.post("/areas/ulft/buurtbudget/apply", content_type="multipart/form-data",
                    data=_apply_post(photo=(io.BytesIO(png_bytes()), "bakken.png")))
    assert resp.status_code == 302
    application = session.scalar(select(GrantApplication))
    assert application.requested_cents == 60_000 and application.own_contribution_cents == 5_000
    assert application.show_name and application.planned_on.isoformat() == "2027-04-01"
    photo = session.scalar(select(GrantFile).where(GrantFile.kind == FileKind.PHOTO))
    assert photo is not None and photo.data[:4] == b"\x89PNG"
    assert not (app.config["UPLOAD_DIR"] and __import__("pathlib").Path(app.config["UPLOAD_DIR"]).exists())
    page = jan.get(f"/grants/{application.id}").get_data(as_text=True)
    assert "Bloembakken Kerkstraat" in page and "Jan Jansen" in page and f"/grants/files/{photo.id}" in page

    for n in w["neighbours"]:
        assert _login(app, n.email).post(f"/grants/{application.id}/back").status_code == 302
    assert session.scalar(select(func.count()).select_from(Backing)) == 2

    manager = _login(app, w["manager"].email)
    page = manager.get(f"/manage/grants/{application.id}").get_data(as_text=True)
    assert "Online: 2" in page
    resp = manager.post(f"/manage/grants/{application.id}/decide",
                        data={"outcome": "grant", "amount": "550", "conditions": "Foto's sturen"})
    assert resp.status_code == 302
    session.refresh(application)
    assert application.status == ApplicationStatus.GRANTED and application.granted_cents == 55_000
    assert "toegekend" in outbox.last_body()
    assert manager.post(f"/manage/grants/{application.id}/paid").status_code == 302

    resp = jan.post(f"/grants/{application.id}/report", content_type="multipart/form-data",
                    data={"text": "De bakken staan er.", "actual": "500",
                          "photos": [(io.BytesIO(png_bytes()), "a.png"), (io.BytesIO(png_bytes((30, 30))), "b.png")],
                          "receipts": [(io.BytesIO(b"%PDF-1.4 bon"), "bon.pdf")]})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    assert session.scalar(select(func.count()).select_from(GrantFile).where(
        GrantFile.kind == FileKind.REPORT_PHOTO)) == 2
    resp = manager.post(f"/manage/grants/{application.id}/review", data={"outcome": "accept"})
    assert resp.status_code == 302
    session.refresh(application)
    assert application.report.status == ReportStatus.ACCEPTED
    ledger = [(e.kind, e.amount_cents) for e in session.scalars(select(LedgerEntry).order_by(LedgerEntry.id))]
    assert ledger == [(LedgerKind.COMMITMENT, 55_000), (LedgerKind.PAYMENT, 55_000), (LedgerKind.RETURN, 5_000)]

    public = app.test_client().get("/areas/ulft/buurtbudget").get_data(as_text=True)
    assert "Bloembakken Kerkstraat" in public and "Verantwoording goedgekeurd" in public
    assert "9.500,00" in public  # 10.000 - 550 + 50 available
    page = app.test_client().get(f"/grants/{application.id}").get_data(as_text=True)
    for label in ("Aanvraag ingediend", "Aanvraag toegekend", "Bedrag uitbetaald", "Verantwoording goedgekeurd"):
        assert label in page
    actions = set(session.scalars(select(AuditEntry.action)))
    assert {"grant.apply", "grant.grant", "grant.paid", "grant.report", "grant.report_accept"} <= actions


def test_above_mandate_needs_second_manager_through_the_forms(app, session, world):
    w = world
    application = make_application(session, w["area"], w["applicant"], cents=150_000)
    for n in w["neighbours"]:
        backings.back(session, application, actor=n)
    session.commit()
    manager = _login(app, w["manager"].email)
    manager.post(f"/manage/grants/{application.id}/decide", data={"outcome": "grant"})
    session.refresh(application)
    assert application.status == ApplicationStatus.AWAITING_SECOND
    page = manager.get(f"/manage/grants/{application.id}").get_data(as_text=True)
    assert "Een andere gebiedsregisseur of de gemeente moet akkoord geven." in page
    assert manager.post(f"/manage/grants/{application.id}/second", data={"agree": "yes"}).status_code == 200
    session.refresh(application)
    assert application.status == ApplicationStatus.AWAITING_SECOND
    colleague = _login(app, w["colleague"].email)
    assert colleague.post(f"/manage/grants/{application.id}/second", data={"agree": "yes"}).status_code == 302
    session.refresh(application)
    assert application.status == ApplicationStatus.GRANTED and application.granted_cents == 150_000


def test_refusal_reason_required_and_shown_on_the_form(app, session, world):
    w = world
    application = make_application(session, w["area"], w["applicant"])
    session.commit()
    manager = _login(app, w["manager"].email)
    resp = manager.post(f"/manage/grants/{application.id}/decide", data={"outcome": "refuse", "text": ""})
    assert resp.status_code == 200 and "Geef een reden. Die is openbaar." in resp.get_data(as_text=True)
    session.refresh(application)
    assert application.status == ApplicationStatus.SUBMITTED


def test_question_and_answer_through_the_forms(app, session, world, outbox):
    w = world
    application = make_application(session, w["area"], w["applicant"])
    session.commit()
    manager = _login(app, w["manager"].email)
    manager.post(f"/manage/grants/{application.id}/decide", data={"outcome": "question", "text": "Waar precies?"})
    assert "Waar precies?" in outbox.last_body()
    jan = _login(app, w["applicant"].email)
    assert "Vraag van de gebiedsregisseur" in jan.get(f"/grants/{application.id}").get_data(as_text=True)
    jan.post(f"/grants/{application.id}/answer", data={"answer": "Bij de kerk."})
    session.refresh(application)
    assert application.status == ApplicationStatus.SUBMITTED and application.answer == "Bij de kerk."


def test_csv_and_json_downloads(app, session, world):
    w = world
    make_application(session, w["area"], w["applicant"], title='=HYPERLINK("http://evil.example","klik")')
    session.commit()
    client = app.test_client()
    resp = client.get("/areas/ulft/buurtbudget.csv")
    assert resp.mimetype == "text/csv" and resp.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert rows[1][1].startswith("'=HYPERLINK")
    assert w["applicant"].email not in resp.get_data(as_text=True)
    resp = client.get("/areas/ulft/buurtbudget.json")
    data = json.loads(resp.get_data(as_text=True))
    assert data["applications"][0]["applicant"] == "" and data["pot"]["available_eur"] == "10000.00"
    assert "/areas/ulft/buurtbudget" in client.get("/areas/ulft").get_data(as_text=True)


# --- mass assignment (THREAT 16) -------------------------------------------------------------------

def test_extra_fields_on_apply_are_ignored(app, session, world):
    w = world
    other = make_user(session, role=Role.MANAGER)
    session.commit()
    jan = _login(app, w["applicant"].email)
    jan.post("/areas/ulft/buurtbudget/apply", data=_apply_post(
        status="granted", granted_cents="99999", requested_cents="1", applicant_id=str(other.id),
        assisted_by_id=str(other.id), area_id="999", paid="y", pot_id="1", decision_reason="ja"))
    application = session.scalar(select(GrantApplication))
    assert application.status == ApplicationStatus.SUBMITTED and application.granted_cents is None
    assert application.requested_cents == 60_000 and application.applicant_id == w["applicant"].id
    assert application.assisted_by_id is None and application.area_id == w["area"].id and not application.paid


def test_extra_fields_on_manager_and_admin_forms_are_ignored(app, session, world):
    w = world
    application = make_application(session, w["area"], w["applicant"])
    for n in w["neighbours"]:
        backings.back(session, application, actor=n)
    admin = make_user(session, role=Role.ADMIN)
    session.commit()
    manager = _login(app, w["manager"].email)
    manager.post(f"/manage/grants/{application.id}/decide", data={
        "outcome": "grant", "amount": "100", "granted_cents": "50000", "paid": "y", "status": "refused",
        "applicant_id": str(w["manager"].id)})
    session.refresh(application)
    assert application.granted_cents == 10_000 and not application.paid
    assert application.applicant_id == w["applicant"].id
    manager.post("/manage/areas/ulft/agenda/new", data={"title": "Groen", "area_id": "999", "position": "-5"})
    item = session.scalar(select(AgendaItem))
    assert item.area_id == w["area"].id and item.position == 1
    admin_client = _login(app, admin.email)
    admin_client.post("/admin/areas/ulft/buurtbudget", data={
        "year": str(w["pot"].year), "total": "30000", "rounds": "10000", "grants": "20000", "min_backing": "1",
        "ceiling": "5000", "receipts_above": "500", "service_days": "5", "available_cents": "99999999",
        "area_id": "999"})
    pot = session.get(GrantPot, w["pot"].id)
    assert pot.grants_cents == 2_000_000 and pot.available_cents == 2_000_000 - 10_000
    settings = session.get(GrantSettings, w["area"].id)
    assert (settings.min_backing, settings.service_days) == (1, 5)


def test_admin_assigns_staff_and_mandate(app, session, world):
    w = world
    staff = make_user(session, role=Role.STAFF, name="Sanne")
    admin = make_user(session, role=Role.ADMIN)
    session.commit()
    client = _login(app, admin.email)
    page = client.get("/admin/areas/ulft/buurtbudget").get_data(as_text=True)
    assert "Sanne" in page and 'value="10.000,00"' in page
    client.post("/admin/areas/ulft/buurtbudget", data={
        "year": str(w["pot"].year), "total": "20.000", "rounds": "10.000", "grants": "10.000", "min_backing": "2",
        "ceiling": "5.000", "receipts_above": "500", "service_days": "10", "staff_ids": str(staff.id)})
    assert [a.id for a in staff.managed_areas] == [w["area"].id]  # the one relation the information point reads
    client.post(f"/admin/mandates/{w['colleague'].id}", data={f"m{w['colleague'].id}-amount": "2.500"})
    from pb.services import grant_settings

    assert grant_settings.mandate_of(session, w["colleague"]) == 250_000
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action.in_(("area.staff", "grant_mandate.set")))) == 2


def test_assisted_filing_at_the_information_point(app, session, world):
    w = world
    staff = make_user(session, role=Role.STAFF, areas=[w["area"]])
    session.commit()
    client = _login(app, staff.email)
    assert "Aanvraag invullen voor een bewoner" in client.get("/infopunt/grants").get_data(as_text=True)
    resp = client.post("/infopunt/areas/ulft/grants/new", data=_apply_post(resident_login="onbekend@example.test"))
    assert resp.status_code == 200 and "Geen bevestigde bewoner" in resp.get_data(as_text=True)
    resp = client.post("/infopunt/areas/ulft/grants/new", data=_apply_post(resident_login=w["applicant"].email))
    assert resp.status_code == 302
    application = session.scalar(select(GrantApplication))
    assert application.assisted_by_id == staff.id and application.applicant_id == w["applicant"].id
    page = app.test_client().get(f"/grants/{application.id}").get_data(as_text=True)
    assert "met hulp van het informatiepunt" in page
    resp = client.post(f"/infopunt/grants/{application.id}/paper", content_type="multipart/form-data",
                       data={"signatures": "12", "scan": (io.BytesIO(b"%PDF-1.4 lijst"), "lijst.pdf")})
    assert resp.status_code == 302
    assert backings.total(session, application) == 12


# --- XSS (THREAT 13) -------------------------------------------------------------------------------

@pytest.mark.parametrize("payload", PAYLOADS)
def test_xss_escaped_everywhere(app, session, world, outbox, payload):
    w = world
    w["applicant"].name = f"Naam {payload}"
    item = area_agenda.create_item(session, w["area"], actor=w["manager"],
                                   data=area_agenda.ItemData(f"Punt {payload}", f"Uitleg {payload}"))
    application = make_application(session, w["area"], w["applicant"], title=f"Aanvraag {payload}",
                                   show_name=True, organisation_name="", agenda_item_id=item.id)
    application.description = f"Wat {payload}"
    application.cost_lines[0].description = f"Regel {payload}"
    org = make_application(session, w["area"], w["applicant"], title="Club", organisation_name=f"Club {payload}")
    for n in w["neighbours"]:
        backings.back(session, application, actor=n)
    grant_decisions.ask_question(session, application, actor=w["manager"], question=f"Vraag {payload}")
    from pb.services import grant_applications

    grant_applications.answer_question(session, application, actor=w["applicant"], answer=f"Antwoord {payload}")
    grant_decisions.grant(session, application, actor=w["manager"], conditions=f"Voorwaarde {payload}")
    accountability.submit_report(session, application, actor=w["applicant"], text=f"Verslag {payload}",
                                 actual_cents=10_000, photos=[], receipts=[])
    accountability.ask_more(session, application, actor=w["manager"], note=f"Meer {payload}")
    grant_decisions.refuse(session, org, actor=w["manager"], reason=f"Reden {payload}")
    session.commit()
    manager = _login(app, w["manager"].email)
    urls = ["/areas/ulft/buurtbudget", f"/grants/{application.id}", f"/grants/{org.id}",
            f"/areas/ulft/agenda/{item.id}", "/manage/areas/ulft/grants", f"/manage/grants/{application.id}",
            f"/manage/grants/{org.id}", f"/manage/areas/ulft/agenda/{item.id}/edit"]
    for url in urls:
        body = manager.get(url).get_data(as_text=True)
        assert payload not in body, url
        assert "<script>alert" not in body and "onerror=alert" not in body.replace("onerror=alert(1)&gt;", ""), url
    for url in ("/areas/ulft/buurtbudget.csv", "/areas/ulft/buurtbudget.json"):
        resp = manager.get(url)
        assert resp.mimetype in ("text/csv", "application/json")
        assert resp.headers["Content-Disposition"].startswith("attachment")
    for msg in outbox.messages():
        assert msg.get_content_type() == "text/plain" and not msg.is_multipart()


def test_round_proposal_refers_to_an_agenda_item(app, session, world):
    from pb.models.proposal import Proposal
    from tests.factories import make_round

    w = world
    round_ = make_round(session, w["area"], phase="proposals")
    item = area_agenda.create_item(session, w["area"], actor=w["manager"],
                                   data=area_agenda.ItemData("Spelen", "Speelplekken"))
    elsewhere = make_area(session)
    foreign = AgendaItem(area_id=elsewhere.id, title="Elders")
    session.add(foreign)
    session.commit()
    jan = _login(app, w["applicant"].email)
    form = jan.get(f"/rounds/{round_.id}/proposals/new").get_data(as_text=True)
    assert "Spelen" in form and "Elders" not in form
    post = {"title": "Schommel", "cost_lines-0-item": "Schommel", "cost_lines-0-amount": "900"}
    resp = jan.post(f"/rounds/{round_.id}/proposals/new", data={**post, "agenda_item_id": str(foreign.id)})
    assert resp.status_code == 200 and session.scalar(select(func.count()).select_from(Proposal)) == 0
    jan.post(f"/rounds/{round_.id}/proposals/new", data={**post, "agenda_item_id": str(item.id)})
    proposal = session.scalar(select(Proposal))
    assert proposal.agenda_item_id == item.id
    assert f"/areas/ulft/agenda/{item.id}" in jan.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    proposal.status = "submitted"
    session.commit()
    assert "Schommel" in app.test_client().get(f"/areas/ulft/agenda/{item.id}").get_data(as_text=True)


def test_too_large_application_is_moved_into_a_round_through_the_page(app, session, world, outbox):
    from pb.models.proposal import Proposal, ProposalStatus
    from tests.factories import make_round

    w = world
    round_ = make_round(session, w["area"], phase="proposals", title="Ronde Ulft")
    application = make_application(session, w["area"], w["applicant"], cents=900_000, title="Nieuw speelveld")
    session.commit()
    jan = _login(app, w["applicant"].email)
    page = jan.get(f"/grants/{application.id}").get_data(as_text=True)
    assert "Dat is te veel voor het buurtbudget" in page and "Ronde Ulft" in page
    resp = jan.post(f"/grants/{application.id}/move", data={"round_id": str(round_.id)})
    proposal = session.scalar(select(Proposal))
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/proposals/{proposal.id}")
    assert proposal.title == "Nieuw speelveld" and proposal.status == ProposalStatus.DRAFT
    assert proposal.author_id == w["applicant"].id and proposal.estimated_cost_cents == 900_000
    session.refresh(application)
    assert application.status == ApplicationStatus.MOVED_TO_ROUND and application.proposal_id == proposal.id
    assert "concept-plan" in outbox.last_body()


def test_every_manager_staff_and_admin_write_is_audited(session, world):
    """Each write by a manager, staff member or admin adds an audit entry naming them."""
    from pb.services import grant_applications, grant_settings, pots

    w = world
    staff = make_user(session, role=Role.STAFF)
    admin = make_user(session, role=Role.ADMIN)
    pot = w["pot"]

    def entries_by(user):
        return session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.actor_id == user.id))

    steps = [
        (admin, lambda: grant_settings.set_staff(session, w["area"], actor=admin, user_ids=[staff.id])),
        (admin, lambda: grant_settings.set_mandate(session, w["colleague"], actor=admin, amount_cents=1)),
        (admin, lambda: grant_settings.save_settings(session, w["area"], actor=admin, data=grant_settings.SettingsData(
            min_backing=0, ceiling_cents=500_000, receipts_above_cents=50_000, service_days=10))),
        (admin, lambda: pots.set_pot(session, w["area"], actor=admin, data=pots.PotData(
            year=pot.year, total_cents=3_000_000, rounds_cents=0, grants_cents=2_000_000))),
        (w["manager"], lambda: area_agenda.create_item(session, w["area"], actor=w["manager"],
                                                       data=area_agenda.ItemData("Groen", ""))),
    ]
    for actor_, step in steps:
        before = entries_by(actor_)
        step()
        assert entries_by(actor_) == before + 1
    app_row = grant_applications.file_assisted(
        session, w["area"], staff=staff, resident=w["applicant"],
        data=grant_applications.ApplicationData(title="Bankje", description="x", cost_lines=[("Bankje", 40_000)]))
    before = entries_by(staff)
    backings.add_paper(session, app_row, staff=staff, signatures=4, scan=io.BytesIO(b"%PDF-1.4"))
    assert entries_by(staff) == before + 1 == 2
    item = session.scalar(select(AgendaItem))
    m = w["manager"]
    manager_steps = [
        (m, lambda: area_agenda.update_item(session, item, actor=m, data=area_agenda.ItemData("Groen!", ""))),
        (m, lambda: grant_decisions.ask_question(session, app_row, actor=m, question="?")),
        (w["applicant"], lambda: grant_applications.answer_question(session, app_row, actor=w["applicant"],
                                                                     answer="!")),
        (m, lambda: grant_decisions.grant(session, app_row, actor=m)),
        (m, lambda: grant_decisions.mark_paid(session, app_row, actor=m)),
        (w["applicant"], lambda: accountability.submit_report(session, app_row, actor=w["applicant"], text="ok",
                                                              actual_cents=40_000, photos=[], receipts=[])),
        (m, lambda: accountability.reclaim(session, app_row, actor=m, amount_cents=100, note="Bon mist")),
    ]
    for actor_, step in manager_steps:
        before = entries_by(actor_)
        step()
        assert entries_by(actor_) == before + 1


def test_register_in_english(app, session, world):
    w = world
    make_application(session, w["area"], w["applicant"])
    session.commit()
    client = app.test_client()
    client.post("/language", data={"lang": "en", "next": "/areas/ulft/buurtbudget"})
    body = client.get("/areas/ulft/buurtbudget").get_data(as_text=True)
    assert "Neighbourhood budget Ulft" in body and "Submitted, waiting for a decision" in body
    assert "Alle aanvragen" not in body
