"""Deciding on applications: grant (within the mandate, or with a second decision-maker above it),
refuse with a public reason, or ask the applicant a question; payment; the service-level target.

Rules: only managers of the area (and admins) decide; nobody decides on an application they filed
(or filed for someone at the information point) or backed; a grant above the area's ceiling is
refused (the idea belongs in a round); a grant needs the area's minimum backing; the money is
committed from this year's pot, which never goes below zero. A grant starts the tracking of what
becomes of it (:mod:`pb.services.implementations`), shown on the area's money page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from pb.db import utcnow
from pb.errors import InvalidState, PermissionDenied, ValidationFailed
from pb.models.grant import ApplicationStatus, DecisionKind, GrantApplication, GrantDecision
from pb.models.user import User
from pb.services import audit, authz, backings, grant_settings, implementations, pots
from pb.services.grant_applications import claim, notify
from pb.services.pots import LOCAL_TZ

DECIDABLE = (ApplicationStatus.SUBMITTED, ApplicationStatus.QUESTION)
MAX_TEXT = 4000


class ConflictOfInterest(PermissionDenied):
    """The decision-maker filed or backed this application."""


class AboveCeiling(InvalidState):
    """Too large for a small grant: it belongs in a round."""


class NotEnoughBacking(InvalidState):
    """Fewer backers than the area requires."""


def has_conflict(session: Session, application: GrantApplication, user: User) -> bool:
    """Whether ``user`` filed (also on someone's behalf) or backed ``application``."""
    return user.id in (application.applicant_id, application.assisted_by_id) or backings.backs(
        session, application, user)


def _require_decider(session: Session, application: GrantApplication, actor: User) -> None:
    authz.require_area_manager(actor, application.area)
    if has_conflict(session, application, actor):
        raise ConflictOfInterest(_("U heeft deze aanvraag zelf ingediend of gesteund. Een collega moet beslissen."))


def _trail(session: Session, application: GrantApplication, kind: DecisionKind, actor: User, *,
           amount_cents: int | None = None, text: str = "") -> None:
    session.add(GrantDecision(application_id=application.id, kind=kind, decider_id=actor.id,
                              amount_cents=amount_cents, text=text))
    session.flush()


def _audit(session: Session, application: GrantApplication, actor: User, action: str, before: str,
           after: dict[str, object], reason: str = "", *, public: bool = True) -> None:
    audit.record(session, actor=actor, action=action, obj_type="grant_application", obj_id=application.id,
                 area_id=application.area_id, public=public,
                 before={"status": before, "title": application.title},
                 after={"title": application.title, **after}, reason=reason)


def grant(session: Session, application: GrantApplication, *, actor: User, amount_cents: int | None = None,
          conditions: str = "") -> None:
    """Grant ``amount_cents`` (default: the amount asked, possibly lower, never higher), with conditions.

    Within ``actor``'s mandate the money is committed at once; above it the grant waits for a second
    decision-maker (:func:`second_opinion`).

    Raises:
        PermissionDenied: not a manager of the area.
        ConflictOfInterest: ``actor`` filed or backed it.
        InvalidState: already decided; AboveCeiling; NotEnoughBacking; PotExhausted (no pot or too little left).
        ValidationFailed: amount zero or above the amount asked.
    """
    _require_decider(session, application, actor)
    amount = application.requested_cents if amount_cents is None else amount_cents
    if amount <= 0 or amount > application.requested_cents:
        raise ValidationFailed(_("Het bedrag is meer dan 0 euro en niet meer dan er is gevraagd."), field="amount")
    if len(conditions) > MAX_TEXT:
        raise ValidationFailed(_("De voorwaarden zijn te lang."), field="conditions")
    settings = grant_settings.settings_for(session, application.area)
    if amount > settings.ceiling_cents:
        raise AboveCeiling(_("Dit bedrag is hoger dan het maximum voor het buurtbudget. De aanvrager kan de "
                             "aanvraag als plan in een ronde indienen."))
    backing = backings.total(session, application)
    if backing < settings.min_backing:
        raise NotEnoughBacking(_("Deze aanvraag heeft %(n)d steunbetuigingen. Nodig: %(m)d.", n=backing,
                                 m=settings.min_backing))
    before = application.status.value
    if amount <= grant_settings.mandate_of(session, actor):
        claim(session, application, DECIDABLE, ApplicationStatus.GRANTED)
        _finalise(session, application, actor, amount, conditions.strip(), before)
        return
    claim(session, application, DECIDABLE, ApplicationStatus.AWAITING_SECOND, pending_cents=amount,
          pending_conditions=conditions.strip(), pending_by_id=actor.id)
    _trail(session, application, DecisionKind.PROPOSE, actor, amount_cents=amount, text=conditions.strip())
    _audit(session, application, actor, "grant.propose", before,
           {"status": ApplicationStatus.AWAITING_SECOND.value, "pending_cents": amount})
    notify(session, application, _("De gebiedsregisseur wil uw aanvraag toekennen. Omdat het bedrag hoger is "
                                   "dan het mandaat, kijkt een tweede beslisser mee."))


def _finalise(session: Session, application: GrantApplication, actor: User, amount: int, conditions: str,
              before: str) -> None:
    pot = pots.pot_for(session, application.area, pots.current_year())
    if pot is None:
        raise pots.PotExhausted(_("Er is nog geen buurtbudget voor dit jaar ingesteld."))
    pots.commit_money(session, pot, amount, application_id=application.id, actor=actor)
    application.granted_cents = amount
    application.conditions = conditions
    application.decided_at = utcnow()
    application.pot_id = pot.id
    application.pending_cents = None
    application.pending_conditions = ""
    session.flush()
    implementations.track_grant(session, application, year=pot.year)
    _trail(session, application, DecisionKind.GRANT, actor, amount_cents=amount, text=conditions)
    _audit(session, application, actor, "grant.grant", before,
           {"status": ApplicationStatus.GRANTED.value, "granted_cents": amount}, reason=conditions)
    message = _("Uw aanvraag is toegekend: %(amount)s.", amount=_euro(amount))
    if conditions:
        message += "\n\n" + _("Voorwaarden: %(c)s", c=conditions)
    message += "\n\n" + _("Na afloop vertelt u op de website wat er is gebeurd en wat het kostte.")
    notify(session, application, message)


def second_opinion(session: Session, application: GrantApplication, *, actor: User, agree: bool,
                   note: str = "") -> None:
    """A second decision-maker (another manager of the area or an admin) agrees with or rejects a
    grant above the first one's mandate.

    Raises:
        PermissionDenied: not a manager of the area, or the one who proposed it.
        ConflictOfInterest: ``actor`` filed or backed it.
        InvalidState: nothing waits for a second decision; PotExhausted.
        ValidationFailed: disagreeing without a note.
    """
    _require_decider(session, application, actor)
    if application.status != ApplicationStatus.AWAITING_SECOND or application.pending_cents is None:
        raise InvalidState(_("Deze aanvraag wacht niet op een tweede beslisser."))
    if application.pending_by_id == actor.id:
        raise PermissionDenied(_("Een andere beslisser moet meekijken, niet uzelf."))
    before = application.status.value
    if agree:
        amount, conditions = application.pending_cents, application.pending_conditions
        claim(session, application, (ApplicationStatus.AWAITING_SECOND,), ApplicationStatus.GRANTED)
        _finalise(session, application, actor, amount, conditions, before)
        return
    if not note.strip():
        raise ValidationFailed(_("Schrijf op waarom u het niet eens bent."), field="note")
    claim(session, application, (ApplicationStatus.AWAITING_SECOND,), ApplicationStatus.SUBMITTED,
          pending_cents=None, pending_conditions="", pending_by_id=None)
    _trail(session, application, DecisionKind.DISAGREE, actor, text=note.strip())
    # The decision-makers' deliberation stays internal; the public sees the status only.
    _audit(session, application, actor, "grant.disagree", before, {"status": ApplicationStatus.SUBMITTED.value},
           reason=note.strip(), public=False)


def refuse(session: Session, application: GrantApplication, *, actor: User, reason: str) -> None:
    """Refuse with a public reason.

    Raises:
        PermissionDenied, ConflictOfInterest: as for :func:`grant`.
        InvalidState: already decided.
        ValidationFailed: no reason.
    """
    _require_decider(session, application, actor)
    if not reason.strip() or len(reason) > MAX_TEXT:
        raise ValidationFailed(_("Geef een reden. Die is openbaar."), field="text")
    before = application.status.value
    claim(session, application, (*DECIDABLE, ApplicationStatus.AWAITING_SECOND), ApplicationStatus.REFUSED,
          decision_reason=reason.strip(), decided_at=utcnow(), pending_cents=None, pending_conditions="")
    _trail(session, application, DecisionKind.REFUSE, actor, text=reason.strip())
    _audit(session, application, actor, "grant.refuse", before, {"status": ApplicationStatus.REFUSED.value},
           reason=reason.strip())
    notify(session, application, _("Uw aanvraag is afgewezen. De reden: %(r)s", r=reason.strip()))


def ask_question(session: Session, application: GrantApplication, *, actor: User, question: str) -> None:
    """Ask the applicant a question; the service-level clock waits for the answer.

    Raises:
        PermissionDenied, ConflictOfInterest: as for :func:`grant`.
        InvalidState: not waiting for a decision.
        ValidationFailed: no question.
    """
    _require_decider(session, application, actor)
    if not question.strip() or len(question) > MAX_TEXT:
        raise ValidationFailed(_("Schrijf uw vraag op."), field="text")
    before = application.status.value
    claim(session, application, (ApplicationStatus.SUBMITTED,), ApplicationStatus.QUESTION,
          question=question.strip(), answer="")
    _trail(session, application, DecisionKind.QUESTION, actor, text=question.strip())
    _audit(session, application, actor, "grant.question", before, {"status": ApplicationStatus.QUESTION.value})
    notify(session, application, _("De gebiedsregisseur heeft een vraag over uw aanvraag: %(q)s\n\n"
                                   "U kunt de vraag beantwoorden op de pagina van uw aanvraag.", q=question.strip()))


def mark_paid(session: Session, application: GrantApplication, *, actor: User) -> None:
    """Record that the granted money was paid out (a payment line in the ledger).

    Raises:
        PermissionDenied: not a manager of the area.
        InvalidState: not granted, or already paid.
    """
    authz.require_area_manager(actor, application.area)
    if application.status != ApplicationStatus.GRANTED or application.paid or application.pot_id is None:
        raise InvalidState(_("Alleen een toegekende aanvraag die nog niet is betaald, kan worden uitbetaald."))
    pot = session.get(pots.GrantPot, application.pot_id)
    assert pot is not None and application.granted_cents is not None
    application.paid = True
    pots.record_payment(session, pot, application.granted_cents, application_id=application.id, actor=actor)
    _audit(session, application, actor, "grant.paid", application.status.value,
           {"paid_cents": application.granted_cents})
    notify(session, application, _("Het bedrag van %(amount)s is naar u overgemaakt.",
                                   amount=_euro(application.granted_cents)))


def trail(session: Session, application: GrantApplication) -> list[GrantDecision]:
    """The decision steps, oldest first."""
    return list(session.scalars(select(GrantDecision).where(GrantDecision.application_id == application.id)
                                .order_by(GrantDecision.id)))


# --- the service-level target ---------------------------------------------------------------------


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date ``days`` working days (Monday to Friday) after ``start``."""
    current = start
    left = days
    while left > 0:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            left -= 1
    return current


@dataclass(frozen=True)
class Due:
    """When a decision is due, and whether it is late."""

    application: GrantApplication
    due_on: dt.date
    overdue: bool


def due_date(session: Session, application: GrantApplication) -> dt.date:
    """The date by which the decision is due (the clock restarts after an answered question)."""
    days = grant_settings.settings_for(session, application.area).service_days
    return add_working_days(application.clock_started_at.astimezone(LOCAL_TZ).date(), days)


def waiting_for_decision(session: Session, area_id: int, now: dt.datetime | None = None) -> list[Due]:
    """Applications waiting for a manager, oldest first, with their due date (a question pauses the clock)."""
    today = (now or utcnow()).astimezone(LOCAL_TZ).date()
    rows = session.scalars(select(GrantApplication).where(
        GrantApplication.area_id == area_id,
        GrantApplication.status.in_((ApplicationStatus.SUBMITTED, ApplicationStatus.AWAITING_SECOND)),
    ).order_by(GrantApplication.clock_started_at, GrantApplication.id))
    result = []
    for application in rows:
        due = due_date(session, application)
        result.append(Due(application=application, due_on=due, overdue=due < today))
    return result


def overdue(session: Session, area_id: int, now: dt.datetime | None = None) -> list[Due]:
    """Applications past the service-level target."""
    return [d for d in waiting_for_decision(session, area_id, now) if d.overdue]


def _euro(cents: int) -> str:
    from pb.templating import euro

    return euro(cents)
