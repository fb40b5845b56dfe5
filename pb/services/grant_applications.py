"""Applications (aanvragen) for small grants: filing (by the resident, or assisted at the
information point), answering a question, withdrawing, moving a too-large idea into a round.

Every step is mailed to the applicant; staff actions are audited.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import IO

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pb.db import require_row, utcnow
from pb.errors import InvalidState, PermissionDenied, ValidationFailed
from pb.models.agenda import AgendaItem
from pb.models.area import Area
from pb.models.audit import AuditEntry
from pb.models.grant import ApplicationStatus, FileKind, GrantApplication, GrantCostLine, GrantFile
from pb.models.round import BudgetRound, Phase
from pb.models.user import User
from pb.services import audit, authz, grant_files, grant_settings, mail
from pb.services.cost_lines import check_cost_lines
from pb.services.money import MAX_AMOUNT_CENTS

_KVK_RE = re.compile(r"^\d{8}$")

@dataclass(frozen=True)
class ApplicationData:
    """What the applicant fills in. Status, amounts granted and the applicant are never part of it."""

    title: str
    description: str
    organisation_name: str = ""
    kvk_number: str = ""
    show_name: bool = False
    planned_on: dt.date | None = None
    own_contribution_cents: int = 0
    volunteer_hours: int = 0
    agenda_item_id: int | None = None
    cost_lines: list[tuple[str, int]] = field(default_factory=list)


def get_application(session: Session, application_id: int) -> GrantApplication:
    """Return the application.

    Raises:
        NotFound: no such application.
    """
    return require_row(session, GrantApplication, application_id, _("Deze aanvraag bestaat niet."))


def is_applicant(user: User | None, application: GrantApplication) -> bool:
    """Whether ``user`` filed ``application`` (or is the organisation's contact person)."""
    return bool(user is not None and getattr(user, "is_authenticated", False)
                and application.applicant_id == user.id)


def public_name(application: GrantApplication) -> str:
    """Who applied, as far as the applicant made it public: the organisation, or the name if chosen."""
    if application.organisation_name:
        return application.organisation_name
    if application.show_name and application.applicant is not None:
        return application.applicant.name
    return ""


def _check(session: Session, area: Area, data: ApplicationData) -> None:
    if not data.title.strip():
        raise ValidationFailed(_("Geef uw aanvraag een titel."), field="title")
    if not data.description.strip():
        raise ValidationFailed(_("Schrijf op wat u wilt doen en waarom."), field="description")
    if data.kvk_number and not _KVK_RE.match(data.kvk_number):
        raise ValidationFailed(_("Een KvK-nummer heeft 8 cijfers."), field="kvk_number")
    if data.kvk_number and not data.organisation_name.strip():
        raise ValidationFailed(_("Vul ook de naam van de organisatie in."), field="organisation_name")
    check_cost_lines(data.cost_lines, required=True)
    if not 0 <= data.own_contribution_cents <= MAX_AMOUNT_CENTS:
        raise ValidationFailed(_("Vul een bedrag in van 0 euro of meer."), field="own_contribution")
    if not 0 <= data.volunteer_hours <= 100_000:
        raise ValidationFailed(_("Vul een aantal uren van 0 tot 100.000 in."), field="volunteer_hours")
    if data.agenda_item_id is not None:
        item = session.get(AgendaItem, data.agenda_item_id)
        if item is None or item.area_id != area.id:
            raise ValidationFailed(_("Kies een punt van de gebiedsagenda uit de lijst."), field="agenda_item_id")


def _new(session: Session, area: Area, applicant: User, data: ApplicationData, *, assisted_by: User | None,
         photo: IO[bytes] | None) -> GrantApplication:
    _check(session, area, data)
    now = utcnow()
    application = GrantApplication(
        area_id=area.id, applicant_id=applicant.id, assisted_by_id=assisted_by.id if assisted_by else None,
        title=" ".join(data.title.split()), description=data.description.strip(),
        organisation_name=" ".join(data.organisation_name.split()), kvk_number=data.kvk_number,
        show_name=data.show_name, planned_on=data.planned_on, own_contribution_cents=data.own_contribution_cents,
        volunteer_hours=data.volunteer_hours, agenda_item_id=data.agenda_item_id,
        requested_cents=sum(c for _d, c in data.cost_lines), status=ApplicationStatus.SUBMITTED,
        submitted_at=now, clock_started_at=now,
    )
    application.cost_lines = [GrantCostLine(position=i, description=" ".join(d.split()), amount_cents=c)
                              for i, (d, c) in enumerate(data.cost_lines)]
    session.add(application)
    session.flush()
    if photo is not None:
        grant_files.store_file(session, photo, kind=FileKind.PHOTO, uploader=assisted_by or applicant,
                               application_id=application.id)
    return application


def file_application(session: Session, area: Area, *, actor: User, data: ApplicationData,
                     photo: IO[bytes] | None = None) -> GrantApplication:
    """A verified resident of ``area`` (for themselves or as an organisation's contact person) applies.

    Raises:
        PermissionDenied: not a verified resident of the area.
        ValidationFailed: bad input or photo.
    """
    authz.require_resident(session, actor, area)
    application = _new(session, area, actor, data, assisted_by=None, photo=photo)
    audit.record(session, actor=actor, action="grant.apply", obj_type="grant_application", obj_id=application.id,
                 area_id=area.id, public=True, after={"title": application.title,
                                                      "requested_cents": application.requested_cents})
    notify(session, application, _("Wij hebben uw aanvraag ontvangen. Buren kunnen haar nu steunen. "
                                   "De gebiedsregisseur beslist binnen %(n)d werkdagen.",
                                   n=grant_settings.settings_for(session, area).service_days))
    return application


def file_assisted(session: Session, area: Area, *, staff: User, resident: User, data: ApplicationData,
                  photo: IO[bytes] | None = None) -> GrantApplication:
    """Information-point staff file an application on behalf of a resident who came by (marked assisted).

    Raises:
        PermissionDenied: ``staff`` does not work for this area's information point, or ``resident``
            is not a verified resident of the area.
        ValidationFailed: bad input or photo.
    """
    authz.require_info_point(staff, area)
    if resident.id == staff.id:
        raise PermissionDenied(_("U kunt geen aanvraag voor uzelf indienen als medewerker."))
    authz.require_resident(session, resident, area)
    application = _new(session, area, resident, data, assisted_by=staff, photo=photo)
    audit.record(session, actor=staff, action="grant.apply_assisted", obj_type="grant_application",
                 obj_id=application.id, area_id=area.id, public=True,
                 after={"title": application.title, "requested_cents": application.requested_cents,
                        "assisted": True})
    notify(session, application, _("Een medewerker van het informatiepunt heeft uw aanvraag voor u ingediend. "
                                   "Buren kunnen haar nu steunen."))
    return application


def answer_question(session: Session, application: GrantApplication, *, actor: User, answer: str) -> None:
    """The applicant answers the manager's question; the application waits for a decision again.

    Raises:
        PermissionDenied: not the applicant.
        InvalidState: no open question.
        ValidationFailed: empty answer.
    """
    if not is_applicant(actor, application):
        raise PermissionDenied(_("Alleen de aanvrager kan de vraag beantwoorden."))
    if not answer.strip():
        raise ValidationFailed(_("Schrijf uw antwoord op."), field="answer")
    claim(session, application, (ApplicationStatus.QUESTION,), ApplicationStatus.SUBMITTED,
          answer=answer.strip(), clock_started_at=utcnow())
    audit.record(session, actor=actor, action="grant.answer", obj_type="grant_application", obj_id=application.id,
                 area_id=application.area_id, public=True, after={"status": ApplicationStatus.SUBMITTED.value})
    notify(session, application, _("Wij hebben uw antwoord ontvangen. De gebiedsregisseur beslist nu."))


def withdraw(session: Session, application: GrantApplication, *, actor: User) -> None:
    """The applicant withdraws an application that is still open.

    Raises:
        PermissionDenied: not the applicant.
        InvalidState: already decided.
    """
    if not is_applicant(actor, application):
        raise PermissionDenied(_("Alleen de aanvrager kan de aanvraag intrekken."))
    claim(session, application, (ApplicationStatus.SUBMITTED, ApplicationStatus.QUESTION,
                                 ApplicationStatus.AWAITING_SECOND), ApplicationStatus.WITHDRAWN)
    audit.record(session, actor=actor, action="grant.withdraw", obj_type="grant_application", obj_id=application.id,
                 area_id=application.area_id, public=True, after={"status": ApplicationStatus.WITHDRAWN.value})


def claim(session: Session, application: GrantApplication, allowed: tuple[ApplicationStatus, ...],
          new: ApplicationStatus, **values: object) -> None:
    """Move ``application`` from one of ``allowed`` to ``new`` in one conditional UPDATE.

    Two people acting at once cannot both move it: the second finds the status changed.

    Raises:
        InvalidState: the status is no longer one of ``allowed``.
    """
    result = session.execute(
        update(GrantApplication).where(GrantApplication.id == application.id, GrantApplication.status.in_(allowed))
        .values(status=new, **values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(application)
        raise InvalidState(_("Deze aanvraag is intussen veranderd. Ververs de pagina."))
    session.refresh(application)


def too_large(session: Session, application: GrantApplication) -> bool:
    """Whether the amount asked is above the area's ceiling for small grants."""
    return application.requested_cents > grant_settings.settings_for(session, application.area).ceiling_cents


def rounds_open_for_proposals(session: Session, area: Area) -> list[BudgetRound]:
    """The area's rounds that accept proposals now."""
    now = utcnow()
    return [r for r in session.scalars(select(BudgetRound).where(BudgetRound.area_id == area.id)
                                       .order_by(BudgetRound.id)) if r.phase_at(now) == Phase.PROPOSALS]


def move_to_round(session: Session, application: GrantApplication, rnd: BudgetRound, *, actor: User) -> int:
    """Move a too-large application into a round as a (draft) proposal of the applicant; return its id.

    Raises:
        PermissionDenied: not the applicant, or no longer a verified resident.
        InvalidState: not open, not above the ceiling, or the round does not accept proposals.
        ValidationFailed: the round is in another area.
    """
    from pb.services import proposals as proposal_service

    if not is_applicant(actor, application):
        raise PermissionDenied(_("Alleen de aanvrager kan de aanvraag verplaatsen."))
    if rnd.area_id != application.area_id:
        raise ValidationFailed(_("Kies een ronde van dit gebied."), field="round_id")
    if not too_large(session, application):
        raise InvalidState(_("Deze aanvraag past binnen het buurtbudget. Zij hoeft niet naar een ronde."))
    data = proposal_service.ProposalData(
        title=application.title, summary=application.description[:500], description=application.description,
        location="", cost_lines=[(line.description, line.amount_cents) for line in application.cost_lines],
    )
    proposal = proposal_service.create_proposal(session, rnd, actor=actor, data=data)
    proposal.agenda_item_id = application.agenda_item_id
    claim(session, application, (ApplicationStatus.SUBMITTED, ApplicationStatus.QUESTION),
          ApplicationStatus.MOVED_TO_ROUND, proposal_id=proposal.id)
    audit.record(session, actor=actor, action="grant.move_to_round", obj_type="grant_application",
                 obj_id=application.id, area_id=application.area_id, round_id=rnd.id, public=True,
                 after={"status": ApplicationStatus.MOVED_TO_ROUND.value, "proposal_id": proposal.id})
    notify(session, application, _("Uw aanvraag staat nu als concept-plan in de ronde '%(round)s'. "
                                   "Controleer het plan en dien het in.", round=rnd.title))
    return proposal.id


def applications_of(session: Session, area: Area) -> list[GrantApplication]:
    """All applications of ``area``, newest first."""
    return list(session.scalars(select(GrantApplication).where(GrantApplication.area_id == area.id)
                                .order_by(GrantApplication.submitted_at.desc(), GrantApplication.id.desc())))


def own_applications(session: Session, user: User) -> list[GrantApplication]:
    """The applications ``user`` filed, newest first."""
    return list(session.scalars(select(GrantApplication).where(GrantApplication.applicant_id == user.id)
                                .order_by(GrantApplication.id.desc())))


def public_history(session: Session, application: GrantApplication) -> list[AuditEntry]:
    """The public steps of one application, oldest first."""
    return list(session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "grant_application", AuditEntry.object_id == str(application.id),
        AuditEntry.public.is_(True)).order_by(AuditEntry.seq)))


def files_of(session: Session, application: GrantApplication, kind: FileKind) -> list[GrantFile]:
    """The application's stored files of one kind (metadata only is used by pages)."""
    return list(session.scalars(select(GrantFile).where(GrantFile.application_id == application.id,
                                                        GrantFile.kind == kind).order_by(GrantFile.id)))


def notify(session: Session, application: GrantApplication, message: str) -> None:
    """Mail the applicant about a step (residents without an e-mail address hear it at the information point)."""
    mail.queue_news(session, application.applicant,
                    subject=_("Nieuws over uw aanvraag: %(title)s", title=application.title),
                    about=_("Er is nieuws over uw aanvraag '%(title)s'.", title=application.title), message=message,
                    link_line=_("Bekijk uw aanvraag: %(link)s", link=mail.public_url(f"/grants/{application.id}")))
