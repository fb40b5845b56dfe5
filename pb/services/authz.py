"""Authorization in one place: who may act on which area.

An area's people are one relation (``area_managers``, ``User.managed_areas``): managers and
information-point staff assigned to it; the user's role says which work they do there.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session

from pb.errors import PermissionDenied
from pb.models.area import Area, area_managers
from pb.models.residency import Residency
from pb.models.user import Role, User


def can_manage_area(user: User | None, area: Area) -> bool:
    """Admins manage every area; managers only the areas assigned to them."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.MANAGER and any(a.id == area.id for a in user.managed_areas)


def require_area_manager(user: User | None, area: Area) -> None:
    """Raise unless ``user`` manages ``area``.

    Raises:
        PermissionDenied: not a manager of this area.
    """
    if not can_manage_area(user, area):
        raise PermissionDenied(_("U beheert dit gebied niet."))


def managed_areas_query(user: User) -> Select[Area]:
    """Query for the areas ``user`` may manage (all for admins), by name."""
    query = select(Area).order_by(Area.name)
    if user.role != Role.ADMIN:
        query = query.join(area_managers).where(area_managers.c.user_id == user.id)
    return query


def managed_areas(session: Session, user: User) -> list[Area]:
    """The areas ``user`` manages (every area for an admin)."""
    return list(session.scalars(managed_areas_query(user)))


def can_work_info_point(user: User | None, area: Area) -> bool:
    """Information-point work in ``area`` (verifying residents, making accounts, paper ballots, grant
    applications filed for a resident, paper backing lists):
    admins everywhere; staff and managers only in the areas assigned to them."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.role == Role.ADMIN:
        return True
    return user.role in (Role.STAFF, Role.MANAGER) and any(a.id == area.id for a in user.managed_areas)


def require_info_point(user: User | None, area: Area) -> None:
    """Raise unless ``user`` works the information point of ``area``.

    Raises:
        PermissionDenied: not staff for this area.
    """
    if not can_work_info_point(user, area):
        raise PermissionDenied(_("Alleen medewerkers van het informatiepunt kunnen dit doen."))


def info_point_area_ids(user: User) -> set[int] | None:
    """The ids of the areas whose information point ``user`` works; None means every area (admin)."""
    if user.role == Role.ADMIN:
        return None
    if user.role not in (Role.STAFF, Role.MANAGER):
        return set()
    return {a.id for a in user.managed_areas}


def residency_in(session: Session, user: User | None, area: Area) -> Residency | None:
    """Return ``user``'s verified residency in ``area``, if any."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return session.scalar(
        select(Residency).where(Residency.user_id == user.id, Residency.area_id == area.id)
    )


def require_resident(session: Session, user: User | None, area: Area) -> Residency:
    """Return the residency or raise.

    Raises:
        PermissionDenied: not a verified resident of ``area``.
    """
    residency = residency_in(session, user, area)
    if residency is None:
        raise PermissionDenied(
            _("Alleen geverifieerde bewoners van %(area)s kunnen dit doen.", area=area.name)
        )
    return residency


def info_point_areas_query(user: User) -> Select[Area]:
    """Query for the areas whose information point ``user`` works (every area for an admin), by name."""
    if user.role not in (Role.ADMIN, Role.STAFF, Role.MANAGER):
        return select(Area).where(false())
    return managed_areas_query(user)
