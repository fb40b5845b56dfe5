"""Messages to residents: who gets which e-mail, exactly once per event, in their own language.

Every message goes through :func:`_send`, which first inserts a ``notifications_sent`` row
(unique per recipient and event) inside a savepoint: a second run, a retry or a parallel worker
hits the constraint and sends nothing. A resident's choices (:class:`NotificationSettings`) win
over the municipality's defaults (config ``NOTIFY_DEFAULTS``). No message ever says anything about
a ballot: voters are found through participations, and what they are told is the same for all.

Unsubscribe links are signed and carry their date: they work for ``UNSUBSCRIBE_MAX_AGE_DAYS``
(long enough for mail read late) and only while the account keeps the address the mail went to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pb.db import utcnow
from pb.errors import ValidationFailed
from pb.models.ballot import Participation
from pb.models.implementation import Implementation, Milestone
from pb.models.notification import (
    Follow,
    NotificationKind,
    NotificationSent,
    NotificationSettings,
    NotificationWatermark,
)
from pb.models.proposal import Proposal, ProposalStatus, Support, proposal_coinitiators
from pb.models.residency import Residency
from pb.models.round import BudgetRound, Phase
from pb.models.user import User
from pb.services import ballots, mail

_UNSUBSCRIBE_SALT = "pb-unsubscribe"
DEFAULT_UNSUBSCRIBE_MAX_AGE_DAYS = 180
ANNOUNCED_PHASES = (Phase.SUPPORT, Phase.VOTING)
PHASE_WATERMARK = "phase_announcements"


@dataclass(frozen=True)
class Choices:
    """What a resident gets: their language and one switch per kind of message."""

    language: str
    wanted: dict[NotificationKind, bool]


def defaults() -> dict[NotificationKind, bool]:
    """The municipality's defaults per kind of message (config ``NOTIFY_DEFAULTS``)."""
    configured = current_app.config.get("NOTIFY_DEFAULTS", {})
    return {kind: bool(configured.get(kind.value, False)) for kind in NotificationKind}


def choices_of(session: Session, user: User) -> Choices:
    """The resident's language and choices, with the municipality's default where they chose nothing."""
    row = session.get(NotificationSettings, user.id)
    base = defaults()
    wanted = {kind: (getattr(row, kind.value) if row is not None and getattr(row, kind.value) is not None
                     else base[kind]) for kind in NotificationKind}
    language = row.language if row is not None and row.language else current_app.config["BABEL_DEFAULT_LOCALE"]
    return Choices(language=language, wanted=wanted)


def update_choices(session: Session, user: User, *, language: str, wanted: dict[NotificationKind, bool]) -> None:
    """Store the resident's language and message choices.

    Raises:
        ValidationFailed: an unknown language.
    """
    if language not in current_app.config["LANGUAGES"]:
        raise ValidationFailed(_("Kies een taal."), field="language")
    row = session.get(NotificationSettings, user.id)
    if row is None:
        row = NotificationSettings(user_id=user.id)
        session.add(row)
    row.language = language
    for kind in NotificationKind:
        setattr(row, kind.value, bool(wanted.get(kind, False)))
    session.flush()


def _unsubscribe_serializer(user_id: int, email: str) -> URLSafeTimedSerializer:
    # The address is part of the key: a link stops working when the account's address changes or
    # the account is emptied, and the address itself never appears in the link.
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"],
                                  salt=f"{_UNSUBSCRIBE_SALT}:{user_id}:{email.strip().lower()}")


def unsubscribe_token(user: User, kind: NotificationKind) -> str:
    """A signed, dated token that turns off one kind of message for one resident (no login needed)."""
    return str(_unsubscribe_serializer(user.id, user.email or "").dumps([user.id, kind.value]))


def read_unsubscribe_token(session: Session, token: str, now: dt.datetime | None = None
                           ) -> tuple[User, NotificationKind] | None:
    """The resident and kind a token names, or None when it is forged, too old (config
    ``UNSUBSCRIBE_MAX_AGE_DAYS``), made for another address, or the account is gone."""
    try:
        # The payload names the account; the signature is then checked with that account's address.
        _valid, payload = URLSafeTimedSerializer("-", salt=_UNSUBSCRIBE_SALT).loads_unsafe(token)
        user = session.get(User, int(payload[0])) if isinstance(payload, list) and payload else None
        if user is None or not user.email:
            return None
        (signed_id, kind), signed_at = _unsubscribe_serializer(user.id, user.email).loads(token, return_timestamp=True)
        max_age = dt.timedelta(days=int(current_app.config.get("UNSUBSCRIBE_MAX_AGE_DAYS",
                                                               DEFAULT_UNSUBSCRIBE_MAX_AGE_DAYS)))
        if (now or utcnow()) - signed_at > max_age or int(signed_id) != user.id:
            return None
        return user, NotificationKind(kind)
    except (BadSignature, ValueError, TypeError, IndexError):
        return None


def unsubscribe(session: Session, user: User, kind: NotificationKind) -> None:
    """Turn off one kind of message for ``user`` (the other choices stay as they are)."""
    current = choices_of(session, user)
    update_choices(session, user, language=current.language, wanted={**current.wanted, kind: False})


def _base_url() -> str:
    return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")


def _send(session: Session, user: User, kind: NotificationKind, event_key: str,
          compose: Callable[[], tuple[str, str]]) -> bool:
    """Send one message to ``user`` for ``event_key`` unless they opted out or already got it."""
    if not user.email or user.email_confirmed_at is None:
        return False
    choices = choices_of(session, user)
    if not choices.wanted[kind]:
        return False
    try:
        with session.begin_nested():
            session.add(NotificationSent(user_id=user.id, kind=kind, event_key=event_key, sent_at=utcnow()))
    except IntegrityError:
        return False  # this person already got this message
    link = f"{_base_url()}/unsubscribe/{unsubscribe_token(user, kind)}"
    with force_locale(choices.language):
        subject, text = compose()
        body = "\n\n".join([
            _("Beste %(name)s,", name=user.name), text,
            _("Met vriendelijke groet,\nBuurtbudget %(m)s", m=current_app.config["MUNICIPALITY_NAME"]),
            _("Wilt u dit soort berichten niet meer krijgen? Zet ze uit: %(link)s", link=link),
            _("Al uw keuzes staan op Mijn buurtbudget: %(link)s", link=f"{_base_url()}/mijn"),
        ])
    mail.queue(session, to=user.email, subject=subject, body=body,
               headers={"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
    return True


def _users(session: Session, ids: Iterable[int | None]) -> list[User]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return []
    return list(session.scalars(select(User).where(User.id.in_(wanted)).order_by(User.id)))


def _proposal_followers(session: Session, proposal_ids: list[int]) -> set[int]:
    if not proposal_ids:
        return set()
    return set(session.scalars(select(Follow.user_id).where(Follow.proposal_id.in_(proposal_ids))))


def _area_followers(session: Session, area_id: int) -> set[int]:
    return set(session.scalars(select(Follow.user_id).where(Follow.area_id == area_id)))


def _residents(session: Session, area_id: int) -> set[int]:
    return set(session.scalars(select(Residency.user_id).where(Residency.area_id == area_id)))


def proposal_status_changed(session: Session, proposal: Proposal, status: ProposalStatus,
                            label: Callable[[], str]) -> int:
    """Tell the followers of ``proposal`` its new status (the author hears through their own mail)."""
    link = f"{_base_url()}/proposals/{proposal.id}"
    recipients = _users(session, _proposal_followers(session, [proposal.id]) - {proposal.author_id})

    def compose() -> tuple[str, str]:
        return (_("Nieuws over een plan dat u volgt: %(t)s", t=proposal.title),
                _("Het plan '%(t)s' heeft een nieuwe status: %(s)s.", t=proposal.title, s=label())
                + "\n\n" + _("Bekijk het plan: %(link)s", link=link))

    return sum(_send(session, u, NotificationKind.STATUS, f"status:{proposal.id}:{status.value}", compose)
               for u in recipients)


def phase_started(session: Session, round_: BudgetRound, now: dt.datetime | None = None) -> int:
    """When support or voting is running in ``round_``, tell its area's residents and followers (once)."""
    phase = round_.phase_at(now or utcnow())
    if phase not in ANNOUNCED_PHASES:
        return 0
    link = f"{_base_url()}/rounds/{round_.id}"
    recipients = _users(session, _residents(session, round_.area_id) | _area_followers(session, round_.area_id))

    def compose() -> tuple[str, str]:
        from pb.templating import datumtijd

        if phase == Phase.VOTING:
            return (_("Het stemmen is begonnen: %(t)s", t=round_.title),
                    _("In %(a)s kunt u nu stemmen over de plannen van '%(t)s'. Het stemmen sluit op %(d)s.",
                      a=round_.area.name, t=round_.title, d=datumtijd(round_.voting_close_at))
                    + "\n\n" + _("Bekijk de ronde: %(link)s", link=link))
        return (_("Steun plannen in uw buurt: %(t)s", t=round_.title),
                _("In %(a)s kunt u nu plannen van buren steunen, tot %(d)s.",
                  a=round_.area.name, d=datumtijd(round_.support_close_at))
                + "\n\n" + _("Bekijk de plannen: %(link)s", link=f"{link}/proposals"))

    return sum(_send(session, u, NotificationKind.PHASE, f"phase:{round_.id}:{phase.value}", compose)
               for u in recipients)


def _watermark(session: Session, name: str, now: dt.datetime) -> dt.datetime:
    """When announcements of ``name`` started; the first call (of any process) sets it to ``now``."""
    row = session.get(NotificationWatermark, name)
    if row is None:
        try:
            with session.begin_nested():
                session.add(NotificationWatermark(name=name, since=now))
        except IntegrityError:
            pass  # another process ran first: its moment counts
        row = session.get(NotificationWatermark, name)
    assert row is not None
    return row.since


def _phase_start(round_: BudgetRound, phase: Phase) -> dt.datetime:
    return round_.proposals_close_at if phase == Phase.SUPPORT else round_.voting_open_at


def announce_phases(session: Session, now: dt.datetime | None = None) -> int:
    """Announce every support or voting phase that is running now and started after the first run
    of this announcer (safe to run again: once each).

    Phases already running at the first run (say, right after the deploy that introduced these
    messages) are not news and are never announced.
    """
    now = now or utcnow()
    since = _watermark(session, PHASE_WATERMARK, now)
    running = session.scalars(
        select(BudgetRound).where(BudgetRound.results_published_at.is_(None),
                                  BudgetRound.proposals_close_at <= now, BudgetRound.voting_close_at > now)
        .order_by(BudgetRound.id)
    )
    sent = 0
    for round_ in running:
        phase = round_.phase_at(now)
        if phase in ANNOUNCED_PHASES and _phase_start(round_, phase) >= since:
            sent += phase_started(session, round_, now)
    return sent


def reminder_recipients(session: Session, round_: BudgetRound, now: dt.datetime) -> list[User]:
    """The verified residents who may vote in ``round_`` and have no participation in it yet."""
    voted = set(session.scalars(select(Participation.voter_id).where(Participation.round_id == round_.id)))
    residencies = session.scalars(select(Residency).where(Residency.area_id == round_.area_id)
                                  .order_by(Residency.user_id))
    eligible = {r.user_id for r in residencies if ballots.may_vote(r, round_, now)}
    return [u for u in _users(session, eligible - voted) if u.is_active]


def remind_non_voters(session: Session, *, days: int, now: dt.datetime | None = None) -> int:
    """Remind verified residents who may vote and have not, when voting closes within ``days`` days.

    Only residents the round's rules let vote (its area, its age limits) are reminded. The
    message says only that voting closes soon and that they have not voted yet. "Not voted"
    comes from participations (never from ballots). Each resident gets one reminder per round.
    """
    now = now or utcnow()
    due = session.scalars(
        select(BudgetRound).where(BudgetRound.results_published_at.is_(None), BudgetRound.voting_open_at <= now,
                                  BudgetRound.voting_close_at > now,
                                  BudgetRound.voting_close_at <= now + dt.timedelta(days=days))
        .order_by(BudgetRound.id)
    )
    sent = 0
    for round_ in due:
        link = f"{_base_url()}/rounds/{round_.id}"

        def compose(round_: BudgetRound = round_, link: str = link) -> tuple[str, str]:
            from pb.templating import datumtijd

            return (_("U heeft nog niet gestemd: %(t)s", t=round_.title),
                    _("U heeft nog niet gestemd. Het stemmen sluit op %(d)s.", d=datumtijd(round_.voting_close_at))
                    + "\n\n" + _("Stemmen kan hier: %(link)s", link=link))

        for user in reminder_recipients(session, round_, now):
            sent += _send(session, user, NotificationKind.REMINDER, f"reminder:{round_.id}", compose)
    return sent


def results_published(session: Session, round_: BudgetRound, outcomes: dict[int, tuple[bool, str, str]]) -> int:
    """Tell authors, supporters, voters and followers that the results of ``round_`` are out.

    Args:
        outcomes: per proposal id (chosen, reason in Dutch, reason in English), from the stored result.

    Each recipient reads the outcome of the plans they wrote, supported or follow; voters learn only
    that the results are published.
    """
    proposal_ids = [p.id for p in round_.proposals]
    own: dict[int, set[int]] = {}

    def mark(rows: Iterable[Any]) -> None:
        for user_id, proposal_id in rows:
            if user_id is not None:
                own.setdefault(user_id, set()).add(proposal_id)

    if proposal_ids:
        mark((p.author_id, p.id) for p in round_.proposals if p.status != ProposalStatus.DRAFT)
        mark(session.execute(select(proposal_coinitiators.c.user_id, proposal_coinitiators.c.proposal_id)
                             .where(proposal_coinitiators.c.proposal_id.in_(proposal_ids))).all())
        mark(session.execute(select(Support.user_id, Support.proposal_id)
                             .where(Support.proposal_id.in_(proposal_ids))).all())
        mark(session.execute(select(Follow.user_id, Follow.proposal_id)
                             .where(Follow.proposal_id.in_(proposal_ids))).all())
    voters = set(session.scalars(select(Participation.voter_id).where(Participation.round_id == round_.id)))
    recipients = _users(session, set(own) | voters | _area_followers(session, round_.area_id))
    titles = {p.id: p.title for p in round_.proposals}
    link = f"{_base_url()}/rounds/{round_.id}/results"
    sent = 0
    for user in recipients:
        mine = sorted(pid for pid in own.get(user.id, set()) if pid in outcomes)

        def compose(mine: list[int] = mine) -> tuple[str, str]:
            from flask_babel import get_locale

            english = str(get_locale()) == "en"
            lines = [_("De uitslag van '%(t)s' is bekend.", t=round_.title)]
            for pid in mine:
                chosen, reason_nl, reason_en = outcomes[pid]
                verdict = _("gekozen") if chosen else _("niet gekozen")
                lines.append(f"- {titles[pid]}: {verdict}. {reason_en if english else reason_nl}".rstrip())
            lines.append(_("Bekijk de uitslag: %(link)s", link=link))
            return _("De uitslag is bekend: %(t)s", t=round_.title), "\n".join(lines)

        sent += _send(session, user, NotificationKind.RESULTS, f"results:{round_.id}", compose)
    return sent


def implementation_changed(session: Session, implementation: Implementation, label: Callable[[], str]) -> int:
    """Tell the followers of a funded project that its implementation status changed."""
    if implementation.proposal_id is None:
        return 0
    link = f"{_base_url()}/proposals/{implementation.proposal_id}"
    recipients = _users(session, _proposal_followers(session, [implementation.proposal_id]))

    def compose() -> tuple[str, str]:
        return (_("Nieuws over een plan dat u volgt: %(t)s", t=implementation.title),
                _("Het plan '%(t)s' heeft een nieuwe status: %(s)s.", t=implementation.title, s=label())
                + "\n\n" + _("Bekijk het plan: %(link)s", link=link))

    key = f"implementation:{implementation.id}:{implementation.status.value}"
    return sum(_send(session, u, NotificationKind.STATUS, key, compose) for u in recipients)


def milestone_reached(session: Session, milestone: Milestone) -> int:
    """Tell the followers of a funded project about its new milestone."""
    implementation = milestone.implementation
    if implementation.proposal_id is None:
        return 0
    link = f"{_base_url()}/proposals/{implementation.proposal_id}"
    recipients = _users(session, _proposal_followers(session, [implementation.proposal_id]))

    def compose() -> tuple[str, str]:
        from pb.templating import datum

        return (_("Nieuwe stap voor een plan dat u volgt: %(t)s", t=implementation.title),
                _("%(d)s: %(text)s", d=datum(milestone.happened_on), text=milestone.text)
                + "\n\n" + _("Bekijk het plan: %(link)s", link=link))

    return sum(_send(session, u, NotificationKind.MILESTONE, f"milestone:{milestone.id}", compose)
               for u in recipients)
