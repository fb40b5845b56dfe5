"""The information point: staff verify residents in person; every action audited."""

from __future__ import annotations

import re

from sqlalchemy import select

from pb.models.audit import AuditEntry
from pb.models.register import RegisterEntry
from pb.models.residency import Residency, VerificationMethod
from pb.models.user import Role, User
from tests.factories import make_area, make_register_entry, make_user


def test_only_staff_reach_the_information_point(client, auth, session):
    resident = make_user(session)
    staff = make_user(session, role=Role.STAFF)
    session.commit()
    assert client.get("/infopunt/").status_code == 302
    auth.login(resident.email)
    assert client.get("/infopunt/").status_code == 403
    auth.logout()
    auth.login(staff.email)
    assert client.get("/infopunt/").status_code == 200


def test_staff_search_and_verify_existing_account_with_audit(client, auth, session):
    area = make_area(session, name="Gendringen")
    entry = make_register_entry(session, area, postcode="7081AB", huisnummer=4, toevoeging="B", birth_year=1950)
    staff = make_user(session, role=Role.STAFF, areas=[area])
    resident = make_user(session, email="truus@example.test")
    session.commit()
    auth.login(staff.email)
    page = client.get("/infopunt/?postcode=7081+ab&huisnummer=4").get_data(as_text=True)
    assert "Dorpsstraat 4B, 7081 AB" in page and "Gendringen" in page and f"/infopunt/addresses/{entry.id}" in page
    url = f"/infopunt/addresses/{entry.id}/verify-account"
    resp = client.post(url, data={"email": "truus@example.test"})
    assert resp.status_code == 200 and "identiteitsbewijs heeft gecontroleerd" in resp.get_data(as_text=True)
    assert session.scalar(select(Residency)) is None
    resp = client.post(url, data={"email": "Truus@example.test", "id_checked": "y", "birth_date": "1950-03-02"})
    assert resp.status_code == 302
    residency = session.scalar(select(Residency).where(Residency.user_id == resident.id))
    assert residency.method == VerificationMethod.IN_PERSON and residency.verified_by_id == staff.id
    assert residency.register_entry_id == entry.id and residency.birth_year == 1950
    assert session.get(RegisterEntry, entry.id).verified_count == 1
    audit = session.scalar(select(AuditEntry).where(AuditEntry.action == "residency.verify_in_person"))
    assert audit.actor_id == staff.id and audit.object_id == str(resident.id) and audit.after["id_checked"] is True
    # The address has one eligible resident: a second in-person verification is refused.
    other = make_user(session, email="ander@example.test")
    session.commit()
    resp = client.post(url, data={"email": "ander@example.test", "id_checked": "y"})
    assert "evenveel bewoners" in resp.get_data(as_text=True)
    assert session.scalar(select(Residency).where(Residency.user_id == other.id)) is None


def test_staff_create_account_without_email_and_resident_logs_in(client, auth, session):
    area = make_area(session, name="Ulft")
    entry = make_register_entry(session, area, eligible_count=2)
    staff = make_user(session, role=Role.STAFF, areas=[area])
    session.commit()
    auth.login(staff.email)
    resp = client.post(f"/infopunt/addresses/{entry.id}/new-account",
                       data={"name": "Henk Zonder Mail", "id_checked": "y", "birth_date": "1940-01-01"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Uw inloggegevens" in page and "Henk Zonder Mail" in page
    username = re.search(r"<code>(bewoner-[a-z0-9]+)</code>", page).group(1)
    password = re.findall(r"<code>([^<]+)</code>", page)[1]
    user = session.scalar(select(User).where(User.username == username))
    assert user.email is None and user.role == Role.RESIDENT
    assert password not in str(user.password_hash)
    residency = session.scalar(select(Residency).where(Residency.user_id == user.id))
    assert residency.method == VerificationMethod.IN_PERSON and residency.verified_by_id == staff.id
    actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.actor_id == staff.id)))
    assert {"user.create", "residency.verify_in_person"} <= actions
    audit_text = " ".join(e.after_json for e in session.scalars(select(AuditEntry)))
    assert password not in audit_text
    auth.logout()
    resp = auth.login(username, password)
    assert resp.status_code == 302
    assert "Ulft" in client.get("/account").get_data(as_text=True)


def test_search_with_bad_input_shows_errors_and_unknown_address_says_so(client, auth, session):
    staff = make_user(session, role=Role.STAFF)
    session.commit()
    auth.login(staff.email)
    page = client.get("/infopunt/?postcode=abc&huisnummer=1").get_data(as_text=True)
    assert "Vul een postcode in zoals 1234 AB" in page
    page = client.get("/infopunt/?postcode=7071AB&huisnummer=x").get_data(as_text=True)
    assert "Er is iets niet goed ingevuld" in page
    page = client.get("/infopunt/?postcode=7071AB&huisnummer=1").get_data(as_text=True)
    assert "staat niet in het adressenbestand" in page
    assert client.get("/infopunt/addresses/999").status_code == 404
