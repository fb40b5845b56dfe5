"""Implementation tracking: what became of each funded project, and of the money.

Publishing a result starts the tracking of every chosen proposal (status "gepland", budgeted cost
= the cost on the ballot); granting a small grant starts the tracking of that application
(budgeted cost = the granted amount). Area managers then update status, actual cost and
milestones; every change is audited in the public history of the proposal or application, and
followers of a proposal hear about it. An accepted accountability report records the reported
cost of a small grant.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from pb.clock import LOCAL_TZ
from pb.db import require_row, utcnow
from pb.errors import ValidationFailed
from pb.labels import implementation_status_label
from pb.models.area import Area
from pb.models.grant import GrantApplication
from pb.models.implementation import Implementation, ImplementationStatus, Milestone
from pb.models.proposal import Proposal
from pb.models.round import BudgetRound
from pb.models.user import User
from pb.services import audit, authz, notifications

MAX_TEXT = 2000


def track_funded(session: Session, round_: BudgetRound, chosen: list[int], published_at: dt.datetime) -> int:
    """Start tracking every chosen proposal of ``round_`` that is not tracked yet; returns how many."""
    tracked = set(session.scalars(select(Implementation.proposal_id).where(Implementation.proposal_id.in_(chosen))))
    year = published_at.astimezone(LOCAL_TZ).year
    added = 0
    for proposal in round_.proposals:
        if proposal.id in chosen and proposal.id not in tracked:
            session.add(Implementation(area_id=round_.area_id, year=year, proposal_id=proposal.id,
                                       title=proposal.title, budgeted_cents=proposal.ballot_cost_cents))
            added += 1
    session.flush()
    return added


def track_grant(session: Session, application: GrantApplication, *, year: int) -> Implementation:
    """Start tracking a granted small grant (once: a second call returns the existing tracking).

    Args:
        year: the year of the pot the money came from.
    """
    found = of_grant(session, application)
    if found is not None:
        return found
    assert application.granted_cents is not None
    tracking = Implementation(area_id=application.area_id, year=year, grant_application_id=application.id,
                              title=application.title, budgeted_cents=application.granted_cents)
    session.add(tracking)
    session.flush()
    return tracking


def get_implementation(session: Session, implementation_id: int) -> Implementation:
    """The tracked project with ``implementation_id``.

    Raises:
        NotFound: no such project.
    """
    return require_row(session, Implementation, implementation_id, _("Dit project bestaat niet."))


def of_proposal(session: Session, proposal: Proposal) -> Implementation | None:
    """The tracking of a funded proposal, if it was funded."""
    return session.scalar(select(Implementation).where(Implementation.proposal_id == proposal.id))


def of_grant(session: Session, application: GrantApplication) -> Implementation | None:
    """The tracking of a granted small grant, if it was granted."""
    return session.scalar(select(Implementation).where(Implementation.grant_application_id == application.id))


def _audit(session: Session, implementation: Implementation, *, actor: User, action: str,
           before: dict[str, object], after: dict[str, object], reason: str = "") -> None:
    """Record the change in the public history of the funded item (the proposal or the application)."""
    proposal = implementation.proposal
    obj_type = "grant_application" if implementation.is_small_grant else "proposal"
    obj_id = implementation.grant_application_id or implementation.proposal_id or implementation.id
    audit.record(session, actor=actor, action=action, obj_type=obj_type, obj_id=obj_id,
                 area_id=implementation.area_id, round_id=proposal.round_id if proposal is not None else None,
                 public=True, before=before, after={"title": implementation.title, **after}, reason=reason)


def update_implementation(session: Session, implementation: Implementation, *, actor: User,
                          status: ImplementationStatus, actual_cents: int | None, reason: str) -> bool:
    """Change a project's status and actual cost; audited publicly; followers hear of a new status.

    Returns whether anything changed.

    Raises:
        PermissionDenied: ``actor`` does not manage the project's area.
        ValidationFailed: "vervallen" without a reason, or a negative cost.
    """
    authz.require_area_manager(actor, implementation.area)
    reason = reason.strip()
    if status == ImplementationStatus.CANCELLED and not reason:
        raise ValidationFailed(_("Leg uit waarom het project vervalt. Die reden is openbaar."), field="reason")
    if actual_cents is not None and actual_cents < 0:
        raise ValidationFailed(_("De werkelijke kosten kunnen niet negatief zijn."), field="actual_cost")
    before = {"implementation_status": implementation.status.value, "actual_cents": implementation.actual_cents}
    after = {"implementation_status": status.value, "actual_cents": actual_cents}
    changed = {k for k in after if after[k] != before[k]}
    if not changed:
        return False
    implementation.status = status
    implementation.actual_cents = actual_cents
    implementation.cancel_reason = reason if status == ImplementationStatus.CANCELLED else ""
    implementation.updated_at = utcnow()
    session.flush()
    _audit(session, implementation, actor=actor, action="implementation.update",
           before={k: before[k] for k in changed}, after={k: after[k] for k in changed}, reason=reason)
    if "implementation_status" in changed:
        notifications.implementation_changed(session, implementation, lambda: implementation_status_label(status))
    return True


def record_reported_cost(session: Session, application: GrantApplication, *, actor: User, actual_cents: int,
                         note: str = "") -> None:
    """An accepted accountability report: the small grant is done and cost what was reported.

    A grant granted before tracking existed gets its tracking here. A cancelled tracking stays
    cancelled (the manager decided that with a public reason).

    Raises:
        PermissionDenied: ``actor`` does not manage the application's area.
    """
    tracking = of_grant(session, application)
    if tracking is None:
        year = application.decided_at.astimezone(LOCAL_TZ).year if application.decided_at else utcnow().year
        tracking = track_grant(session, application, year=year)
    status = tracking.status if tracking.status == ImplementationStatus.CANCELLED else ImplementationStatus.DONE
    update_implementation(session, tracking, actor=actor, status=status, actual_cents=actual_cents,
                          reason=tracking.cancel_reason if status == ImplementationStatus.CANCELLED else note)


def add_milestone(session: Session, implementation: Implementation, *, actor: User, happened_on: dt.date,
                  text: str, photo: str | None = None) -> Milestone:
    """Add a milestone (date, text, optional stored photo); audited publicly; followers hear of it.

    Raises:
        PermissionDenied: ``actor`` does not manage the project's area.
        ValidationFailed: no text, or too long.
    """
    authz.require_area_manager(actor, implementation.area)
    text = text.strip()
    if not text:
        raise ValidationFailed(_("Schrijf wat er gebeurd is."), field="text")
    if len(text) > MAX_TEXT:
        raise ValidationFailed(_("Schrijf het korter: hoogstens %(n)d tekens.", n=MAX_TEXT), field="text")
    milestone = Milestone(implementation=implementation, happened_on=happened_on, text=text, photo_filename=photo)
    session.add(milestone)
    implementation.updated_at = utcnow()
    session.flush()
    _audit(session, implementation, actor=actor, action="implementation.milestone", before={},
           after={"milestone": text, "milestone_on": happened_on.isoformat()})
    notifications.milestone_reached(session, milestone)
    return milestone


def get_milestone(session: Session, milestone_id: int) -> Milestone:
    """The milestone with ``milestone_id``.

    Raises:
        NotFound: no such milestone.
    """
    return require_row(session, Milestone, milestone_id, _("Deze stap bestaat niet."))


@dataclass(frozen=True)
class MoneyTotals:
    """Budgeted (granted) and spent money of a group of funded items; cancelled ones cost nothing."""

    count: int
    budgeted_cents: int
    actual_cents: int  # spent on items with a known actual cost

    @classmethod
    def of(cls, items: list[Implementation]) -> MoneyTotals:
        """The totals of ``items``."""
        live = [i for i in items if i.status != ImplementationStatus.CANCELLED]
        return cls(count=len(items), budgeted_cents=sum(i.budgeted_cents for i in live),
                   actual_cents=sum(i.actual_cents or 0 for i in items))


@dataclass(frozen=True)
class MoneyReport:
    """What happened with an area's money in one year: chosen projects, small grants and totals."""

    area: Area
    year: int
    projects: list[Implementation]  # chosen in a round
    grants: list[Implementation]  # small grants
    rounds_total: MoneyTotals
    grants_total: MoneyTotals
    total: MoneyTotals
    done: int
    in_progress: int
    planned: int
    cancelled: int

    @property
    def items(self) -> list[Implementation]:
        """Everything funded that year: projects first, then small grants."""
        return self.projects + self.grants


def money_report(session: Session, area: Area, year: int) -> MoneyReport:
    """The projects and small grants funded in ``area`` in ``year`` with their totals."""
    items = list(session.scalars(select(Implementation).where(Implementation.area_id == area.id,
                                                              Implementation.year == year)
                                 .order_by(Implementation.title, Implementation.id)))
    projects = [i for i in items if not i.is_small_grant]
    grants = [i for i in items if i.is_small_grant]

    def count(status: ImplementationStatus) -> int:
        return sum(1 for i in items if i.status == status)

    return MoneyReport(area=area, year=year, projects=projects, grants=grants,
                       rounds_total=MoneyTotals.of(projects), grants_total=MoneyTotals.of(grants),
                       total=MoneyTotals.of(items),
                       done=count(ImplementationStatus.DONE), in_progress=count(ImplementationStatus.IN_PROGRESS),
                       planned=count(ImplementationStatus.PLANNED), cancelled=count(ImplementationStatus.CANCELLED))


def years_of(session: Session, area: Area) -> list[int]:
    """The years in which ``area`` funded projects, newest first."""
    return list(session.scalars(select(Implementation.year).where(Implementation.area_id == area.id)
                                .distinct().order_by(Implementation.year.desc())))


def managed(session: Session, user: User) -> list[Implementation]:
    """Every tracked project in the areas ``user`` manages, newest first."""
    areas = [a.id for a in authz.managed_areas(session, user)]
    if not areas:
        return []
    return list(session.scalars(select(Implementation).where(Implementation.area_id.in_(areas))
                                .order_by(Implementation.year.desc(), Implementation.title)))
