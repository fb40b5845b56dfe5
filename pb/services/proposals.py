"""Proposals (bewonersinitiatieven): drafting, support, the end of the support phase, review.

Residents write, submit and withdraw their own proposals and support those of neighbours; the
area manager reviews them. Every status change is audited (public, so it shows in the proposal's
status history and the round's change history) and mailed to the author.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from pb.db import MAX_ID, require_row, utcnow
from pb.errors import InvalidState, NotFound, PermissionDenied, ValidationFailed
from pb.labels import proposal_status_label
from pb.models.agenda import AgendaItem
from pb.models.audit import AuditEntry
from pb.models.proposal import CostLine, Proposal, ProposalStatus, Support, proposal_coinitiators
from pb.models.round import BudgetRound, Phase
from pb.models.user import User
from pb.services import audit, authz, locations, mail, notifications
from pb.services.cost_lines import check_cost_lines
from pb.services.money import MAX_AMOUNT_CENTS
from pb.services.photos import delete_photo
from pb.services.rounds import lock_round, refuse_if_frozen

# Statuses anyone may see; drafts only the author, hidden ones the author and the managers.
PUBLIC_STATUSES = tuple(s for s in ProposalStatus if s not in (ProposalStatus.DRAFT, ProposalStatus.HIDDEN))


REVIEWABLE = (ProposalStatus.IN_REVIEW, ProposalStatus.FEASIBLE, ProposalStatus.INFEASIBLE)


WITHDRAWABLE = (
    ProposalStatus.DRAFT, ProposalStatus.SUBMITTED, ProposalStatus.NOT_ENOUGH_SUPPORT,
    ProposalStatus.IN_REVIEW, ProposalStatus.FEASIBLE, ProposalStatus.INFEASIBLE,
)


@dataclass(frozen=True)
class ProposalData:
    """What the author fills in. Status, cost and author are never part of it."""

    title: str
    summary: str
    description: str
    location: str
    theme_id: int | None = None
    neighbourhood_id: int | None = None
    agenda_item_id: int | None = None
    cost_lines: list[tuple[str, int]] = field(default_factory=list)
    coinitiator_emails: list[str] = field(default_factory=list)
    latitude: float | None = None
    longitude: float | None = None
    photo_alt: str = ""


def get_proposal(session: Session, proposal_id: int) -> Proposal:
    """Return the proposal with ``proposal_id``.

    Raises:
        NotFound: no such proposal.
    """
    return require_row(session, Proposal, proposal_id, _("Dit plan bestaat niet."))


def is_author(user: User | None, proposal: Proposal) -> bool:
    """Whether ``user`` wrote ``proposal``."""
    return user is not None and getattr(user, "is_authenticated", False) and proposal.author_id == user.id


def is_initiator(user: User | None, proposal: Proposal) -> bool:
    """Whether ``user`` wrote ``proposal`` or is one of its co-initiators."""
    return is_author(user, proposal) or (user is not None and getattr(user, "is_authenticated", False)
                                         and any(c.id == user.id for c in proposal.coinitiators))


def can_view(user: User | None, proposal: Proposal) -> bool:
    """Public statuses for everyone; drafts for the author; hidden ones for author and managers."""
    if proposal.status in PUBLIC_STATUSES:
        return True
    if is_author(user, proposal):
        return True
    return proposal.status == ProposalStatus.HIDDEN and authz.can_manage_area(user, proposal.round.area)


def require_view(user: User | None, proposal: Proposal) -> None:
    """Raise NotFound when ``user`` may not see ``proposal`` (do not reveal that it exists).

    Raises:
        NotFound: not visible.
    """
    if not can_view(user, proposal):
        raise NotFound(_("Dit plan bestaat niet."))


def _require_proposal_phase(round_: BudgetRound) -> None:
    if round_.phase_at(utcnow()) != Phase.PROPOSALS:
        raise InvalidState(_("Plannen indienen en wijzigen kan alleen in de fase 'Plannen indienen'."))


def _check_data(session: Session, round_: BudgetRound, data: ProposalData, author: User) -> list[User]:
    if not data.title.strip():
        raise ValidationFailed(_("Geef uw plan een titel."), field="title")
    if data.theme_id is not None and data.theme_id not in {t.id for t in round_.themes}:
        raise ValidationFailed(_("Kies een thema uit de lijst."), field="theme_id")
    if data.neighbourhood_id is not None and data.neighbourhood_id not in {n.id for n in round_.neighbourhoods}:
        raise ValidationFailed(_("Kies een buurt uit de lijst."), field="neighbourhood_id")
    if data.agenda_item_id is not None:
        item = session.get(AgendaItem, data.agenda_item_id)
        if item is None or item.area_id != round_.area_id:
            raise ValidationFailed(_("Kies een punt van de gebiedsagenda uit de lijst."), field="agenda_item_id")
    locations.point_in_netherlands(data.latitude, data.longitude)
    check_cost_lines(data.cost_lines, required=False)
    coinitiators: list[User] = []
    for email in dict.fromkeys(e.strip().lower() for e in data.coinitiator_emails if e.strip()):
        user = session.scalar(select(User).where(func.lower(User.email) == email))
        if user is None or user.id == author.id or authz.residency_in(session, user, round_.area) is None:
            # One answer for unknown, non-resident and self: no account enumeration.
            raise ValidationFailed(
                _("%(email)s kunnen we niet toevoegen. Alleen geverifieerde bewoners van %(area)s kunnen mede-indiener zijn.",
                  email=email, area=round_.area.name),
                field="coinitiators",
            )
        coinitiators.append(user)
    return coinitiators


def _apply(proposal: Proposal, data: ProposalData, coinitiators: list[User]) -> None:
    proposal.title = " ".join(data.title.split())  # one line: it goes into mail subjects
    proposal.summary = data.summary.strip()
    proposal.description = data.description.strip()
    proposal.location = " ".join(data.location.split())
    point = locations.point_in_netherlands(data.latitude, data.longitude)
    proposal.latitude = point.latitude if point else None
    proposal.longitude = point.longitude if point else None
    proposal.photo_alt = " ".join(data.photo_alt.split())
    proposal.theme_id = data.theme_id
    proposal.neighbourhood_id = data.neighbourhood_id
    proposal.agenda_item_id = data.agenda_item_id
    proposal.cost_lines = [
        CostLine(position=i, description=d.strip(), amount_cents=c) for i, (d, c) in enumerate(data.cost_lines)
    ]
    proposal.estimated_cost_cents = sum(c for _d, c in data.cost_lines)
    proposal.coinitiators = coinitiators


def create_proposal(session: Session, round_: BudgetRound, *, actor: User, data: ProposalData,
                    photo: str | None = None) -> Proposal:
    """Start a draft proposal in ``round_`` for the verified resident ``actor``.

    Raises:
        PermissionDenied: not a verified resident of the round's area.
        InvalidState: the proposal phase is not open.
        ValidationFailed: bad input.
    """
    authz.require_resident(session, actor, round_.area)
    _require_proposal_phase(round_)
    coinitiators = _check_data(session, round_, data, actor)
    proposal = Proposal(round=round_, author_id=actor.id, status=ProposalStatus.DRAFT, title="")
    _apply(proposal, data, coinitiators)
    proposal.photo_filename = photo
    session.add(proposal)
    session.flush()
    return proposal


def _require_author(user: User, proposal: Proposal) -> None:
    if not is_author(user, proposal):
        raise PermissionDenied(_("Alleen de indiener kan dit plan wijzigen."))


def update_proposal(session: Session, proposal: Proposal, *, actor: User, data: ProposalData,
                    photo: str | None = None, remove_photo: bool = False) -> None:
    """The author edits a draft or submitted proposal while the proposal phase is open.

    Raises:
        PermissionDenied: not the author.
        InvalidState: wrong phase or status.
        ValidationFailed: bad input.
    """
    _require_author(actor, proposal)
    _require_proposal_phase(proposal.round)
    if proposal.status not in (ProposalStatus.DRAFT, ProposalStatus.SUBMITTED):
        raise InvalidState(_("Dit plan kan niet meer worden gewijzigd."))
    coinitiators = _check_data(session, proposal.round, data, actor)
    _apply(proposal, data, coinitiators)
    if photo is not None:
        delete_photo(session, proposal.photo_filename)
        proposal.photo_filename = photo
    elif remove_photo:
        delete_photo(session, proposal.photo_filename)
        proposal.photo_filename = None
    session.flush()


def submit_proposal(session: Session, proposal: Proposal, *, actor: User, assisted_by: User | None = None) -> None:
    """The author submits a draft: it becomes public and collects support.

    With ``assisted_by`` (an information-point staff member who filed it for the author), the
    public history says the information point helped, and the audit entry names the staff member.

    Raises:
        PermissionDenied: not the author or no longer a verified resident.
        InvalidState: not a draft, or the proposal phase is not open.
        ValidationFailed: no cost estimate yet.
    """
    _require_author(actor, proposal)
    authz.require_resident(session, actor, proposal.round.area)
    _require_proposal_phase(proposal.round)
    if proposal.status != ProposalStatus.DRAFT:
        raise InvalidState(_("Dit plan is al ingediend."))
    if not proposal.cost_lines or proposal.estimated_cost_cents <= 0:
        raise ValidationFailed(_("Vul minstens één kostenregel in voordat u het plan indient."))
    proposal.submitted_at = utcnow()
    _set_status(session, proposal, ProposalStatus.SUBMITTED, actor=assisted_by or actor,
                action="proposal.submit_assisted" if assisted_by else "proposal.submit")


def withdraw_proposal(session: Session, proposal: Proposal, *, actor: User) -> None:
    """The author withdraws their proposal; possible until voting opens.

    Raises:
        PermissionDenied: not the author.
        pb.services.rounds.RoundFrozen: voting has opened and the proposal is on the ballot
            (refusal audited).
        InvalidState: voting has opened, or the status does not allow it.
    """
    _require_author(actor, proposal)
    round_ = lock_round(session, proposal.round)
    if proposal.status == ProposalStatus.FEASIBLE:
        refuse_if_frozen(session, round_, actor=actor, action="proposal.withdraw", obj_type="proposal",
                         obj_id=proposal.id, attempted={"status": ProposalStatus.WITHDRAWN.value})
    if round_.is_frozen_at(utcnow()):
        raise InvalidState(_("Het stemmen is begonnen. U kunt uw plan niet meer intrekken."))
    if proposal.status not in WITHDRAWABLE:
        raise InvalidState(_("Dit plan kan niet meer worden ingetrokken."))
    _set_status(session, proposal, ProposalStatus.WITHDRAWN, actor=actor, action="proposal.withdraw")


def _require_support_open(proposal: Proposal) -> None:
    phase = proposal.round.phase_at(utcnow())
    if phase not in (Phase.PROPOSALS, Phase.SUPPORT) or proposal.status != ProposalStatus.SUBMITTED:
        raise InvalidState(_("Steunen kan alleen bij ingediende plannen, tot de steunfase sluit."))


def support_proposal(session: Session, proposal: Proposal, *, actor: User) -> Support:
    """``actor`` supports ``proposal``; one support per resident, enforced by the database.

    Raises:
        PermissionDenied: not a verified resident of the area.
        InvalidState: support is closed for this proposal, ``actor`` is its author or a
            co-initiator, or ``actor`` already supports it.
    """
    authz.require_resident(session, actor, proposal.round.area)
    _require_support_open(proposal)
    if is_initiator(actor, proposal):
        raise InvalidState(_("U hebt dit plan zelf ingediend. Uw eigen steun telt niet mee."))
    support = Support(proposal_id=proposal.id, user_id=actor.id)
    try:
        with session.begin_nested():
            session.add(support)
    except IntegrityError as exc:
        raise InvalidState(_("U steunt dit plan al.")) from exc
    return support


def withdraw_support(session: Session, proposal: Proposal, *, actor: User) -> None:
    """``actor`` takes back their support while support is open.

    Raises:
        InvalidState: support is closed, or ``actor`` did not support it.
    """
    _require_support_open(proposal)
    result = session.execute(
        delete(Support).where(Support.proposal_id == proposal.id, Support.user_id == actor.id)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise InvalidState(_("U steunde dit plan niet."))
    session.expire(proposal, ["supports"])


def supports(session: Session, proposal: Proposal, user: User | None) -> bool:
    """Whether ``user`` supports ``proposal``."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return session.scalar(
        select(Support.id).where(Support.proposal_id == proposal.id, Support.user_id == user.id)
    ) is not None


def support_counts(session: Session, proposal_ids: list[int]) -> dict[int, int]:
    """Support per proposal id that counts toward the threshold: the author's and co-initiators'
    own support never counts (a co-initiator added later, e.g. by a merge, may have supported it)."""
    if not proposal_ids:
        return {}
    own = select(proposal_coinitiators.c.user_id).where(
        proposal_coinitiators.c.proposal_id == Support.proposal_id,
        proposal_coinitiators.c.user_id == Support.user_id,
    ).exists()
    rows = session.execute(
        select(Support.proposal_id, func.count())
        .join(Proposal, Proposal.id == Support.proposal_id)
        .where(Support.proposal_id.in_(proposal_ids),
               or_(Proposal.author_id.is_(None), Support.user_id != Proposal.author_id), ~own)
        .group_by(Support.proposal_id)
    )
    return {pid: count for pid, count in rows}


def settle_support_phase(session: Session, round_: BudgetRound, now: dt.datetime) -> int:
    """Once the support phase is over, move submitted proposals on: enough support -> in review,
    else "not enough support". Idempotent; returns how many proposals changed.

    Called by ``pb advance-phases`` and before the manager's review actions.
    """
    if now < round_.support_close_at:
        return 0
    round_ = lock_round(session, round_)
    if now < round_.support_close_at:
        return 0
    pending = list(
        session.scalars(
            select(Proposal).where(Proposal.round_id == round_.id, Proposal.status == ProposalStatus.SUBMITTED)
            .order_by(Proposal.id).execution_options(populate_existing=True)
        )
    )
    counts = support_counts(session, [p.id for p in pending])
    for proposal in pending:
        count = counts.get(proposal.id, 0)
        status = ProposalStatus.IN_REVIEW if count >= round_.support_threshold else ProposalStatus.NOT_ENOUGH_SUPPORT
        _set_status(session, proposal, status, actor=None, action="proposal.support_closed",
                    reason=_("Steun: %(n)d. Nodig: %(t)d.", n=count, t=round_.support_threshold),
                    extra_after={"supports": count})
    return len(pending)


def _prepare_review(session: Session, proposal: Proposal, actor: User, reason: str, action: str,
                    attempted: dict[str, Any]) -> BudgetRound:
    authz.require_area_manager(actor, proposal.round.area)
    round_ = lock_round(session, proposal.round)
    refuse_if_frozen(session, round_, actor=actor, action=action, obj_type="proposal", obj_id=proposal.id,
                     attempted=attempted)
    settle_support_phase(session, round_, utcnow())
    session.refresh(proposal)
    if not reason.strip():
        raise ValidationFailed(_("Geef een reden. Die is openbaar."), field="reason")
    return round_


def review_proposal(session: Session, proposal: Proposal, *, actor: User, feasible: bool, reason: str) -> None:
    """Verdict on a proposal in review: feasible (on the ballot) or not, with a public reason.

    Raises:
        PermissionDenied: not a manager of the area.
        RoundFrozen: voting has opened (refusal audited).
        ValidationFailed: no reason.
        InvalidState: the proposal is not (yet) in review.
    """
    status = ProposalStatus.FEASIBLE if feasible else ProposalStatus.INFEASIBLE
    _prepare_review(session, proposal, actor, reason, "proposal.review", {"status": status.value})
    if proposal.status not in REVIEWABLE:
        raise InvalidState(_("Dit plan wordt nu niet beoordeeld."))
    proposal.review_reason = reason.strip()
    _set_status(session, proposal, status, actor=actor, action="proposal.review", reason=reason.strip(),
                force_record=True)


def adjust_cost(session: Session, proposal: Proposal, *, actor: User, cost_cents: int, reason: str) -> None:
    """Set the reviewed cost of a proposal, with a public explanation (before/after in the history).

    Raises:
        PermissionDenied, RoundFrozen, ValidationFailed, InvalidState: as for :func:`review_proposal`.
    """
    _prepare_review(session, proposal, actor, reason, "proposal.cost", {"cost_cents": cost_cents})
    if proposal.status not in REVIEWABLE:
        raise InvalidState(_("De kosten kunnen alleen tijdens de beoordeling veranderen."))
    if cost_cents <= 0 or cost_cents > MAX_AMOUNT_CENTS:
        raise ValidationFailed(_("Vul een bedrag in dat groter is dan 0 euro."), field="cost")
    before = proposal.ballot_cost_cents
    proposal.cost_cents = cost_cents
    proposal.cost_reason = reason.strip()
    session.flush()
    audit.record(session, actor=actor, action="proposal.cost", obj_type="proposal", obj_id=proposal.id,
                 area_id=proposal.round.area_id, round_id=proposal.round_id, public=True,
                 before={"cost_cents": before, "title": proposal.title},
                 after={"cost_cents": cost_cents, "title": proposal.title}, reason=reason.strip())
    _mail_author(proposal, _("De kosten van uw plan zijn aangepast: %(reason)s", reason=reason.strip()))


def merge_proposals(session: Session, source: Proposal, target: Proposal, *, actor: User, reason: str) -> None:
    """Merge duplicate ``source`` into ``target``: supporters move over (no duplicates), the source
    author becomes co-initiator, the source is marked merged.

    Raises:
        PermissionDenied, RoundFrozen, ValidationFailed, InvalidState: as for :func:`review_proposal`.
    """
    _prepare_review(session, source, actor, reason, "proposal.merge", {"merged_into_id": target.id})
    session.refresh(target)
    if source.id == target.id or source.round_id != target.round_id:
        raise ValidationFailed(_("Kies een ander plan uit dezelfde ronde."), field="target_id")
    open_statuses = (ProposalStatus.SUBMITTED, *REVIEWABLE)
    if source.status not in (*open_statuses, ProposalStatus.NOT_ENOUGH_SUPPORT) or target.status not in open_statuses:
        raise InvalidState(_("Deze plannen kunnen niet worden samengevoegd."))
    have = set(session.scalars(select(Support.user_id).where(Support.proposal_id == target.id)))
    moved = 0
    for user_id in session.scalars(select(Support.user_id).where(Support.proposal_id == source.id)):
        if user_id not in have:
            session.add(Support(proposal_id=target.id, user_id=user_id))
            moved += 1
    if source.author is not None and source.author_id != target.author_id and source.author not in target.coinitiators:
        target.coinitiators.append(source.author)
    source.merged_into_id = target.id
    _set_status(session, source, ProposalStatus.MERGED, actor=actor, action="proposal.merge", reason=reason.strip(),
                extra_after={"merged_into_id": target.id, "merged_into": target.title, "supports_moved": moved})


def hide_proposal(session: Session, proposal: Proposal, *, actor: User, reason: str) -> None:
    """Hide abusive content (moderation) with a reason. A proposal on a frozen ballot stays.

    Raises:
        PermissionDenied, ValidationFailed, InvalidState: as for :func:`review_proposal`.
        RoundFrozen: the proposal is on the ballot and voting has opened (refusal audited).
    """
    authz.require_area_manager(actor, proposal.round.area)
    round_ = lock_round(session, proposal.round)
    if proposal.status == ProposalStatus.FEASIBLE:
        refuse_if_frozen(session, round_, actor=actor, action="proposal.hide", obj_type="proposal",
                         obj_id=proposal.id, attempted={"status": ProposalStatus.HIDDEN.value})
    if not reason.strip():
        raise ValidationFailed(_("Geef een reden. Die is openbaar."), field="reason")
    if proposal.status in (ProposalStatus.HIDDEN, ProposalStatus.DRAFT):
        raise InvalidState(_("Dit plan kan niet worden verborgen."))
    proposal.hidden_reason = reason.strip()
    _set_status(session, proposal, ProposalStatus.HIDDEN, actor=actor, action="proposal.hide", reason=reason.strip())


def review_queue(session: Session, round_: BudgetRound) -> list[Proposal]:
    """The round's proposals for the manager: everything except drafts, open ones first."""
    order = {s: i for i, s in enumerate((ProposalStatus.IN_REVIEW, ProposalStatus.SUBMITTED, ProposalStatus.FEASIBLE,
                                         ProposalStatus.INFEASIBLE, ProposalStatus.NOT_ENOUGH_SUPPORT))}
    rows = session.scalars(
        select(Proposal).where(Proposal.round_id == round_.id, Proposal.status != ProposalStatus.DRAFT)
        .options(selectinload(Proposal.cost_lines)).order_by(Proposal.id)
    )
    return sorted(rows, key=lambda p: (order.get(p.status, 99), p.id))


SORTS = {
    "nieuw": (Proposal.submitted_at.desc(), Proposal.id.desc()),
    "oud": (Proposal.submitted_at.asc(), Proposal.id.asc()),
    "titel": (func.lower(Proposal.title).asc(), Proposal.id.asc()),
    "kosten": (Proposal.estimated_cost_cents.asc(), Proposal.id.asc()),
}


def search_proposals(session: Session, round_: BudgetRound, *, theme_id: int | None = None,
                     status: ProposalStatus | None = None, text: str = "", sort: str = "nieuw") -> list[Proposal]:
    """Public proposals of ``round_`` filtered by theme, status and text; ``sort`` from :data:`pb.labels.PROPOSAL_SORT`
    (anything else falls back to newest first)."""
    query = select(Proposal).where(Proposal.round_id == round_.id, Proposal.status.in_(PUBLIC_STATUSES))
    if theme_id is not None and 0 < theme_id <= MAX_ID:
        query = query.where(Proposal.theme_id == theme_id)
    if status is not None:
        query = query.where(Proposal.status == status)
    text = text.strip()[:100]
    if text:
        pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(*(func.lower(col).like(pattern, escape="\\")
                                  for col in (Proposal.title, Proposal.summary, Proposal.description,
                                              Proposal.location))))
    rows = list(session.scalars(query.order_by(*SORTS.get(sort, SORTS["nieuw"]))))
    if sort == "steun":
        counts = support_counts(session, [p.id for p in rows])
        rows.sort(key=lambda p: (-counts.get(p.id, 0), p.id))
    return rows


def hidden_ids(session: Session, round_: BudgetRound) -> set[int]:
    """Ids of the round's hidden (moderated) proposals."""
    return set(session.scalars(select(Proposal.id).where(Proposal.round_id == round_.id,
                                                         Proposal.status == ProposalStatus.HIDDEN)))


def hidden_ids_in_area(session: Session, area_id: int) -> set[int]:
    """Ids of the hidden (moderated) proposals in every round of an area."""
    return set(session.scalars(select(Proposal.id).join(BudgetRound, BudgetRound.id == Proposal.round_id)
                               .where(BudgetRound.area_id == area_id, Proposal.status == ProposalStatus.HIDDEN)))


def drafts_of(session: Session, round_: BudgetRound, user: User | None) -> list[Proposal]:
    """``user``'s own drafts in ``round_``."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return list(session.scalars(select(Proposal).where(
        Proposal.round_id == round_.id, Proposal.author_id == user.id, Proposal.status == ProposalStatus.DRAFT)))


def status_history(session: Session, proposal: Proposal) -> list[AuditEntry]:
    """The public history of one proposal, oldest first."""
    return list(session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "proposal", AuditEntry.object_id == str(proposal.id),
                                 AuditEntry.public.is_(True)).order_by(AuditEntry.seq)
    ))


def _set_status(session: Session, proposal: Proposal, status: ProposalStatus, *, actor: User | None, action: str,
                reason: str = "", extra_after: dict[str, Any] | None = None, force_record: bool = False) -> None:
    old = proposal.status
    if old == status and not force_record:
        return
    proposal.status = status
    session.flush()
    audit.record(session, actor=actor, action=action, obj_type="proposal", obj_id=proposal.id,
                 area_id=proposal.round.area_id, round_id=proposal.round_id, public=True,
                 before={"status": old.value, "title": proposal.title},
                 after={"status": status.value, "title": proposal.title, **(extra_after or {})}, reason=reason)
    if old != status:
        notifications.proposal_status_changed(session, proposal, status, lambda: proposal_status_label(status))
        _mail_author(proposal, _("De status van uw plan is nu: %(status)s.", status=proposal_status_label(status))
                     + (("\n\n" + _("Toelichting: %(reason)s", reason=reason)) if reason else ""))


def _mail_author(proposal: Proposal, message: str) -> None:
    mail.queue_news(session_of(proposal), proposal.author,
                    subject=_("Nieuws over uw plan: %(title)s", title=proposal.title),
                    about=_("Er is nieuws over uw plan '%(title)s'.", title=proposal.title), message=message,
                    link_line=_("Bekijk uw plan: %(link)s", link=mail.public_url(f"/proposals/{proposal.id}")))


def session_of(obj: object) -> Session:
    """The session an object belongs to."""
    from sqlalchemy.orm import object_session

    session = object_session(obj)
    assert session is not None
    return session
