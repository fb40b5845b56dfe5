"""Issue 18: the age rule never offers a ballot it refuses; the resident adds the birth date online."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from pb.clock import local_today
from pb.models.residency import Residency
from tests.factories import make_area, make_proposal, make_resident, make_round


@pytest.fixture
def age_round(session):
    area = make_area(session)
    round_ = make_round(session, area, title="Jongerenbudget", min_age=16)
    make_proposal(session, round_, title="Skatebaan")
    voter = make_resident(session, area)
    session.commit()
    return round_, voter


def _offers_ballot(html: str, round_id: int) -> bool:
    return f'href="/rounds/{round_id}/vote"' in html


def test_the_age_rule_never_offers_a_ballot_it_refuses(client, auth, session, age_round):
    round_, voter = age_round
    auth.login(voter.email)
    for url in ("/vote", f"/rounds/{round_.id}"):
        html = client.get(url).get_data(as_text=True)
        assert not _offers_ballot(html, round_.id), url
        assert "uw geboortedatum is niet bekend" in html and 'href="/account/birth-date"' in html
    assert client.get(f"/rounds/{round_.id}/vote").status_code == 403  # what the pages no longer offer

    born = local_today().replace(year=local_today().year - 30, month=1, day=1)
    saved = client.post("/account/birth-date", data={"birth_date": born.isoformat()})
    assert saved.status_code == 302
    for url in ("/vote", f"/rounds/{round_.id}"):
        html = client.get(url).get_data(as_text=True)
        assert _offers_ballot(html, round_.id), url
    assert client.get(f"/rounds/{round_.id}/vote").status_code == 200


def test_too_young_is_told_why_not_offered_a_ballot(client, auth, session, age_round):
    round_, voter = age_round
    auth.login(voter.email)
    young = local_today().replace(year=local_today().year - 12, month=1, day=1)
    assert client.post("/account/birth-date", data={"birth_date": young.isoformat()}).status_code == 302
    html = client.get("/vote").get_data(as_text=True)
    assert not _offers_ballot(html, round_.id) and "buiten de leeftijdsgrens" in html


def test_a_year_the_register_contradicts_is_refused(client, auth, session, age_round):
    round_, voter = age_round
    residency = session.scalar(select(Residency).where(Residency.user_id == voter.id))
    residency.birth_year = 1980
    session.commit()
    auth.login(voter.email)
    page = client.post("/account/birth-date", data={"birth_date": "1981-03-04"})
    assert page.status_code == 400
    assert "past niet bij de gemeentelijke administratie" in page.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(Residency.birth_date).where(Residency.user_id == voter.id)) is None
    assert client.post("/account/birth-date", data={"birth_date": "1980-03-04"}).status_code == 302
    session.expire_all()
    assert session.scalar(select(Residency.birth_date).where(Residency.user_id == voter.id)) == dt.date(1980, 3, 4)


def test_account_page_links_to_the_birth_date_form(client, auth, age_round):
    _round, voter = age_round
    auth.login(voter.email)
    assert 'href="/account/birth-date"' in client.get("/account").get_data(as_text=True)
    assert client.get("/account/birth-date").status_code == 200
