"""The area agenda (gebiedsagenda / dorpsplan): the manager publishes the area's priorities as items;
applications and round proposals refer to them; an item's page lists what was funded for it."""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pb.db import by_id
from pb.errors import NotFound, ValidationFailed
from pb.models.agenda import AgendaItem
from pb.models.area import Area
from pb.models.grant import ApplicationStatus, GrantApplication
from pb.models.proposal import Proposal
from pb.models.result import RoundResult
from pb.models.user import User
from pb.services import audit, authz


@dataclass(frozen=True)
class ItemData:
    """What the manager writes."""

    title: str
    description: str


def items_of(session: Session, area: Area) -> list[AgendaItem]:
    """The area's agenda, in order."""
    return list(session.scalars(select(AgendaItem).where(AgendaItem.area_id == area.id)
                                .order_by(AgendaItem.position, AgendaItem.id)))


def get_item(session: Session, area: Area, item_id: int) -> AgendaItem:
    """One item of ``area``'s agenda.

    Raises:
        NotFound: no such item in this area.
    """
    item = by_id(session, AgendaItem, item_id)
    if item is None or item.area_id != area.id:
        raise NotFound(_("Dit punt staat niet op de gebiedsagenda."))
    return item


def _check(data: ItemData) -> None:
    if not data.title.strip():
        raise ValidationFailed(_("Geef het punt een titel."), field="title")


def create_item(session: Session, area: Area, *, actor: User, data: ItemData) -> AgendaItem:
    """Publish a new item on the area's agenda.

    Raises:
        PermissionDenied: not a manager of the area.
        ValidationFailed: no title.
    """
    authz.require_area_manager(actor, area)
    _check(data)
    last = session.scalar(select(func.max(AgendaItem.position)).where(AgendaItem.area_id == area.id))
    item = AgendaItem(area_id=area.id, title=" ".join(data.title.split()), description=data.description.strip(),
                      position=(last or 0) + 1)
    session.add(item)
    session.flush()
    audit.record(session, actor=actor, action="agenda.create", obj_type="agenda_item", obj_id=item.id,
                 area_id=area.id, public=True, after={"title": item.title})
    return item


def update_item(session: Session, item: AgendaItem, *, actor: User, data: ItemData) -> None:
    """Change an item's text.

    Raises:
        PermissionDenied: not a manager of the item's area.
        ValidationFailed: no title.
    """
    area = session.get(Area, item.area_id)
    assert area is not None
    authz.require_area_manager(actor, area)
    _check(data)
    before = {"title": item.title, "description": item.description}
    item.title, item.description = " ".join(data.title.split()), data.description.strip()
    session.flush()
    audit.record(session, actor=actor, action="agenda.update", obj_type="agenda_item", obj_id=item.id,
                 area_id=area.id, public=True, before=before,
                 after={"title": item.title, "description": item.description})


def funded_applications(session: Session, item: AgendaItem) -> list[GrantApplication]:
    """Granted applications that serve ``item``."""
    return list(session.scalars(select(GrantApplication).where(
        GrantApplication.agenda_item_id == item.id, GrantApplication.status == ApplicationStatus.GRANTED,
    ).order_by(GrantApplication.decided_at)))


@dataclass(frozen=True)
class ProposalForItem:
    """A round proposal that serves an agenda item, and whether the vote funded it."""

    proposal: Proposal
    funded: bool


def proposals_for(session: Session, item: AgendaItem) -> list[ProposalForItem]:
    """Public round proposals that serve ``item``; funded = selected in the round's published result."""
    from pb.services.proposals import PUBLIC_STATUSES

    proposals = list(session.scalars(select(Proposal).where(
        Proposal.agenda_item_id == item.id, Proposal.status.in_(PUBLIC_STATUSES)).order_by(Proposal.id)))
    selected: set[int] = set()
    for round_id in {p.round_id for p in proposals}:
        result = session.scalar(select(RoundResult).where(RoundResult.round_id == round_id)
                                .order_by(RoundResult.version.desc()).limit(1))
        if result is not None:
            projects = json.loads(result.outcome_json).get("projects", [])
            selected |= {e.get("proposal_id") for e in projects if e.get("selected")}
    return [ProposalForItem(proposal=p, funded=p.id in selected) for p in proposals]
