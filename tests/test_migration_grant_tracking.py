"""Migration 0015 on data: applications granted before it get their tracking (planned, or done
with the reported cost when the report was accepted); others get none."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from pb import migrate
from pb.db import make_engine
from pb.models.area import Area
from pb.models.grant import ApplicationStatus, GrantApplication, GrantPot, GrantReport, ReportStatus
from pb.models.user import User


def test_upgrade_tracks_the_applications_granted_before(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    decided = dt.datetime(2026, 5, 1, 10, tzinfo=dt.timezone.utc)
    try:
        migrate.upgrade(engine, "0014")
        with Session(engine) as session:  # the grant tables are as 0009 made them
            area = Area(slug="ulft", name="Ulft", description="")
            user = User(email="a@example.test", name="A", password_hash="x")
            session.add_all([area, user])
            session.flush()
            pot = GrantPot(area_id=area.id, year=2026, total_cents=100_000, grants_cents=100_000,
                           available_cents=20_000)
            session.add(pot)
            session.flush()

            def application(title: str, status: ApplicationStatus, granted: int | None) -> GrantApplication:
                row = GrantApplication(area_id=area.id, applicant_id=user.id, title=title, requested_cents=50_000,
                                       status=status, granted_cents=granted, pot_id=pot.id if granted else None,
                                       decided_at=decided)
                session.add(row)
                session.flush()
                return row

            feest = application("Feest", ApplicationStatus.GRANTED, 40_000)
            bankje = application("Bankje", ApplicationStatus.GRANTED, 30_000)
            application("Vuurwerk", ApplicationStatus.REFUSED, None)
            application("Bloemen", ApplicationStatus.SUBMITTED, None)
            session.add(GrantReport(application_id=bankje.id, text="Staat er", actual_cents=28_000,
                                    status=ReportStatus.ACCEPTED))
            session.commit()
            feest_id, bankje_id = feest.id, bankje.id
        migrate.upgrade(engine)
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT grant_application_id, proposal_id, area_id, year, title, status, budgeted_cents, "
                "actual_cents, cancel_reason FROM implementations ORDER BY grant_application_id")).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [
        (feest_id, None, 1, 2026, "Feest", "planned", 40_000, None, ""),
        (bankje_id, None, 1, 2026, "Bankje", "done", 30_000, 28_000, ""),
    ]
