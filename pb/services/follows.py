"""Residents follow a proposal or an area to hear when something happens there."""

from __future__ import annotations

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pb.models.area import Area
from pb.models.notification import Follow
from pb.models.proposal import Proposal
from pb.models.user import User


def follow(session: Session, user: User, *, proposal: Proposal | None = None, area: Area | None = None) -> None:
    """Follow one proposal or one area (following twice changes nothing)."""
    assert (proposal is None) != (area is None)
    try:
        with session.begin_nested():
            session.add(Follow(user_id=user.id, proposal_id=proposal.id if proposal else None,
                               area_id=area.id if area else None))
    except IntegrityError:
        pass  # already followed (a double click or a second tab)


def _target(proposal: Proposal | None, area: Area | None) -> ColumnElement[bool]:
    if proposal is not None:
        return Follow.proposal_id == proposal.id
    assert area is not None
    return Follow.area_id == area.id


def unfollow(session: Session, user: User, *, proposal: Proposal | None = None, area: Area | None = None) -> None:
    """Stop following a proposal or an area."""
    assert (proposal is None) != (area is None)
    session.execute(delete(Follow).where(Follow.user_id == user.id, _target(proposal, area)))
    session.flush()


def is_following(session: Session, user: User | None, *, proposal: Proposal | None = None,
                 area: Area | None = None) -> bool:
    """Whether ``user`` follows the proposal or area."""
    if user is None:
        return False
    return session.scalar(select(Follow.id).where(Follow.user_id == user.id, _target(proposal, area))) is not None


def followed_proposals(session: Session, user: User) -> list[Proposal]:
    """The proposals ``user`` follows, newest round first."""
    return list(session.scalars(select(Proposal).join(Follow, Follow.proposal_id == Proposal.id)
                                .where(Follow.user_id == user.id).order_by(Proposal.round_id.desc(), Proposal.id)))


def followed_areas(session: Session, user: User) -> list[Area]:
    """The areas ``user`` follows."""
    return list(session.scalars(select(Area).join(Follow, Follow.area_id == Area.id)
                                .where(Follow.user_id == user.id).order_by(Area.name)))
