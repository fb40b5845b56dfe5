"""Draagvlak for applications: neighbours back them online (verified residents of the area, once
each, guaranteed by a unique constraint), or staff enter a paper list's signatures with its scan."""

from __future__ import annotations

from typing import IO

from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pb.errors import InvalidState, PermissionDenied, ValidationFailed
from pb.models.grant import ApplicationStatus, Backing, FileKind, GrantApplication, PaperBacking
from pb.models.user import User
from pb.services import audit, authz, grant_files
from pb.services.grant_applications import is_applicant

BACKING_OPEN = (ApplicationStatus.SUBMITTED, ApplicationStatus.QUESTION, ApplicationStatus.AWAITING_SECOND)
MAX_SIGNATURES = 10_000


class AlreadyBacked(InvalidState):
    """This resident already backs the application."""


def _require_open(application: GrantApplication) -> None:
    if application.status not in BACKING_OPEN:
        raise InvalidState(_("Steunen kan alleen zolang er nog niet is besloten."))


def back(session: Session, application: GrantApplication, *, actor: User) -> Backing:
    """``actor`` backs ``application``; once per resident (the database refuses a second).

    Raises:
        PermissionDenied: not a verified resident of the area, or the applicant.
        InvalidState: already decided, or already backed.
    """
    authz.require_resident(session, actor, application.area)
    if is_applicant(actor, application):
        raise PermissionDenied(_("U kunt uw eigen aanvraag niet steunen."))
    _require_open(application)
    backing = Backing(application_id=application.id, user_id=actor.id)
    try:
        with session.begin_nested():
            session.add(backing)
    except IntegrityError as exc:
        raise AlreadyBacked(_("U steunt deze aanvraag al.")) from exc
    return backing


def unback(session: Session, application: GrantApplication, *, actor: User) -> None:
    """``actor`` takes back their backing while no decision is made.

    Raises:
        InvalidState: decided, or ``actor`` did not back it.
    """
    _require_open(application)
    result = session.execute(delete(Backing).where(Backing.application_id == application.id,
                                                   Backing.user_id == actor.id))
    if not result.rowcount:  # type: ignore[attr-defined]
        raise InvalidState(_("U steunde deze aanvraag niet."))


def add_paper(session: Session, application: GrantApplication, *, staff: User, signatures: int,
              scan: IO[bytes]) -> PaperBacking:
    """Staff enter the number of signatures on a paper list and keep its scan for the manager.

    Raises:
        PermissionDenied: not information-point staff of this area.
        InvalidState: already decided.
        ValidationFailed: a count out of range, or a bad scan.
    """
    authz.require_info_point(staff, application.area)
    _require_open(application)
    if not 1 <= signatures <= MAX_SIGNATURES:
        raise ValidationFailed(_("Vul een aantal handtekeningen van 1 tot 10.000 in."), field="signatures")
    stored = grant_files.store_file(session, scan, kind=FileKind.SCAN, uploader=staff,
                                    application_id=application.id, field="scan")
    row = PaperBacking(application_id=application.id, signatures=signatures, scan_id=stored.id,
                       entered_by_id=staff.id)
    session.add(row)
    session.flush()
    audit.record(session, actor=staff, action="grant.paper_backing", obj_type="grant_application",
                 obj_id=application.id, area_id=application.area_id, public=True,
                 after={"signatures": signatures, "title": application.title})
    return row


def backs(session: Session, application: GrantApplication, user: User | None) -> bool:
    """Whether ``user`` backs ``application`` online."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return session.scalar(select(Backing.id).where(Backing.application_id == application.id,
                                                   Backing.user_id == user.id)) is not None


def online_count(session: Session, application: GrantApplication) -> int:
    """Online backings."""
    return session.scalar(select(func.count()).select_from(Backing)
                          .where(Backing.application_id == application.id)) or 0


def paper_lists(session: Session, application: GrantApplication) -> list[PaperBacking]:
    """Paper lists entered for ``application``, oldest first."""
    return list(session.scalars(select(PaperBacking).where(PaperBacking.application_id == application.id)
                                .order_by(PaperBacking.id)))


def total(session: Session, application: GrantApplication) -> int:
    """All backing: online plus paper signatures."""
    paper = session.scalar(select(func.coalesce(func.sum(PaperBacking.signatures), 0))
                           .where(PaperBacking.application_id == application.id)) or 0
    return online_count(session, application) + int(paper)


def totals(session: Session, application_ids: list[int]) -> dict[int, int]:
    """All backing per application id."""
    if not application_ids:
        return {}
    result: dict[int, int] = dict.fromkeys(application_ids, 0)
    for aid, n in session.execute(select(Backing.application_id, func.count())
                                  .where(Backing.application_id.in_(application_ids))
                                  .group_by(Backing.application_id)):
        result[aid] += int(n)
    for aid, n in session.execute(select(PaperBacking.application_id, func.sum(PaperBacking.signatures))
                                  .where(PaperBacking.application_id.in_(application_ids))
                                  .group_by(PaperBacking.application_id)):
        result[aid] += int(n or 0)
    return result
