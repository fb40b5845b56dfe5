"""Ballots: check and cast a ballot, re-vote, receipts, the ballot's projects and their order.

A vote writes two unrelated rows in one transaction: a :class:`Participation` (who voted; the
``UNIQUE(round_id, voter_id)`` constraint makes a second one impossible) and a :class:`Ballot`
(what was chosen; no voter, no time, random id). While re-voting is possible the participation
holds a sealed pointer to the ballot (:mod:`pb.services.ballot_seal`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pb.clock import LOCAL_TZ, local_today
from pb.db import utcnow
from pb.errors import AlreadyVoted, InvalidState, PermissionDenied, ValidationFailed, VotingClosed, VotingNotOpen
from pb.models.ballot import Ballot, BallotItem, Channel, Participation, random_ballot_id
from pb.models.proposal import Proposal, ProposalStatus
from pb.models.residency import Residency
from pb.models.round import BallotType, BudgetRound
from pb.models.user import User
from pb.services import authz
from pb.services import residency as residency_rules
from pb.services.ballot_seal import open_pointer, round_key, seal_pointer
from pb.templating import euro

Choices = Mapping[int, int]
"""proposal id -> value: 1 for approval-style ballots, points (cumulative) or rank (ranked)."""


MAX_REVOTES = 1  # a voter may replace their ballot once, until the round closes


RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I look-alikes


RECEIPT_LENGTH = 12  # 12 x 5 bits = 60 bits


def already_voted_message() -> str:
    """The answer to a second vote (a double click, a retry, a second device)."""
    return _("U heeft al gestemd in deze ronde.")


def ballot_proposals(session: Session, round_: BudgetRound) -> list[Proposal]:
    """The projects on the ballot of ``round_``: its feasible proposals, by id."""
    return list(session.scalars(
        select(Proposal)
        .where(Proposal.round_id == round_.id, Proposal.status == ProposalStatus.FEASIBLE)
        .order_by(Proposal.id)
    ))


def ballot_order(round_: BudgetRound, proposals: Sequence[Proposal], voter_id: int) -> list[Proposal]:
    """Shuffle the projects for one voter: random-looking, but the same on every visit.

    The order key is HMAC(SECRET_KEY, round id, voter id, proposal id), so nobody can predict
    another voter's order and the first project is not favoured.
    """
    secret = str(current_app.config["SECRET_KEY"]).encode()

    def key(proposal: Proposal) -> bytes:
        msg = f"ballot-order:{round_.id}:{voter_id}:{proposal.id}".encode()
        return hmac.new(secret, msg, hashlib.sha256).digest()

    return sorted(proposals, key=key)


def rounds_open_to(session: Session, voter: User, *, now: dt.datetime) -> list[BudgetRound]:
    """Rounds open for voting at ``now`` in the areas where ``voter`` is a resident, closing first."""
    area_ids = select(Residency.area_id).where(Residency.user_id == voter.id)
    return list(session.scalars(
        select(BudgetRound).where(BudgetRound.area_id.in_(area_ids), BudgetRound.voting_open_at <= now,
                                  BudgetRound.voting_close_at > now, BudgetRound.results_published_at.is_(None))
        .order_by(BudgetRound.voting_close_at)
    ))


def participation_of(session: Session, round_: BudgetRound, voter: User) -> Participation | None:
    """The voter's participation in ``round_``, if they voted."""
    return session.scalar(
        select(Participation).where(Participation.round_id == round_.id, Participation.voter_id == voter.id)
    )


def can_change_vote(round_: BudgetRound, participation: Participation | None) -> bool:
    """Whether this voter may still replace their ballot."""
    return bool(
        participation is not None and round_.allow_revote and participation.channel == Channel.ONLINE
        and participation.revotes < MAX_REVOTES and participation.sealed_pointer is not None
    )


def require_voting_open(round_: BudgetRound, now: dt.datetime) -> None:
    """Raise unless ``round_`` is in its voting phase at ``now`` (server time).

    Raises:
        VotingNotOpen: before opening.
        VotingClosed: after closing.
    """
    if round_.is_voting_open(now):
        return
    if round_.is_voting_closed(now):
        raise VotingClosed(_("De stemming is gesloten. U kunt niet meer stemmen."))
    raise VotingNotOpen(_("De stemming is nog niet open. U kunt stemmen vanaf %(d)s.",
                         d=round_.voting_open_at.astimezone(LOCAL_TZ).strftime("%d-%m-%Y %H:%M")))


def require_eligible(session: Session, round_: BudgetRound, voter: User, now: dt.datetime) -> Residency:
    """Return the voter's residency in the round's area, or raise.

    Raises:
        PermissionDenied: not a verified resident of the area, or outside the age limits.
    """
    area = round_.area
    residency = authz.require_resident(session, voter, area)
    day = local_today(now)
    # The register's birth year wins over a declared birth date (pb.services.residency).
    if not residency_rules.meets_age_limits(residency, round_, on=day):
        if residency_rules.age_on(residency, day) is None:
            raise PermissionDenied(_("Voor deze ronde geldt een leeftijdsgrens en uw geboortedatum is niet "
                                     "bekend. Ga naar het informatiepunt met uw identiteitsbewijs."))
        raise PermissionDenied(_("U valt buiten de leeftijdsgrens van deze ronde."))
    return residency


def validate_choices(round_: BudgetRound, proposals: Sequence[Proposal], choices: Choices) -> None:
    """Check a whole ballot against the round's ballot type and limits.

    Args:
        round_: the round (ballot type, limits, budget).
        proposals: the projects on this round's ballot.
        choices: proposal id -> 1, points or rank.

    Raises:
        ValidationFailed: with a Dutch explanation of the first rule the ballot breaks.
    """
    on_ballot = {p.id: p for p in proposals}
    if any(pid not in on_ballot for pid in choices):
        raise ValidationFailed(_("U koos een project dat niet op het stembiljet van deze ronde staat."))
    if any(not isinstance(v, int) or isinstance(v, bool) for v in choices.values()):
        raise ValidationFailed(_("Uw stem is niet goed ingevuld."))
    n = len(choices)
    bt = round_.ballot_type
    if n == 0:
        raise ValidationFailed(_("U heeft nog geen project gekozen."))
    if bt == BallotType.CHOOSE_ONE:
        if n != 1 or set(choices.values()) != {1}:
            raise ValidationFailed(_("Kies precies één project."))
        return
    if bt in (BallotType.APPROVAL, BallotType.K_APPROVAL, BallotType.KNAPSACK) and set(choices.values()) != {1}:
        raise ValidationFailed(_("Uw stem is niet goed ingevuld."))
    minimum, maximum = round_.min_projects, round_.max_projects
    if bt == BallotType.CUMULATIVE:
        _validate_points(round_, choices)
    if bt == BallotType.RANKED:
        ranks = sorted(choices.values())
        if ranks != list(range(1, n + 1)):
            raise ValidationFailed(_("Geef elke plaats (1, 2, 3, ...) aan één project, zonder plaatsen over te slaan."))
    if minimum is not None and n < minimum:
        raise ValidationFailed(ngettext("Kies minstens %(num)d project.", "Kies minstens %(num)d projecten.", minimum))
    if maximum is not None and n > maximum:
        raise ValidationFailed(ngettext("Kies hoogstens %(num)d project.", "Kies hoogstens %(num)d projecten.", maximum))
    if bt == BallotType.KNAPSACK:
        total = sum(on_ballot[pid].ballot_cost_cents for pid in choices)
        if total > round_.budget_cents:
            raise ValidationFailed(_("Uw keuze kost %(total)s. Dat is meer dan het budget van %(budget)s.",
                                     total=euro(total), budget=euro(round_.budget_cents)))
        pct = round_.min_budget_share_pct
        if pct and total * 100 < pct * round_.budget_cents:
            raise ValidationFailed(_("Kies projecten voor minstens %(pct)d%% van het budget (%(min)s). "
                                     "Uw keuze kost %(total)s.", pct=pct, total=euro(total),
                                     min=euro(-(-pct * round_.budget_cents // 100))))


def _validate_points(round_: BudgetRound, choices: Choices) -> None:
    per_max = round_.points_max_per_project
    if any(v < 1 for v in choices.values()):
        raise ValidationFailed(_("Geef elk gekozen project minstens 1 punt."))
    if per_max is not None and any(v > per_max for v in choices.values()):
        raise ValidationFailed(_("Geef een project hoogstens %(n)d punten.", n=per_max))
    total = sum(choices.values())
    if round_.points_total is not None and total != round_.points_total:
        raise ValidationFailed(_("Verdeel precies %(n)d punten. U heeft er nu %(t)d verdeeld.",
                                 n=round_.points_total, t=total))


def check_ballot(session: Session, round_: BudgetRound, *, voter: User, choices: Choices,
                 now: dt.datetime | None = None) -> None:
    """Everything :func:`cast_ballot` checks before writing (used by the review step).

    Raises:
        InvalidState: voting not open.
        PermissionDenied: voter not eligible.
        ValidationFailed: the ballot breaks a rule.
    """
    now = now or utcnow()
    require_voting_open(round_, now)
    require_eligible(session, round_, voter, now)
    validate_choices(round_, ballot_proposals(session, round_), choices)


@dataclass(frozen=True)
class CastResult:
    """What casting did: the receipt to give the voter and whether an earlier ballot was replaced."""

    receipt_code: str
    replaced: bool


def new_receipt_code() -> str:
    """A random tracking code such as ``K7QM-2XHD-9PWA``; never derived from the ballot."""
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, RECEIPT_LENGTH, 4))


def cast_ballot(session: Session, round_: BudgetRound, *, voter: User, choices: Choices,
                channel: Channel = Channel.ONLINE, now: dt.datetime | None = None) -> CastResult:
    """Validate and store a whole ballot, or replace the voter's earlier one (re-vote).

    Inserts the participation first and lets ``UNIQUE(round_id, voter_id)`` decide races: no
    check-then-insert. The caller commits (participation and ballot in one transaction) or rolls
    back on an error.

    Args:
        session: the request's session.
        round_: the round voted in.
        voter: the resident whose ballot this is.
        choices: proposal id -> 1, points or rank.
        channel: online, or paper (via :func:`confirm_paper_ballot`).
        now: server time (tests pass a moment to check the window edges).

    Returns:
        The receipt code and whether an earlier ballot was replaced.

    Raises:
        InvalidState: voting not open (:class:`VotingNotOpen`, :class:`VotingClosed`).
        AlreadyVoted: already voted, and no re-vote possible.
        PermissionDenied: not eligible.
        ValidationFailed: the ballot breaks a rule of the round.
    """
    now = now or utcnow()
    check_ballot(session, round_, voter=voter, choices=choices, now=now)
    ballot_id = random_ballot_id()
    revotable = round_.allow_revote and channel == Channel.ONLINE
    pointer = seal_pointer(round_key(session, round_), ballot_id, round_.id, voter.id) if revotable else None
    participation = Participation(round_id=round_.id, voter_id=voter.id, channel=channel, cast_at=now,
                                  revotes=0, sealed_pointer=pointer)
    replaced = False
    try:
        with session.begin_nested():
            session.add(participation)
    except IntegrityError:  # the savepoint rollback already expunged the new participation
        _replace_earlier_ballot(session, round_, voter=voter, channel=channel, new_ballot_id=ballot_id)
        replaced = True
    receipt = new_receipt_code()
    session.add(Ballot(id=ballot_id, round_id=round_.id, channel=channel, receipt_code=receipt,
                       items=_items(round_, choices)))
    session.flush()
    return CastResult(receipt_code=receipt, replaced=replaced)


def _items(round_: BudgetRound, choices: Choices) -> list[BallotItem]:
    if round_.ballot_type == BallotType.CUMULATIVE:
        return [BallotItem(proposal_id=pid, points=v) for pid, v in sorted(choices.items())]
    if round_.ballot_type == BallotType.RANKED:
        return [BallotItem(proposal_id=pid, rank=v) for pid, v in sorted(choices.items())]
    return [BallotItem(proposal_id=pid) for pid in sorted(choices)]


def _replace_earlier_ballot(session: Session, round_: BudgetRound, *, voter: User, channel: Channel,
                            new_ballot_id: int) -> None:
    """Re-vote: point the participation at the new ballot and delete the old one, race-safely."""
    existing = session.scalars(
        select(Participation)
        .where(Participation.round_id == round_.id, Participation.voter_id == voter.id)
        .execution_options(populate_existing=True)
    ).one()
    if channel != Channel.ONLINE or existing.channel != Channel.ONLINE or not round_.allow_revote:
        raise AlreadyVoted(already_voted_message())
    if existing.revotes >= MAX_REVOTES:
        raise InvalidState(_("U heeft uw stem al een keer gewijzigd. Meer keren wijzigen kan niet."))
    if existing.sealed_pointer is None:
        raise AlreadyVoted(already_voted_message())
    key = round_key(session, round_)
    old_ballot_id = open_pointer(key, existing.sealed_pointer, round_.id, voter.id)
    # Optimistic lock on ``revotes``: of two simultaneous re-votes exactly one matches the row
    # (PostgreSQL re-checks the WHERE after the other commits; SQLite serialises writers).
    result = session.execute(
        update(Participation)
        .where(Participation.id == existing.id, Participation.revotes == existing.revotes)
        .values(revotes=existing.revotes + 1,
                sealed_pointer=seal_pointer(key, new_ballot_id, round_.id, voter.id))
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidState(_("Uw stem werd tegelijk al gewijzigd. Kijk of uw stem goed is opgeslagen."))
    session.execute(delete(BallotItem).where(BallotItem.ballot_id == old_ballot_id))
    session.execute(delete(Ballot).where(Ballot.id == old_ballot_id, Ballot.round_id == round_.id))
    session.expire(existing)
