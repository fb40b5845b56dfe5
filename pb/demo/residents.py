"""Demo residents: an account (made once) verified as living in an area."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pb.db import utcnow
from pb.models.area import Area
from pb.models.residency import Residency, VerificationMethod
from pb.models.user import Role, User
from pb.services import accounts


def demo_resident(session: Session, email: str, name: str, area: Area, password: str) -> User:
    """The resident with ``email``, made if missing and verified in person in ``area`` if not yet."""
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        user = accounts.create_user(session, actor=None, email=email, name=name, password=password,
                                    role=Role.RESIDENT)
    if not any(r.area_id == area.id for r in user.residencies):
        session.add(Residency(user=user, area=area, method=VerificationMethod.IN_PERSON, verified_at=utcnow()))
        session.flush()
    return user
