"""Results: publish and correct a round's result, and read the published versions.

Publishing writes one immutable :class:`RoundResult`: the outcome, the ballots file with its
SHA-256 and hash-chain head (:mod:`pb.services.ballot_files`) and the receipt codes counted. A
correction counts again and publishes the next version with a reason; nothing is ever updated.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pb.db import by_id, utcnow
from pb.errors import InvalidState, NotFound, ValidationFailed
from pb.models.register import RegisterEntry
from pb.models.result import RoundImport, RoundResult
from pb.models.round import BudgetRound, Phase
from pb.models.user import User
from pb.services import audit, implementations, notifications
from pb.services.ballot_files import ballots_file, chain_head, sha256_hex
from pb.services.counting import Count, count_round, outcome_record

MIN_REASON_LENGTH = 10


def _outcome_record(count: Count) -> dict[str, Any]:
    record = count.outcome.to_dict()
    for entry, proposal in zip(record["projects"], count.proposals):
        entry["proposal_id"] = proposal.id
        entry["external_id"] = proposal.external_id
        entry["cost_cents"] = proposal.ballot_cost_cents
    record["budget_cents"] = count.round.budget_cents
    record["spent_cents"] = sum(p.ballot_cost_cents for p, e in zip(count.proposals, record["projects"])
                                if e["selected"])
    return record


def latest_result(session: Session, round_: BudgetRound) -> RoundResult | None:
    """The newest published version of a round's result, or None."""
    return session.scalar(select(RoundResult).where(RoundResult.round_id == round_.id)
                          .order_by(RoundResult.version.desc()).limit(1))


def result_versions(session: Session, round_: BudgetRound) -> list[RoundResult]:
    """Every published version, oldest first."""
    return list(session.scalars(select(RoundResult).where(RoundResult.round_id == round_.id)
                                .order_by(RoundResult.version)))


def _eligible(session: Session, round_: BudgetRound) -> int | None:
    """Eligible residents of the round's area in the address register (as its import declares them).

    None when the area has no register (or the round was imported): the page then says there is
    no turnout rate rather than dividing by something else. Published results keep the number,
    so purging the register afterwards changes nothing.
    """
    if session.get(RoundImport, round_.id) is not None:
        return None
    return session.scalar(select(func.sum(RegisterEntry.eligible_count))
                          .where(RegisterEntry.area_id == round_.area_id)) or None


def _store(session: Session, round_: BudgetRound, count: Count, *, version: int, actor: User | None,
           now: dt.datetime, reason: str) -> RoundResult:
    pb_text = ballots_file(count)
    result = RoundResult(
        round_id=round_.id, version=version, rule=count.outcome.rule,
        tie_break=count.outcome.tie_break.kind, tie_break_seed=round_.tie_break_seed,
        outcome_json=json.dumps(_outcome_record(count), ensure_ascii=False, sort_keys=True),
        ballots_pb=pb_text, ballots_sha256=sha256_hex(pb_text), chain_head=chain_head(pb_text),
        receipts_text="\n".join(count.receipts) + ("\n" if count.receipts else ""),
        ballots_online=count.online, ballots_paper=count.paper,
        eligible_voters=_eligible(session, round_), published_at=now,
        published_by_id=actor.id if actor is not None else None, correction_reason=reason,
    )
    try:
        with session.begin_nested():
            session.add(result)
    except IntegrityError:
        raise InvalidState(_("Deze uitslag is net al door iemand anders gepubliceerd.")) from None
    return result


def check_publishable(session: Session, round_: BudgetRound, *, now: dt.datetime | None = None) -> None:
    """Refuse unless voting has closed and nothing is published yet (checked again when publishing).

    Raises:
        InvalidState: voting not closed, or already published.
    """
    now = now or utcnow()
    phase = round_.phase_at(now)
    if phase == Phase.RESULTS or latest_result(session, round_) is not None:
        raise InvalidState(_("De uitslag is al gepubliceerd. Een wijziging kan alleen als correctie."))
    if phase != Phase.CLOSED:
        raise InvalidState(_("De stemming is nog niet gesloten. U kunt de uitslag pas daarna publiceren."))


def check_correctable(session: Session, round_: BudgetRound, *, reason: str) -> RoundResult:
    """Refuse a correction without a published result or without a reason; return the newest version.

    Raises:
        InvalidState: nothing published yet.
        ValidationFailed: the reason is missing or too short.
    """
    previous = latest_result(session, round_)
    if previous is None:
        raise InvalidState(_("Er is nog geen uitslag gepubliceerd om te corrigeren."))
    if len((reason or "").strip()) < MIN_REASON_LENGTH:
        raise ValidationFailed(_("Leg in minstens %(n)d tekens uit waarom de uitslag wordt gecorrigeerd.",
                                 n=MIN_REASON_LENGTH), field="reason")
    return previous


def publish_results(session: Session, round_: BudgetRound, *, actor: User | None,
                    now: dt.datetime | None = None,
                    before_counting: Callable[[], None] | None = None) -> RoundResult:
    """Count a closed round with its frozen rule and publish version 1 of the result.

    Args:
        session: the request's session (flushed, not committed).
        round_: the round; voting must have closed and no result be published yet.
        actor: the manager (None for the CLI).
        now: server time.
        before_counting: called once the ballots are read (a job reports its progress).

    Returns:
        The stored, immutable result.

    Raises:
        InvalidState: voting not closed, already published, or published concurrently.
    """
    now = now or utcnow()
    check_publishable(session, round_, now=now)
    count = count_round(session, round_, now=now, before_counting=before_counting)
    result = _store(session, round_, count, version=1, actor=actor, now=now, reason="")
    round_.results_published_at = now
    session.flush()
    audit.record(session, actor=actor, action="round.results_publish", obj_type="round", obj_id=round_.id,
                 area_id=round_.area_id, round_id=round_.id, public=True,
                 after={"version": 1, "rule": result.rule, "ballots_sha256": result.ballots_sha256,
                        "chain_head": result.chain_head, "ballots": count.ballots_total})
    _after_publication(session, round_, result, now)
    return result


def _after_publication(session: Session, round_: BudgetRound, result: RoundResult, now: dt.datetime) -> None:
    """Start tracking the chosen projects and tell the people involved (once per version)."""
    record = outcome_record(result)
    chosen = [p.proposal_id for p in record.projects if p.selected and p.proposal_id is not None]
    implementations.track_funded(session, round_, chosen, now)
    if result.version == 1:
        notifications.results_published(session, round_, {
            p.proposal_id: (p.selected, p.reason_nl, p.reason_en) for p in record.projects if p.proposal_id is not None
        })


def correct_results(session: Session, round_: BudgetRound, *, actor: User | None, reason: str,
                    now: dt.datetime | None = None,
                    before_counting: Callable[[], None] | None = None) -> RoundResult:
    """Count again and publish the next version of a published result, with the reason why.

    Raises:
        InvalidState: nothing published yet.
        ValidationFailed: the reason is missing or too short.
    """
    now = now or utcnow()
    reason = (reason or "").strip()
    previous = check_correctable(session, round_, reason=reason)
    count = count_round(session, round_, now=now, before_counting=before_counting)
    result = _store(session, round_, count, version=previous.version + 1, actor=actor, now=now, reason=reason)
    session.flush()
    audit.record(session, actor=actor, action="round.results_correct", obj_type="round", obj_id=round_.id,
                 area_id=round_.area_id, round_id=round_.id, public=True, reason=reason,
                 before={"version": previous.version, "ballots_sha256": previous.ballots_sha256,
                         "selected": json.loads(previous.outcome_json)["selected"]},
                 after={"version": result.version, "ballots_sha256": result.ballots_sha256,
                        "selected": list(count.outcome.selected_ids)})
    _after_publication(session, round_, result, now)
    return result


def published(session: Session, round_id: int) -> tuple[BudgetRound, RoundResult]:
    """The round and its newest published result; NotFound before publication (no leaks).

    Raises:
        NotFound: no such round, or its result is not published.
    """
    round_ = by_id(session, BudgetRound, round_id)
    result = latest_result(session, round_) if round_ is not None else None
    if round_ is None or round_.results_published_at is None or result is None:
        raise NotFound(_("De uitslag van deze ronde is nog niet gepubliceerd."))
    return round_, result


HEAD_CHARS = 16_384  # META and PROJECTS headers of a published file fit in this many characters


def published_head(session: Session, result: RoundResult) -> str:
    """The start of a published ``ballots.pb`` up to its PROJECTS section (its META), read without
    loading the file: a city's file is megabytes, its META a few hundred characters."""
    head = session.scalar(select(func.substr(RoundResult.ballots_pb, 1, HEAD_CHARS))
                          .where(RoundResult.id == result.id)) or ""
    if "\nPROJECTS\n" not in head:  # an unusually long META: read the whole file once
        head = result.ballots_pb
    return head


def published_rounds(session: Session) -> list[tuple[BudgetRound, RoundResult]]:
    """Every round with a published result and its newest version, newest publication first."""
    newest = (select(RoundResult.round_id, func.max(RoundResult.version).label("version"))
              .group_by(RoundResult.round_id).subquery())
    rows = session.execute(
        select(BudgetRound, RoundResult)
        .join(RoundResult, RoundResult.round_id == BudgetRound.id)
        .join(newest, (newest.c.round_id == RoundResult.round_id) & (newest.c.version == RoundResult.version))
        .where(BudgetRound.results_published_at.is_not(None))
        .order_by(BudgetRound.results_published_at.desc(), BudgetRound.id.desc())
    ).all()
    return [(r, res) for r, res in rows]


def rounds_to_publish(session: Session, user: User, *, now: dt.datetime | None = None) -> list[BudgetRound]:
    """Rounds in areas ``user`` manages whose voting has closed and whose result is not published."""
    from pb.services import authz

    now = now or utcnow()
    areas = authz.managed_areas(session, user)
    if not areas:
        return []
    candidates = session.scalars(
        select(BudgetRound).where(BudgetRound.area_id.in_([a.id for a in areas]),
                                  BudgetRound.voting_close_at <= now,
                                  BudgetRound.results_published_at.is_(None))
        .order_by(BudgetRound.voting_close_at.desc())
    )
    return [r for r in candidates if r.phase_at(now) == Phase.CLOSED]


def outcome_of(result: RoundResult) -> dict[str, Any]:
    """The stored outcome record of a published result."""
    data: dict[str, Any] = json.loads(result.outcome_json)
    return data


def receipt_counted(result: RoundResult, code: str) -> bool:
    """Whether a tracking code is in the published list (case and dashes as typed are forgiven)."""
    wanted = "".join(ch for ch in code.upper() if ch.isalnum())
    if not wanted:
        return False
    codes = {"".join(ch for ch in c if ch.isalnum()) for c in result.receipts_text.split()}
    return wanted in codes


def proposal_outcomes(session: Session, proposals: list[Any]) -> dict[int, Any]:
    """The published outcome (a ``ProjectRecord``) of each proposal whose round has a published result."""
    found: dict[int, Any] = {}
    for round_id in sorted({p.round_id for p in proposals}):
        round_ = session.get(BudgetRound, round_id)
        result = latest_result(session, round_) if round_ is not None and round_.results_published_at else None
        if result is None:
            continue
        for project in outcome_record(result).projects:
            if project.proposal_id is not None:
                found[project.proposal_id] = project
    return found


def published_by_area(session: Session) -> dict[int, list[BudgetRound]]:
    """Rounds with a published result, grouped by area id, newest publication first."""
    grouped: dict[int, list[BudgetRound]] = {}
    for round_, _result in published_rounds(session):
        grouped.setdefault(round_.area_id, []).append(round_)
    return grouped


def funding_year(round_: BudgetRound) -> int:
    """The year under which a published round's projects appear on the area's money page."""
    from pb.clock import LOCAL_TZ

    assert round_.results_published_at is not None
    return round_.results_published_at.astimezone(LOCAL_TZ).year
