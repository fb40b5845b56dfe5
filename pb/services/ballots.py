"""Ballots: check and cast a ballot, re-vote, receipts, the ballot's projects and their order.

A vote writes, in one transaction, a :class:`Participation` (who voted; ``UNIQUE(round_id,
voter_id)`` makes a second one impossible) and the ballot *sealed* to a per-round key that is not
in the database (:class:`SealedBallot`, :mod:`pb.services.ballot_seal`). The mix
(:mod:`pb.services.ballot_mixing`) later moves sealed ballots into ``ballots`` many at a time, in
shuffled order, in its own transactions; sealing the round after close mixes the rest, re-mixes
the round and destroys the key. So no transaction id, physical order, sequence, time, audit row
or receipt links a ballot to a voter. See ``docs/secret-ballot.md``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import Table, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pb.clock import LOCAL_TZ, local_today
from pb.db import utcnow
from pb.errors import AlreadyVoted, InvalidState, NotFound, PermissionDenied, ValidationFailed, VotingClosed, VotingNotOpen
from pb.models.ballot import Channel, Participation, SealedBallot
from pb.models.proposal import Proposal, ProposalStatus, project_order
from pb.models.residency import Residency
from pb.models.round import BallotType, BudgetRound
from pb.models.user import User
from pb.services import authz, voting_readiness
from pb.services import residency as residency_rules
from pb.services import ballot_seal
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
    """The projects on the ballot of ``round_``: its feasible proposals, in the round's project order
    (:func:`pb.models.proposal.project_order`, the one order of the count, pages and files)."""
    return list(session.scalars(
        select(Proposal)
        .where(Proposal.round_id == round_.id, Proposal.status == ProposalStatus.FEASIBLE)
        .order_by(*project_order())
    ))


@dataclass(frozen=True)
class BallotProject:
    """What checking a ballot needs of a project on it."""

    id: int
    ballot_cost_cents: int


def ballot_projects(session: Session, round_: BudgetRound, now: dt.datetime | None = None) -> list[BallotProject]:
    """The projects on the ballot (id and cost), kept per process once voting has opened.

    The project list and costs are frozen from the opening of voting (threat 4: every change is
    refused), so a cast does not read them again; before opening they are read every time.
    """
    now = now or utcnow()
    cache: dict[int, tuple[dt.datetime, list[BallotProject]]] = current_app.extensions.setdefault(
        "pb_ballot_projects", {})
    cached = cache.get(round_.id)
    if cached is not None and cached[0] == round_.voting_open_at and round_.is_frozen_at(now):
        return cached[1]
    projects = [BallotProject(id=p.id, ballot_cost_cents=p.ballot_cost_cents) for p in ballot_proposals(session, round_)]
    if round_.is_frozen_at(now):
        cache[round_.id] = (round_.voting_open_at, projects)
    return projects


def round_for_voter(session: Session, round_id: int, voter: User) -> tuple[BudgetRound, Residency | None]:
    """The round and the voter's residency in its area, in one query (the cast's hot path).

    Raises:
        NotFound: no such round.
    """
    row = session.execute(
        select(BudgetRound, Residency)
        .outerjoin(Residency, (Residency.area_id == BudgetRound.area_id) & (Residency.user_id == voter.id))
        .where(BudgetRound.id == round_id)
    ).first()
    if row is None:
        raise NotFound(_("Deze ronde bestaat niet."))
    return row[0], row[1]


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


def require_eligible(session: Session, round_: BudgetRound, voter: User, now: dt.datetime,
                     residency: Residency | None = None) -> Residency:
    """Return the voter's residency in the round's area, or raise. ``residency``: the voter's
    residency in the round's area when the caller already loaded it.

    Raises:
        PermissionDenied: not a verified resident of the area, or outside the age limits.
    """
    if residency is None or residency.user_id != voter.id or residency.area_id != round_.area_id:
        residency = session.scalar(
            select(Residency).where(Residency.user_id == voter.id, Residency.area_id == round_.area_id)
        )
    if residency is None:  # the area is loaded only for the refusal's message
        residency = authz.require_resident(session, voter, round_.area)
    refusal = _age_refusal(residency, round_, now)
    if refusal is not None:
        raise PermissionDenied(refusal)
    return residency


def may_vote(residency: Residency, round_: BudgetRound, now: dt.datetime) -> bool:
    """Whether the verified resident with ``residency`` may vote in ``round_`` at ``now``: a
    residency in the round's area, within its age limits (the rule :func:`require_eligible` applies;
    the reminder to non-voters asks it too)."""
    # The register's birth year wins over a declared birth date (pb.services.residency).
    return residency.area_id == round_.area_id and residency_rules.meets_age_limits(residency, round_,
                                                                                   on=local_today(now))


def _age_refusal(residency: Residency, round_: BudgetRound, now: dt.datetime) -> str | None:
    day = local_today(now)
    if may_vote(residency, round_, now):
        return None
    if residency_rules.age_on(residency, day) is None:
        return _("Voor deze ronde geldt een leeftijdsgrens en uw geboortedatum is niet bekend. "
                 "Vul uw geboortedatum in bij uw account.")
    return _("U valt buiten de leeftijdsgrens van deze ronde.")


def age_refusal(session: Session, round_: BudgetRound, voter: User | None, now: dt.datetime) -> str | None:
    """Why the round's age rule will refuse ``voter``'s ballot, or None when it will not.

    None too for a visitor or a non-resident of the area: the ballot page explains those.
    Pages use this so they never offer a ballot that :func:`require_eligible` refuses.
    """
    if voter is None or round_.min_age is None and round_.max_age is None:
        return None
    residency = session.scalar(
        select(Residency).where(Residency.user_id == voter.id, Residency.area_id == round_.area_id)
    )
    return None if residency is None else _age_refusal(residency, round_, now)


def validate_choices(round_: BudgetRound, proposals: Sequence[Proposal | BallotProject], choices: Choices) -> None:
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
                 now: dt.datetime | None = None, residency: Residency | None = None) -> None:
    """Everything :func:`cast_ballot` checks before writing (used by the review step).

    ``residency``: the voter's residency when the caller already loaded it.

    Raises:
        InvalidState: voting not open.
        PermissionDenied: voter not eligible.
        ValidationFailed: the ballot breaks a rule.
    """
    now = now or utcnow()
    require_voting_open(round_, now)
    voting_readiness.require_ready(session, round_, now)
    require_eligible(session, round_, voter, now, residency)
    validate_choices(round_, ballot_projects(session, round_, now), choices)


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
                channel: Channel = Channel.ONLINE, now: dt.datetime | None = None,
                residency: Residency | None = None) -> CastResult:
    """Validate a whole ballot and store it sealed, or replace the voter's earlier one (re-vote).

    One transaction writes the participation (``INSERT ... ON CONFLICT DO NOTHING`` on
    ``UNIQUE(round_id, voter_id)`` decides races: no check-then-insert) and the ballot *sealed* to
    the round key in ``sealed_ballots`` (random key, no voter, no time). No ``ballots`` row and no
    audit row is written here: the mix moves sealed ballots into ``ballots`` later, many at once
    in shuffled order (:mod:`pb.services.ballot_mixing`). The caller commits (then the vote is
    stored and will be counted) or rolls back on an error.

    Args:
        session: the request's session.
        round_: the round voted in.
        voter: the resident whose ballot this is.
        choices: proposal id -> 1, points or rank.
        channel: online, or paper (via :func:`confirm_paper_ballot`).
        now: server time (tests pass a moment to check the window edges).
        residency: the voter's residency in the round's area, when the caller already loaded it.

    Returns:
        The receipt code and whether an earlier ballot was replaced.

    Raises:
        InvalidState: voting not open (or sealed meanwhile); already voted (and no re-vote possible).
        PermissionDenied: not eligible.
        ValidationFailed: the ballot breaks a rule of the round.
    """
    now = now or utcnow()
    check_ballot(session, round_, voter=voter, choices=choices, now=now, residency=residency)
    key = ballot_seal.round_key(session, round_, create=True)
    token = ballot_seal.new_revote_token() if round_.allow_revote and channel == Channel.ONLINE else None
    pointer = ballot_seal.seal_token(key, token, round_.id, voter.id) if token is not None else None
    # Core statements on the session's connection: the same transaction without the ORM's
    # bookkeeping for rows it never loads (the cast's hot path).
    conn = session.connection()
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    inserted = conn.execute(
        dialect_insert(cast(Table, Participation.__table__))
        .values(round_id=round_.id, voter_id=voter.id, channel=channel, cast_at=now, revotes=0,
                sealed_pointer=pointer)
        .on_conflict_do_nothing(index_elements=["round_id", "voter_id"])
        .returning(Participation.__table__.c.id)
    ).first()
    replaced = inserted is None
    if replaced:
        _replace_earlier_ballot(session, round_, voter=voter, channel=channel, key=key, token=token)
    receipt = new_receipt_code()
    content = ballot_seal.BallotContent(
        channel=channel, receipt_code=receipt, items=_items(round_, choices),
        revoke_hash=ballot_seal.revoke_hash(key, token) if token is not None else None)
    try:
        conn.execute(insert(cast(Table, SealedBallot.__table__)).values(**ballot_seal.sealed_row(key, round_.id, content)))
    except IntegrityError:
        # The round's key row is gone: the round was sealed after this cast began. Refused, and
        # the caller's rollback removes the participation too.
        ballot_seal.forget_round_key(round_.id)
        raise VotingClosed(_("De stemming is gesloten. U kunt niet meer stemmen.")) from None
    return CastResult(receipt_code=receipt, replaced=replaced)


def _items(round_: BudgetRound, choices: Choices) -> tuple[tuple[int, int | None, int | None], ...]:
    if round_.ballot_type == BallotType.CUMULATIVE:
        return tuple((pid, v, None) for pid, v in sorted(choices.items()))
    if round_.ballot_type == BallotType.RANKED:
        return tuple((pid, None, v) for pid, v in sorted(choices.items()))
    return tuple((pid, None, None) for pid in sorted(choices))


def _replace_earlier_ballot(session: Session, round_: BudgetRound, *, voter: User, channel: Channel,
                            key: bytes, token: bytes | None) -> None:
    """Re-vote: revoke the earlier ballot's token and give the participation the new one.

    Nothing else is touched: which ballot the revoked token belongs to is found only when the
    round is sealed, together with every other replaced ballot (no ballot row changes in the
    voter's transaction).
    """
    existing = session.execute(
        select(Participation.id, Participation.channel, Participation.revotes, Participation.sealed_pointer)
        .where(Participation.round_id == round_.id, Participation.voter_id == voter.id)
    ).one()
    if channel != Channel.ONLINE or existing.channel != Channel.ONLINE or token is None:
        raise AlreadyVoted(already_voted_message())
    if existing.revotes >= MAX_REVOTES:
        raise InvalidState(_("U heeft uw stem al een keer gewijzigd. Meer keren wijzigen kan niet."))
    if existing.sealed_pointer is None:
        raise AlreadyVoted(already_voted_message())
    try:
        old_token = ballot_seal.open_token(key, existing.sealed_pointer, round_.id, voter.id)
    except ballot_seal.KeyUnavailable:
        raise InvalidState(_("Uw stem kan niet meer gewijzigd worden.")) from None
    # Optimistic lock on ``revotes``: of two simultaneous re-votes exactly one matches the row
    # (PostgreSQL re-checks the WHERE after the other commits; SQLite serialises writers).
    result = session.execute(
        update(Participation)
        .where(Participation.id == existing.id, Participation.revotes == existing.revotes)
        .values(revotes=existing.revotes + 1,
                sealed_pointer=ballot_seal.seal_token(key, token, round_.id, voter.id),
                revoked_pointer=ballot_seal.seal_token(key, old_token, round_.id, voter.id))
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidState(_("Uw stem werd tegelijk al gewijzigd. Kijk of uw stem goed is opgeslagen."))
