"""Assisted participation: information-point staff file a proposal or a support for a resident who
comes by, with the resident's consent. Scoped to the staff member's areas; the resident's own
rules (verified resident, phases, no own support, the threshold) apply as if they acted online.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from pb.errors import InvalidState, PermissionDenied, ValidationFailed
from pb.models.area import Area
from pb.models.assistance import Assistance, AssistKind
from pb.models.proposal import Proposal, ProposalStatus, Support, project_order
from pb.models.round import BudgetRound, Phase
from pb.models.user import User
from pb.services import audit, authz, proposals

# The phases in which an information point can help: writing plans, and gathering support.
ASSIST_PHASES = (Phase.PROPOSALS, Phase.SUPPORT)


def _check(staff: User, resident: User, area: Area, consent: bool) -> None:
    authz.require_info_point(staff, area)
    if resident.id == staff.id:
        raise PermissionDenied(_("U kunt dit niet voor uzelf doen. Doe het met uw eigen account als bewoner."))
    if not consent:
        raise ValidationFailed(_("Vink aan dat de bewoner toestemming geeft. Zonder toestemming kunt u niets "
                                 "indienen."), field="consent")


def _record(session: Session, kind: AssistKind, proposal: Proposal, *, staff: User, resident: User) -> Assistance:
    row = Assistance(kind=kind, proposal_id=proposal.id, resident_id=resident.id, staff_id=staff.id)
    session.add(row)
    session.flush()
    return row


def file_proposal(session: Session, round_: BudgetRound, *, staff: User, resident: User,
                  data: proposals.ProposalData, consent: bool, photo: str | None = None) -> Proposal:
    """Staff write and submit a proposal for ``resident``, who is its author (marked assisted).

    Args:
        consent: the staff member ticked that the resident agreed; stored with who and when.

    Raises:
        PermissionDenied: ``staff`` does not work the information point of the round's area, acts
            for themselves, or ``resident`` is not a verified resident of the area.
        ValidationFailed: no consent, bad input or no cost line.
        InvalidState: the proposal phase is not open.
    """
    _check(staff, resident, round_.area, consent)
    proposal = proposals.create_proposal(session, round_, actor=resident, data=data, photo=photo)
    proposals.submit_proposal(session, proposal, actor=resident, assisted_by=staff)
    _record(session, AssistKind.PROPOSAL, proposal, staff=staff, resident=resident)
    return proposal


def file_support(session: Session, proposal: Proposal, *, staff: User, resident: User, consent: bool) -> Support:
    """Staff record ``resident``'s support for ``proposal`` (marked assisted in the public history).

    The public history says only that the information point helped: neither the resident nor the
    staff member is named there; the audit entry's actor and the assistance row keep who.

    Raises:
        PermissionDenied: as for :func:`file_proposal`.
        ValidationFailed: no consent.
        InvalidState: support is closed, the resident wrote the proposal (own support never
            counts) or already supports it.
    """
    round_ = proposal.round
    _check(staff, resident, round_.area, consent)
    authz.require_resident(session, resident, round_.area)
    if proposals.is_initiator(resident, proposal):
        raise InvalidState(_("Deze bewoner heeft dit plan zelf ingediend. Eigen steun telt niet mee."),
                           field="proposal_id")
    if proposals.supports(session, proposal, resident):
        raise InvalidState(_("Deze bewoner steunt dit plan al."), field="proposal_id")
    support = proposals.support_proposal(session, proposal, actor=resident)
    _record(session, AssistKind.SUPPORT, proposal, staff=staff, resident=resident)
    audit.record(session, actor=staff, action="proposal.support_assisted", obj_type="proposal", obj_id=proposal.id,
                 area_id=round_.area_id, round_id=round_.id, public=True,
                 before={"title": proposal.title}, after={"title": proposal.title})
    return support


def was_assisted(session: Session, proposal: Proposal) -> bool:
    """Whether the information point filed ``proposal`` for its author."""
    return session.scalar(select(Assistance.id).where(
        Assistance.proposal_id == proposal.id, Assistance.kind == AssistKind.PROPOSAL).limit(1)) is not None


def rounds_to_assist(session: Session, staff: User, *, now: dt.datetime) -> list[BudgetRound]:
    """Rounds in ``staff``'s information-point areas that take proposals or support at ``now``."""
    area_ids = authz.info_point_area_ids(staff)
    query = select(BudgetRound).where(BudgetRound.proposals_open_at <= now, BudgetRound.support_close_at > now)
    if area_ids is not None:
        query = query.where(BudgetRound.area_id.in_(area_ids))
    rounds = session.scalars(query.order_by(BudgetRound.support_close_at, BudgetRound.id))
    return [r for r in rounds if r.phase_at(now) in ASSIST_PHASES]


def supportable(session: Session, round_: BudgetRound, now: dt.datetime) -> list[Proposal]:
    """The round's proposals that collect support at ``now``, in the round's project order."""
    if round_.phase_at(now) not in ASSIST_PHASES:
        return []
    return list(session.scalars(select(Proposal).where(
        Proposal.round_id == round_.id, Proposal.status == ProposalStatus.SUBMITTED).order_by(*project_order())))
