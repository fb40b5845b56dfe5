"""Mijn buurtbudget: what one resident wrote, supports and follows, and where they took part."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from pb.db import utcnow
from pb.models.ballot import Participation
from pb.models.proposal import Proposal, ProposalStatus, Support
from pb.models.residency import Residency
from pb.models.round import BudgetRound, Phase
from pb.models.user import User

VOTE_PHASES = (Phase.VOTING, Phase.CLOSED, Phase.RESULTS)


@dataclass(frozen=True)
class RoundTakePart:
    """A round in an area where I live, with whether I took part (from participations only)."""

    round: BudgetRound
    phase: Phase
    voted: bool


def my_proposals(session: Session, user: User) -> list[Proposal]:
    """The proposals ``user`` wrote (hidden ones included: they are theirs), newest first."""
    return list(session.scalars(select(Proposal).where(Proposal.author_id == user.id)
                                .order_by(Proposal.id.desc())))


def supported(session: Session, user: User) -> list[Proposal]:
    """The visible proposals ``user`` supports, newest first."""
    return list(session.scalars(select(Proposal).join(Support, Support.proposal_id == Proposal.id)
                                .where(Support.user_id == user.id, Proposal.status != ProposalStatus.HIDDEN)
                                .order_by(Proposal.id.desc())))


def vote_rounds(session: Session, user: User, now: dt.datetime | None = None) -> list[RoundTakePart]:
    """Rounds in ``user``'s areas where voting opened, newest first, with whether they voted."""
    now = now or utcnow()
    areas = select(Residency.area_id).where(Residency.user_id == user.id)
    rounds = session.scalars(select(BudgetRound).where(BudgetRound.area_id.in_(areas), BudgetRound.voting_open_at <= now)
                             .order_by(BudgetRound.voting_close_at.desc(), BudgetRound.id.desc()))
    voted = set(session.scalars(select(Participation.round_id).where(Participation.voter_id == user.id)))
    return [RoundTakePart(round=r, phase=r.phase_at(now), voted=r.id in voted) for r in rounds
            if r.phase_at(now) in VOTE_PHASES]
