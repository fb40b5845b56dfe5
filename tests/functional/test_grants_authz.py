"""Authorization matrix for the small-grant blueprints, built from app.url_map: every route x
{anonymous, resident, applicant, resident elsewhere, manager, manager elsewhere, staff of the area,
staff of another area, admin}. No unexpected 2xx, cross-area requests 403, refused POSTs write nothing
(THREATS 11, 12, 22)."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from pb.models.agenda import AgendaItem
from pb.models.area import area_managers
from pb.models.audit import AuditEntry
from pb.models.grant import (
    Backing, FileKind, GrantApplication, GrantDecision, GrantFile, GrantMandate, GrantPot, GrantSettings, LedgerEntry,
    PaperBacking,
)
from tests.authz_matrix import rules_of, two_area_people, walk
from tests.factories import PASSWORD, make_area, make_resident
from tests.grant_factories import make_application, make_mandate, make_pot, make_settings

BLUEPRINTS = ("grants", "manage_grants", "grants_staff", "admin_grants")
ROLES = ["anonymous", "resident", "applicant", "resident_other", "manager", "manager_other", "staff", "staff_other",
         "admin"]
EVERYONE = set(ROLES)
MANAGERS = {"manager", "admin"}
INFO_POINT = {"staff", "manager", "admin"}
ALLOWED_2XX = {
    "grants.register": EVERYONE,
    "grants.register_csv": EVERYONE,
    "grants.register_json": EVERYONE,
    "grants.agenda_item": EVERYONE,
    "grants.application": EVERYONE,
    "grants.file": INFO_POINT,  # the fixture file is a scan of a signature list
    "grants.apply": {"resident", "applicant"},
    "grants.back": set(),
    "grants.unback": set(),
    "grants.withdraw": set(),
    "grants.answer": set(),
    "grants.move": set(),
    "grants.report": {"applicant"},
    "manage_grants.queue": MANAGERS,
    "manage_grants.application": MANAGERS,
    "manage_grants.decide": MANAGERS,
    "manage_grants.second": MANAGERS,
    "manage_grants.paid": set(),
    "manage_grants.review": MANAGERS,
    "manage_grants.new_agenda_item": MANAGERS,
    "manage_grants.edit_agenda_item": MANAGERS,
    "grants_staff.index": {"staff", "staff_other", "manager", "manager_other", "admin"},
    "grants_staff.file_for_resident": INFO_POINT,
    "grants_staff.paper": INFO_POINT,
    "admin_grants.area_settings": {"admin"},
    "admin_grants.mandates": {"admin"},
    "admin_grants.set_mandate": set(),
}
# POST endpoints that may write for these roles; for everyone else the database must stay as it was.
MAY_WRITE = {
    "grants.apply": {"resident", "applicant"}, "grants.back": {"resident"}, "grants.unback": {"resident"},
    "grants.withdraw": {"applicant"}, "grants.answer": {"applicant"}, "grants.move": {"applicant"},
    "grants.report": {"applicant"},
    "manage_grants.decide": MANAGERS, "manage_grants.second": MANAGERS, "manage_grants.paid": MANAGERS,
    "manage_grants.review": MANAGERS, "manage_grants.new_agenda_item": MANAGERS,
    "manage_grants.edit_agenda_item": MANAGERS,
    "grants_staff.file_for_resident": INFO_POINT, "grants_staff.paper": INFO_POINT,
    "admin_grants.area_settings": {"admin"}, "admin_grants.set_mandate": {"admin"},
}
# Routes about one area's objects: everyone of another area (and residents) is refused with 403.
AREA_SCOPED_403 = {
    "manage_grants": {"resident", "applicant", "resident_other", "manager_other", "staff", "staff_other"},
    "grants_staff": {"resident", "applicant", "resident_other", "manager_other", "staff_other"},
    "admin_grants": {"resident", "applicant", "resident_other", "manager", "manager_other", "staff", "staff_other"},
}


@pytest.fixture
def world(app, session):
    area = make_area(session, slug="ulft")
    users = two_area_people(session, area, make_area(session, slug="elders"))
    users["applicant"] = make_resident(session, area)
    make_pot(session, area)
    make_settings(session, area, min_backing=0)
    make_mandate(session, users["manager"], 100_000)
    application = make_application(session, area, users["applicant"])
    scan = GrantFile(application_id=application.id, kind=FileKind.SCAN, content_type="application/pdf",
                     sha256="0" * 64, size=8, data=b"%PDF-1.4")
    session.add(scan)
    item = AgendaItem(area_id=area.id, title="Groen", description="")
    session.add(item)
    session.flush()
    ids = {"slug": area.slug, "application_id": application.id, "file_id": scan.id, "item_id": item.id,
           "user_id": users["manager"].id}
    emails = {role: u.email for role, u in users.items()}
    session.commit()
    return ids, emails


def _state(session):
    session.commit()
    counts = tuple(session.scalar(select(func.count()).select_from(m)) for m in (
        GrantApplication, Backing, PaperBacking, GrantDecision, LedgerEntry, AgendaItem, GrantPot, GrantSettings,
        GrantMandate, GrantFile, AuditEntry, area_managers))
    return counts + (
        tuple(session.scalars(select(GrantApplication.status).order_by(GrantApplication.id))),
        tuple(session.scalars(select(GrantApplication.title).order_by(GrantApplication.id))),
        tuple(session.scalars(select(AgendaItem.title).order_by(AgendaItem.id))),
        tuple(session.scalars(select(GrantPot.available_cents).order_by(GrantPot.id))),
    )


def _url(rule, ids) -> str:
    url = rule.rule.replace("<slug>", ids["slug"])
    for name in ("application_id", "file_id", "item_id", "user_id"):
        url = url.replace(f"<int:{name}>", str(ids[name]))
    assert "<" not in url, url
    return url


@pytest.mark.parametrize("role", ROLES)
def test_route_matrix(app, session, world, role):
    ids, emails = world
    post_data = {"title": "Gekaapt", "description": "x", "outcome": "refuse", "text": "x", "answer": "x",
                 "agree": "yes", "note": "x", "signatures": "3", "amount": "1", "status": "granted"}
    rules = rules_of(app, BLUEPRINTS, ALLOWED_2XX)
    for visit in walk(app, session, email=emails.get(role), rules=rules, url_of=lambda r: _url(r, ids),
                      state=_state, post_data=post_data):
        endpoint, status, method = visit.rule.endpoint, visit.status, visit.method
        blueprint, where = endpoint.split(".")[0], (role, method, visit.url, status)
        if 200 <= status < 300:
            assert role in ALLOWED_2XX[endpoint], where
        if method == "GET" or role not in MAY_WRITE.get(endpoint, set()):
            assert not visit.wrote, where
        if role == "anonymous" and (blueprint != "grants" or method == "POST"):
            assert status == 302 and "/login" in visit.response.headers["Location"], where
        if role in AREA_SCOPED_403.get(blueprint, set()) and endpoint != "grants_staff.index":
            assert status == 403, where


def test_receipts_and_scans_only_for_those_who_check_them(app, client, session, world):
    ids, emails = world
    application = session.get(GrantApplication, ids["application_id"])
    receipt = GrantFile(application_id=application.id, kind=FileKind.RECEIPT, content_type="application/pdf",
                        sha256="1" * 64, size=8, data=b"%PDF-1.4")
    photo = GrantFile(application_id=application.id, kind=FileKind.PHOTO, content_type="image/png",
                      sha256="2" * 64, size=4, data=b"\x89PNG")
    session.add_all([receipt, photo])
    session.commit()
    expected = {"anonymous": (200, 404, 404), "resident": (200, 404, 404), "applicant": (200, 200, 404),
                "manager": (200, 200, 200), "manager_other": (200, 404, 404), "staff": (200, 404, 200),
                "staff_other": (200, 404, 404), "admin": (200, 200, 200)}
    for role, (photo_status, receipt_status, scan_status) in expected.items():
        c = app.test_client()
        if role != "anonymous":
            c.post("/login", data={"login": emails[role], "password": PASSWORD})
        got = tuple(c.get(f"/grants/files/{i}").status_code for i in (photo.id, receipt.id, ids["file_id"]))
        assert got == (photo_status, receipt_status, scan_status), role
    resp = app.test_client().get(f"/grants/files/{photo.id}")
    assert resp.mimetype == "image/png"
    c = app.test_client()
    c.post("/login", data={"login": emails["manager"], "password": PASSWORD})
    resp = c.get(f"/grants/files/{receipt.id}")
    assert resp.headers["Content-Disposition"].startswith("attachment") and "sandbox" in resp.headers[
        "Content-Security-Policy"]


def test_staff_cannot_enter_paper_lists_in_another_area(app, session, world):
    ids, emails = world
    c = app.test_client()
    c.post("/login", data={"login": emails["staff_other"], "password": PASSWORD})
    resp = c.post(f"/infopunt/grants/{ids['application_id']}/paper", content_type="multipart/form-data",
                  data={"signatures": "40", "scan": (io.BytesIO(b"%PDF-1.4 lijst"), "lijst.pdf")})
    assert resp.status_code == 403
    session.commit()
    assert session.scalar(select(func.count()).select_from(PaperBacking)) == 0
