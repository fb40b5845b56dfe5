"""Admins create and edit areas, postcodes and managers; nobody else can."""

from __future__ import annotations

from sqlalchemy import select

from pb.models.area import Area
from pb.models.audit import AuditEntry
from pb.models.user import Role
from tests.factories import make_area, make_user


def test_admin_creates_area_with_postcodes_and_manager(client, auth, session):
    admin = make_user(session, role=Role.ADMIN)
    manager = make_user(session, role=Role.MANAGER, name="Gerrit")
    session.commit()
    auth.login(admin.email)
    resp = client.post("/admin/areas/new", data={
        "name": "Ulft", "slug": "ulft", "description": "Dorp",
        "postcodes": "7071, 7072 ab\n7073", "manager_ids": [str(manager.id)],
    })
    assert resp.status_code == 302
    area = session.scalar(select(Area).where(Area.slug == "ulft"))
    assert [p.postcode for p in area.postcodes] == ["7071", "7072AB", "7073"]
    assert [m.id for m in area.managers] == [manager.id]
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "area.create"))
    assert entry.actor_id == admin.id and entry.after["postcodes"] == ["7071", "7072AB", "7073"]


def test_bad_area_input_shows_dutch_errors_and_writes_nothing(client, auth, session):
    admin = make_user(session, role=Role.ADMIN)
    make_area(session, slug="bestaat", postcodes=["7081"])
    resident = make_user(session)
    session.commit()
    auth.login(admin.email)
    cases = [
        ({"name": "X", "slug": "Met Spaties", "postcodes": ""}, "kleine letters"),
        ({"name": "X", "slug": "bestaat", "postcodes": ""}, "al in gebruik"),
        ({"name": "X", "slug": "nieuw", "postcodes": "123"}, "geen geldige postcode"),
        ({"name": "X", "slug": "nieuw", "postcodes": "7081"}, "hoort al bij"),
        ({"name": "X", "slug": "nieuw", "postcodes": "", "manager_ids": [str(resident.id)]}, "gebiedsregisseurs"),
    ]
    for data, message in cases:
        resp = client.post("/admin/areas/new", data=data)
        assert resp.status_code == 200
        assert message in resp.get_data(as_text=True), data
    assert session.scalar(select(Area).where(Area.slug == "nieuw")) is None


def test_admin_edits_area(client, auth, session):
    admin = make_user(session, role=Role.ADMIN)
    area = make_area(session, slug="oud", postcodes=["7061"])
    session.commit()
    auth.login(admin.email)
    assert "7061" in client.get("/admin/areas/oud/edit").get_data(as_text=True)
    resp = client.post("/admin/areas/oud/edit", data={"name": "Nieuw", "slug": "nieuw", "postcodes": "7064"})
    assert resp.status_code == 302
    session.expire_all()
    area = session.get(Area, area.id)
    assert area.name == "Nieuw" and [p.postcode for p in area.postcodes] == ["7064"]


def test_mass_assignment_ignored(client, auth, session):
    admin = make_user(session, role=Role.ADMIN)
    session.commit()
    auth.login(admin.email)
    client.post("/admin/areas/new", data={"name": "A", "slug": "a", "postcodes": "", "id": "999",
                                          "created_at": "2000-01-01"})
    area = session.scalar(select(Area).where(Area.slug == "a"))
    assert area.id != 999 and area.created_at.year != 2000


def test_only_admins_reach_admin_pages(client, auth, session):
    for role in (Role.RESIDENT, Role.STAFF, Role.MANAGER):
        user = make_user(session, role=role)
        session.commit()
        auth.login(user.email)
        assert client.get("/admin/areas").status_code == 403
        assert client.post("/admin/areas/new", data={"name": "x", "slug": "x"}).status_code == 403
        auth.logout()
    assert session.scalar(select(Area).where(Area.slug == "x")) is None
    assert client.get("/admin/").status_code == 302  # anonymous: to the login page


def test_manage_default_deny(client, auth, session):
    area = make_area(session, name="Ulft")
    manager = make_user(session, role=Role.MANAGER, areas=[area])
    other = make_area(session, name="Elders")
    resident = make_user(session)
    session.commit()
    auth.login(resident.email)
    assert client.get("/manage/").status_code == 403
    auth.logout()
    auth.login(manager.email)
    body = client.get("/manage/").get_data(as_text=True)
    assert "Ulft" in body and "Elders" not in body
    assert other.id


def test_admin_changes_role_with_audit(client, auth, session):
    admin = make_user(session, role=Role.ADMIN)
    user = make_user(session)
    session.commit()
    auth.login(admin.email)
    client.post(f"/admin/users/{user.id}/role", data={"role": "staff"})
    session.expire_all()
    assert session.get(type(user), user.id).role == Role.STAFF
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "user.role")).after == {"role": "staff"}
    client.post(f"/admin/users/{user.id}/role", data={"role": "emperor"})
    session.expire_all()
    assert session.get(type(user), user.id).role == Role.STAFF


def test_audit_log_names_who_acted_not_their_internal_id(client, auth, session):
    admin = make_user(session, role=Role.ADMIN, name="Anna Admin")
    session.commit()
    auth.login(admin.email)
    assert client.post("/admin/areas/new", data={"name": "Ulft", "slug": "ulft", "description": "Dorp",
                                                 "postcodes": "7071"}).status_code == 302
    page = client.get("/admin/audit").get_data(as_text=True)
    row = page.split("area.create")[0].rsplit("<tr>", 1)[1]
    # The "Door" cell holds the name and login, where it used to hold the account's id.
    assert f"<td>Anna Admin ({admin.email})</td>" in row
