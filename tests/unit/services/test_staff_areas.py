"""An area's people are one relation: staff assigned on the small-grants settings page work the whole
information point of that area (residents, paper ballots, grants), and staff assigned on the area
form file grants there too; nowhere else (THREATS 11, 22)."""

from __future__ import annotations

from pb.models.user import Role
from pb.services import authz, grant_settings
from tests.factories import make_area, make_user


def test_one_relation_answers_for_every_kind_of_information_point_work(session):
    home, other = make_area(session, slug="ulft"), make_area(session, slug="elders")
    admin = make_user(session, role=Role.ADMIN)
    manager = make_user(session, role=Role.MANAGER, areas=[home])
    from_grants = make_user(session, role=Role.STAFF)
    from_area_form = make_user(session, role=Role.STAFF, areas=[home])
    assert not authz.can_work_info_point(from_grants, home)

    grant_settings.set_staff(session, home, actor=admin, user_ids=[from_grants.id, from_area_form.id])
    session.flush()
    for staff in (from_grants, from_area_form):
        assert authz.can_work_info_point(staff, home) and not authz.can_work_info_point(staff, other)
        assert authz.info_point_area_ids(staff) == {home.id}
        assert [a.slug for a in session.scalars(authz.info_point_areas_query(staff))] == ["ulft"]
    assert grant_settings.staff_ids_of(session, home) == sorted([from_grants.id, from_area_form.id])

    # Taking staff off keeps the area's managers.
    grant_settings.set_staff(session, home, actor=admin, user_ids=[from_area_form.id])
    session.flush()
    assert not authz.can_work_info_point(from_grants, home)
    assert {u.id for u in home.managers} == {manager.id, from_area_form.id}
    assert authz.can_manage_area(manager, home) and not authz.can_manage_area(from_area_form, home)


def test_residents_work_no_information_point(session):
    area = make_area(session)
    resident = make_user(session)
    assert not authz.can_work_info_point(resident, area)
    assert list(session.scalars(authz.info_point_areas_query(resident))) == []
    assert authz.info_point_area_ids(resident) == set()
