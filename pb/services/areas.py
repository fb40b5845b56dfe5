"""Areas: create, edit, postcodes and managers (admin only)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pb.errors import NotFound, ValidationFailed
from pb.models.area import Area, AreaPostcode
from pb.models.user import Role, User
from pb.services import audit

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
POSTCODE_RE = re.compile(r"^([1-9][0-9]{3})\s?([A-Za-z]{2})?$")


def normalise_postcode(text: str) -> str:
    """Return ``1234`` or ``1234AB`` for a 4-digit postcode with optional letters.

    Raises:
        ValidationFailed: not a Dutch postcode (area).
    """
    match = POSTCODE_RE.match(text.strip())
    if not match:
        raise ValidationFailed(
            _("'%(pc)s' is geen geldige postcode (4 cijfers, eventueel met 2 letters).", pc=text.strip()),
            field="postcodes",
        )
    return match.group(1) + (match.group(2) or "").upper()


def parse_postcodes(text: str) -> list[str]:
    """Split a list of postcodes (comma, space or newline separated; ``1234 AB`` kept together)."""
    parts = re.findall(r"[0-9]{4}\s?[A-Za-z]{2}(?![A-Za-z])|[^\s,;]+", text)
    return sorted({normalise_postcode(p) for p in parts})


@dataclass(frozen=True)
class AreaData:
    """Editable fields of an area."""

    name: str
    slug: str
    description: str
    postcodes: list[str]
    manager_ids: list[int]


def list_areas(session: Session) -> list[Area]:
    """Return every area, by name."""
    return list(session.scalars(select(Area).order_by(Area.name)))


def get_by_slug(session: Session, slug: str) -> Area:
    """Return the area with ``slug``.

    Raises:
        NotFound: no such area.
    """
    area = session.scalar(select(Area).where(Area.slug == slug))
    if area is None:
        raise NotFound(_("Dit gebied bestaat niet."))
    return area


def get_area(session: Session, area_id: int) -> Area:
    """Return the area with ``area_id``.

    Raises:
        NotFound: no such area.
    """
    area = session.get(Area, area_id)
    if area is None:
        raise NotFound(_("Dit gebied bestaat niet."))
    return area


def eligible_managers(session: Session) -> list[User]:
    """Accounts that can be assigned to an area: managers, and staff for its information point."""
    return list(
        session.scalars(select(User).where(User.role.in_([Role.MANAGER, Role.STAFF, Role.ADMIN]))
                        .order_by(User.name))
    )


def _check(session: Session, data: AreaData, area: Area | None) -> list[User]:
    if not SLUG_RE.match(data.slug):
        raise ValidationFailed(
            _("Gebruik voor de korte naam alleen kleine letters, cijfers en streepjes."), field="slug"
        )
    other = session.scalar(select(Area).where(Area.slug == data.slug))
    if other is not None and other is not area:
        raise ValidationFailed(_("Deze korte naam is al in gebruik."), field="slug")
    for pc in data.postcodes:
        owner = session.scalar(select(Area).join(AreaPostcode).where(AreaPostcode.postcode == pc))
        if owner is not None and owner is not area:
            raise ValidationFailed(
                _("Postcode %(pc)s hoort al bij %(area)s.", pc=pc, area=owner.name), field="postcodes"
            )
    managers = [session.get(User, uid) for uid in data.manager_ids]
    if any(m is None or not m.has_role(Role.MANAGER, Role.STAFF) for m in managers):
        raise ValidationFailed(_("Kies alleen gebiedsregisseurs en medewerkers van het informatiepunt."),
                               field="manager_ids")
    return [m for m in managers if m is not None]


def _snapshot(area: Area) -> dict[str, object]:
    return {
        "name": area.name,
        "slug": area.slug,
        "description": area.description,
        "postcodes": [p.postcode for p in area.postcodes],
        "managers": [m.id for m in area.managers],
    }


def _apply(area: Area, data: AreaData, managers: list[User]) -> None:
    area.name = data.name.strip()
    area.slug = data.slug
    area.description = data.description.strip()
    wanted = set(data.postcodes)
    area.postcodes = [p for p in area.postcodes if p.postcode in wanted]
    have = {p.postcode for p in area.postcodes}
    area.postcodes.extend(AreaPostcode(postcode=pc) for pc in sorted(wanted - have))
    area.managers = managers


def create_area(session: Session, *, actor: User | None, data: AreaData) -> Area:
    """Create an area with its postcodes and managers; audited.

    Raises:
        ValidationFailed: bad or taken slug, postcode of another area, non-manager assigned.
    """
    managers = _check(session, data, None)
    area = Area()
    _apply(area, data, managers)
    session.add(area)
    _flush(session)
    audit.record(session, actor=actor, action="area.create", obj_type="area", obj_id=area.id,
                 area_id=area.id, after=_snapshot(area))
    return area


def update_area(session: Session, area: Area, *, actor: User, data: AreaData) -> None:
    """Edit an area; audited with before and after.

    Raises:
        ValidationFailed: as for :func:`create_area`.
    """
    managers = _check(session, data, area)
    before = _snapshot(area)
    _apply(area, data, managers)
    _flush(session)
    audit.record(session, actor=actor, action="area.update", obj_type="area", obj_id=area.id,
                 area_id=area.id, before=before, after=_snapshot(area))


def _flush(session: Session) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # a concurrent edit took the slug or a postcode
        raise ValidationFailed(_("De korte naam of een postcode is net door iemand anders gebruikt.")) from exc
