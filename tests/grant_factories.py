"""Factories for small grants (pots, settings, mandates, applications)."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy.orm import Session

from pb.models.area import Area
from pb.models.grant import ApplicationStatus, GrantApplication, GrantCostLine, GrantMandate, GrantPot, GrantSettings
from pb.models.user import User


def make_pot(session: Session, area: Area, *, grants_cents: int = 1_000_000, year: int | None = None) -> GrantPot:
    """This year's pot of ``area`` with ``grants_cents`` for small grants (and as much for rounds)."""
    from pb.services.pots import current_year

    pot = GrantPot(area_id=area.id, year=year or current_year(), total_cents=2 * grants_cents,
                   rounds_cents=grants_cents, grants_cents=grants_cents, available_cents=grants_cents)
    session.add(pot)
    session.flush()
    return pot


def make_settings(session: Session, area: Area, **values: int) -> GrantSettings:
    """Settings for ``area`` (minimum backing 0 unless given)."""
    row = GrantSettings(area_id=area.id, min_backing=values.get("min_backing", 0),
                        ceiling_cents=values.get("ceiling_cents", 500_000),
                        receipts_above_cents=values.get("receipts_above_cents", 50_000),
                        service_days=values.get("service_days", 10))
    session.add(row)
    session.flush()
    return row


def make_mandate(session: Session, user: User, amount_cents: int) -> None:
    """Give ``user`` a mandate."""
    session.add(GrantMandate(user_id=user.id, amount_cents=amount_cents))
    session.flush()


def make_application(session: Session, area: Area, applicant: User, *, cents: int = 50_000,
                     status: ApplicationStatus = ApplicationStatus.SUBMITTED, title: str = "Bankje bij de vijver",
                     **values: object) -> GrantApplication:
    """An application of ``applicant`` in ``area`` asking ``cents`` (one cost line)."""
    app = GrantApplication(area_id=area.id, applicant_id=applicant.id, title=title, description="Een bankje.",
                           requested_cents=cents, status=status, **values)
    app.cost_lines = [GrantCostLine(position=0, description="Bankje", amount_cents=cents)]
    session.add(app)
    session.flush()
    return app


def png_bytes(size: tuple[int, int] = (20, 20)) -> bytes:
    """A small PNG."""
    out = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(out, "PNG")
    return out.getvalue()
