"""Age limits of a round: declared birth date, register birth year wins."""

from __future__ import annotations

import datetime as dt

import pytest

from pb.models.residency import Residency
from pb.models.round import BudgetRound
from pb.services.residency import age_on, meets_age_limits

ON = dt.date(2026, 11, 24)


@pytest.mark.parametrize(
    ("birth_date", "birth_year", "expected"),
    [
        (dt.date(2014, 11, 24), None, 12),  # birthday today
        (dt.date(2014, 11, 25), None, 11),  # birthday tomorrow
        (dt.date(2014, 11, 25), 2014, 11),  # same year: the exact date counts
        (dt.date(2000, 1, 1), 2014, 12),  # register wins: age reached this year
        (None, 2014, 12),
        (None, None, None),
    ],
)
def test_age_on(birth_date, birth_year, expected):
    assert age_on(Residency(birth_date=birth_date, birth_year=birth_year), ON) == expected


@pytest.mark.parametrize(
    ("min_age", "max_age", "birth_date", "allowed"),
    [
        (None, None, None, True),
        (12, None, None, False),
        (12, None, dt.date(2014, 11, 24), True),
        (12, None, dt.date(2014, 11, 25), False),
        (None, 18, dt.date(2008, 11, 24), True),
        (None, 18, dt.date(2007, 11, 24), False),
        (12, 18, dt.date(2010, 6, 1), True),
    ],
)
def test_meets_age_limits(min_age, max_age, birth_date, allowed):
    budget_round = BudgetRound(min_age=min_age, max_age=max_age)
    assert meets_age_limits(Residency(birth_date=birth_date), budget_round, on=ON) is allowed


def test_require_eligible_checks_residency_and_age(session):
    from sqlalchemy import select

    from pb.errors import PermissionDenied
    from pb.db import utcnow
    from pb.services.ballots import require_eligible
    from tests.factories import make_area, make_resident, make_round, make_user

    area = make_area(session)
    budget_round = make_round(session, area, title="Jongeren", min_age=12, max_age=18)
    young, old, outsider = make_resident(session, area), make_resident(session, area), make_user(session)
    today = dt.date.today()
    session.scalar(select(Residency).where(Residency.user_id == young.id)).birth_date = dt.date(today.year - 14, 1, 1)
    session.scalar(select(Residency).where(Residency.user_id == old.id)).birth_year = today.year - 40
    session.flush()
    assert require_eligible(session, budget_round, young, utcnow()).user_id == young.id
    for user in (old, outsider):
        with pytest.raises(PermissionDenied):
            require_eligible(session, budget_round, user, utcnow())
