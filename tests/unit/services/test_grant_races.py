"""The pot never goes below zero and an application is granted once, also when 20 decisions arrive at
the same moment (threads + barrier, each with its own database session; PostgreSQL in CI, SQLite too)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from pb.db import db_session
from pb.errors import DomainError
from pb.models.grant import ApplicationStatus, GrantApplication, GrantPot, LedgerEntry, LedgerKind
from pb.models.user import Role, User
from pb.services import grant_decisions
from tests.factories import make_area, make_resident, make_user
from tests.grant_factories import make_application, make_mandate, make_pot, make_settings

N = 20


def _race(app, pairs: list[tuple[int, int]]) -> list[str]:
    """One thread per (application id, manager id): all grant at the same moment."""
    barrier = threading.Barrier(len(pairs))
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(application_id: int, manager_id: int) -> None:
        with app.test_request_context():
            session = db_session()
            barrier.wait()
            try:
                application = session.get(GrantApplication, application_id)
                manager = session.get(User, manager_id)
                grant_decisions.grant(session, application, actor=manager)
                session.commit()
                outcome = "granted"
            except DomainError as exc:
                session.rollback()
                outcome = type(exc).__name__
            except Exception as exc:  # noqa: BLE001 - a crash must fail the test, visibly
                session.rollback()
                outcome = f"crash: {exc!r}"
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=worker, args=pair) for pair in pairs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes


@pytest.fixture
def world(session):
    area = make_area(session)
    managers = [make_user(session, role=Role.MANAGER, areas=[area]) for _ in range(2)]
    for m in managers:
        make_mandate(session, m, 100_000)
    make_settings(session, area, min_backing=0)
    applicant = make_resident(session, area)
    return area, managers, applicant


def test_twenty_concurrent_grants_never_overdraw_the_pot(app, session, world):
    area, managers, applicant = world
    pot = make_pot(session, area, grants_cents=370_000)  # room for 7 grants of 50.000 cents
    apps = [make_application(session, area, applicant, cents=50_000) for _ in range(N)]
    pairs = [(a.id, managers[i % 2].id) for i, a in enumerate(apps)]
    pot_id = pot.id
    session.commit()

    outcomes = _race(app, pairs)

    assert outcomes.count("granted") == 7, outcomes
    assert outcomes.count("PotExhausted") == N - 7, outcomes
    session.commit()
    assert session.get(GrantPot, pot_id).available_cents == 20_000
    committed = session.scalar(select(func.sum(LedgerEntry.amount_cents)).where(
        LedgerEntry.kind == LedgerKind.COMMITMENT))
    assert committed == 350_000
    granted = session.scalar(select(func.count()).select_from(GrantApplication)
                             .where(GrantApplication.status == ApplicationStatus.GRANTED))
    assert granted == 7


def test_twenty_concurrent_grants_of_one_application_commit_once(app, session, world):
    area, managers, applicant = world
    pot = make_pot(session, area, grants_cents=1_000_000)
    application = make_application(session, area, applicant, cents=50_000)
    pairs = [(application.id, managers[i % 2].id) for i in range(N)]
    pot_id = pot.id
    session.commit()

    outcomes = _race(app, pairs)

    assert outcomes.count("granted") == 1, outcomes
    assert outcomes.count("InvalidState") == N - 1, outcomes
    session.commit()
    assert session.get(GrantPot, pot_id).available_cents == 950_000
    assert session.scalar(select(func.count()).select_from(LedgerEntry)) == 1


def test_the_database_refuses_a_negative_balance(session):
    """Even code that skips the service cannot store a negative balance (check constraint)."""
    area = make_area(session)
    pot = make_pot(session, area, grants_cents=100)
    session.commit()
    with pytest.raises(IntegrityError):
        session.execute(update(GrantPot).where(GrantPot.id == pot.id).values(available_cents=-1))
        session.flush()
    session.rollback()
