"""Tallying and results: the only bridge between the models and the pure engine :mod:`pb.tally`.

Money: the engine counts in euros as exact numbers (``Fraction(cents, 100)``, an ``int`` when
whole), so the budget, every project's cost and the engine's sentences ("nog € 1.250 over") agree
with the amounts residents saw. Projects are a round's feasible proposals ordered by id; their
id in the engine (and in ``ballots.pb``) is the imported file's project id when there is one,
else the proposal id.

Publishing writes one immutable :class:`RoundResult`: the outcome, the anonymised ballots as a
pabulib file (random ballot ids, shuffled order, no times or voter data), its SHA-256 and the
head of a hash chain over its VOTES rows::

    h_0 = "0" * 64;  h_i = sha256_hex(h_(i-1) + "\\n" + row_i);  head = h_n

where ``row_i`` is the i-th line after the VOTES header, exactly as in the file. A correction
counts again and publishes the next version with a reason; nothing is ever updated.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import logging
import os
import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Table, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pb.db import by_id, utcnow
from pb.errors import InvalidState, NotFound, ValidationFailed
from pb.models.area import Area
from pb.models.ballot import Ballot as StoredBallotRow
from pb.models.ballot import BallotItem, Channel, random_ballot_id
from pb.models.proposal import Proposal, ProposalStatus
from pb.models.residency import Residency
from pb.models.result import RoundImport, RoundResult
from pb.models.round import BallotType, BudgetRound, CountingRule, Phase, RoundNeighbourhood, RoundTheme
from pb.models.round import TieBreak as RoundTieBreak
from pb.models.user import User
from pb.services import audit, voting
from pb.tally import (RULES, Ballot, Cap, Election, Outcome, Project, TallyError, TieBreak, VoteType, read_pb, tally,
                      write_pb)
from pb.tally.numbers import Number, format_number, normalise

GENESIS = "0" * 64
MIN_REASON_LENGTH = 10

# The round's rule names are the engine's, except Equal Shares: for our rounds it always means
# the variant with the Add1 completion, which spends (nearly) the whole budget, as in Assen 2024.
_ENGINE_RULE = {
    CountingRule.GREEDY: "greedy",
    CountingRule.GREEDY_NO_SKIP: "greedy-no-skip",
    CountingRule.EQUAL_SHARES: "equalshares/add1",
    CountingRule.PHRAGMEN: "phragmen",
    CountingRule.MAX_WELFARE: "max-welfare",
}
_ROUND_RULE = {
    "greedy": CountingRule.GREEDY,
    "greedy-threshold": CountingRule.GREEDY,
    "greedy-no-skip": CountingRule.GREEDY_NO_SKIP,
    "equalshares": CountingRule.EQUAL_SHARES,
    "equalshares/add1": CountingRule.EQUAL_SHARES,
    "equalshares/add1+greedy": CountingRule.EQUAL_SHARES,
    "phragmen": CountingRule.PHRAGMEN,
    "max-welfare": CountingRule.MAX_WELFARE,
}
_VOTE_TYPE = {
    BallotType.APPROVAL: VoteType.APPROVAL,
    BallotType.K_APPROVAL: VoteType.APPROVAL,
    BallotType.KNAPSACK: VoteType.APPROVAL,
    BallotType.CHOOSE_ONE: VoteType.CHOOSE_1,
    BallotType.CUMULATIVE: VoteType.CUMULATIVE,
    BallotType.RANKED: VoteType.ORDINAL,
}

# Rules in the private "what if" table, in this order.
WHAT_IF_RULES = ("greedy", "equalshares/add1", "phragmen", "max-welfare")


def euros(cents: int) -> Number:
    """Integer cents as exact euros (an int when whole)."""
    return normalise(Fraction(cents, 100))


def cents(amount: Number) -> int:
    """Exact euros as integer cents; raise ValueError if not a whole number of cents."""
    value = Fraction(amount) * 100
    if value.denominator != 1:
        raise ValueError(f"{amount} is not a whole number of cents")
    return int(value)


def pb_project_id(proposal: Proposal) -> str:
    """The project's id in the engine and in ``ballots.pb``."""
    return proposal.external_id or str(proposal.id)


def engine_rule(session: Session, round_: BudgetRound) -> str:
    """The engine rule a round is counted with (an imported round keeps its file's rule)."""
    imported = session.get(RoundImport, round_.id)
    if imported is not None:
        return imported.rule
    return _ENGINE_RULE[CountingRule(round_.counting_rule)]


def engine_tie_break(round_: BudgetRound) -> TieBreak:
    """The engine tie-break for a round's configured tie-break (a text seed is hashed to an int)."""
    kind = RoundTieBreak(round_.tie_break)
    if kind == RoundTieBreak.LOTTERY:
        seed = (round_.tie_break_seed or "").strip()
        if not seed.isdigit():
            seed = str(int(hashlib.sha256(seed.encode()).hexdigest()[:15], 16))
        return TieBreak("lottery", int(seed))
    if kind == RoundTieBreak.ORDER:
        return TieBreak("file-order")
    return TieBreak(kind.value)


@dataclass
class Count:
    """A count of a closed round: the election as counted, its outcome and the ballot totals."""

    round: BudgetRound
    election: Election
    outcome: Outcome
    proposals: list[Proposal]
    receipts: list[str]
    online: int
    paper: int

    @property
    def ballots_total(self) -> int:
        """All ballots counted."""
        return self.online + self.paper


def _projects(round_: BudgetRound, proposals: Sequence[Proposal],
              categories: dict[str, str]) -> tuple[Project, ...]:
    projects = []
    for p in proposals:
        projects.append(Project(
            id=pb_project_id(p), cost=euros(p.ballot_cost_cents), name=p.title,
            category=categories.get(pb_project_id(p)) or (p.theme.name if p.theme else ""),
            neighbourhood=p.neighbourhood.name if p.neighbourhood else "",
        ))
    return tuple(projects)


def _caps(round_: BudgetRound, category_caps: dict[str, str]) -> tuple[Cap, ...]:
    caps = [Cap("neighbourhood", n.name, euros(n.budget_cents))
            for n in round_.neighbourhoods if n.budget_cents is not None]
    caps += [Cap("category", group, normalise(Fraction(limit))) for group, limit in category_caps.items()]
    return tuple(caps)


def _limits(round_: BudgetRound) -> dict[str, Any]:
    bt = round_.ballot_type
    limits: dict[str, Any] = {"min_length": round_.min_projects}
    if bt in (BallotType.K_APPROVAL, BallotType.RANKED):
        limits["max_length"] = round_.max_projects
    if bt == BallotType.CHOOSE_ONE:
        limits["max_length"] = 1
    if bt == BallotType.KNAPSACK:
        limits["max_sum_cost"] = euros(round_.budget_cents)
    if bt == BallotType.CUMULATIVE and round_.points_total is not None:
        limits["max_sum_points"] = round_.points_total
    return limits


def _ballot_rows(session: Session, round_id: int) -> tuple[list[tuple[int, Channel, str]],
                                                          dict[int, list[tuple[int, int | None, int | None]]]]:
    # Plain row queries (no ORM objects): a city round has ~10^5 ballots and ~10^6 items.
    connection = session.connection()  # Core, not ORM, execution: no per-row ORM bookkeeping
    ballots = [(b_id, Channel(ch), code) for b_id, ch, code in connection.execute(
        select(StoredBallotRow.id, StoredBallotRow.channel, StoredBallotRow.receipt_code)
        .where(StoredBallotRow.round_id == round_id))]
    items: dict[int, list[tuple[int, int | None, int | None]]] = {}
    for b_id, p_id, points, rank in connection.execute(
        select(BallotItem.ballot_id, BallotItem.proposal_id, BallotItem.points, BallotItem.rank)
        .join(StoredBallotRow, StoredBallotRow.id == BallotItem.ballot_id)
        .where(StoredBallotRow.round_id == round_id)
    ):
        items.setdefault(b_id, []).append((p_id, points, rank))
    return ballots, items


def count_round(session: Session, round_: BudgetRound, *, rule: str | None = None, seal: bool = True,
                now: dt.datetime | None = None, before_counting: Callable[[], None] | None = None) -> Count:
    """Count a closed round with its frozen rule and tie-break (or ``rule`` for "what if").

    The ballots are given random ids and put in a random order: that order is the order of the
    published file, so it says nothing about who voted when. With ``seal`` (publishing) the
    round's re-vote pointers are destroyed first (flushes; the caller commits); a private preview
    on a GET passes ``seal=False`` and writes nothing.

    Args:
        session: the request's session.
        round_: the round to count.
        rule: an engine rule name to count with instead of the round's (private comparisons).
        seal: destroy the re-vote pointers first (see :func:`pb.services.voting.seal_round`).
        before_counting: called after everything is read and before the rule runs; a read-only
            caller passes ``session.rollback`` so a long count holds no database lock.
        now: server time.

    Returns:
        The count (election, outcome, proposals, receipts, totals per channel).

    Raises:
        InvalidState: voting has not closed yet (no interim counts, ever).
    """
    now = now or utcnow()
    if round_.phase_at(now) not in (Phase.CLOSED, Phase.RESULTS):
        raise InvalidState(_("De stemming is nog niet gesloten; er wordt nog niet geteld."))
    if seal:
        voting.seal_round(session, round_, now=now)
    proposals = voting.ballot_proposals(session, round_)
    imported = session.get(RoundImport, round_.id)
    extra = json.loads(imported.extra_json) if imported is not None else {}
    projects = _projects(round_, proposals, extra.get("categories", {}))
    position = {p.id: i for i, p in enumerate(proposals)}
    vote_type = _VOTE_TYPE[BallotType(round_.ballot_type)]
    rows, items = _ballot_rows(session, round_.id)
    order = list(range(len(rows)))
    secrets.SystemRandom().shuffle(order)
    ballots = []
    voter_ids: set[str] = set()
    online = paper = 0
    for k in order:
        b_id, channel, _code = rows[k]
        if channel == Channel.PAPER:
            paper += 1
        else:
            online += 1
        chosen = [it for it in items.get(b_id, ()) if it[0] in position]
        if vote_type is VoteType.ORDINAL:
            chosen.sort(key=lambda it: (it[2] if it[2] is not None else 10**9, it[0]))
        points = tuple(it[1] or 0 for it in chosen) if vote_type is VoteType.CUMULATIVE else None
        voter_id = secrets.token_hex(6)
        while voter_id in voter_ids:
            voter_id = secrets.token_hex(6)
        voter_ids.add(voter_id)
        ballots.append(Ballot(voter_id=voter_id, projects=tuple(position[it[0]] for it in chosen),
                              points=points))
    name = engine_rule(session, round_)
    threshold = None
    if imported is not None and imported.score_threshold:
        threshold = normalise(Fraction(imported.score_threshold))
    election = Election(
        budget=euros(round_.budget_cents), projects=projects, ballots=tuple(ballots),
        vote_type=vote_type, rule=rule or name, caps=_caps(round_, extra.get("category_caps", {})),
        min_project_score_threshold=threshold, meta={"currency": "EUR"}, **_limits(round_),
    )
    tie_break = engine_tie_break(round_)
    if before_counting is not None:
        before_counting()
    outcome = tally(election, rule=rule or name, tie_break=tie_break)
    return Count(round=round_, election=election, outcome=outcome, proposals=proposals,
                 receipts=sorted(code for _b, _c, code in rows), online=online, paper=paper)


@dataclass(frozen=True)
class WhatIf:
    """What other rules would have funded (private, before publication)."""

    rules: tuple[str, ...]
    spent: tuple[Number, ...]
    rows: tuple[tuple[Proposal, tuple[bool, ...]], ...]


def what_if(count: Count) -> WhatIf:
    """Count the same ballots with every rule in :data:`WHAT_IF_RULES` (the round's rule first)."""
    rules = (count.outcome.rule,) + tuple(r for r in WHAT_IF_RULES if r != count.outcome.rule)
    outcomes = [count.outcome] + [tally(count.election, rule=r, tie_break=count.outcome.tie_break)
                                  for r in rules[1:]]
    selected = [set(o.selected) for o in outcomes]
    rows = tuple((p, tuple(i in s for s in selected)) for i, p in enumerate(count.proposals))
    return WhatIf(rules=rules, spent=tuple(o.spent for o in outcomes), rows=rows)


# --- The published file -------------------------------------------------------------------------

def _date(value: dt.datetime) -> str:
    return value.strftime("%d.%m.%Y")


def ballots_file(count: Count) -> str:
    """The anonymised ballots of a count as pabulib text, with ``selected`` and the scores."""
    election = count.election
    outcome = count.outcome
    round_ = count.round
    scores = election.profile.scores
    unit = "votes" if election.vote_type in (VoteType.APPROVAL, VoteType.CHOOSE_1) else "score"
    projects = tuple(
        Project(id=p.id, cost=p.cost, name=p.name, category=p.category, neighbourhood=p.neighbourhood,
                extra=((unit, format_number(scores[i])),))
        for i, p in enumerate(election.projects)
    )
    columns = ["project_id", "cost", unit, "name"]
    if any(p.category for p in projects):
        columns.append("category")
    if any(p.neighbourhood for p in projects):
        columns.append("neighborhood")
    meta = {
        "description": f"Buurtbudget: {round_.title}",
        "country": "Netherlands",
        "unit": round_.area.name,
        "instance": str(round_.id),
        "num_projects": str(len(projects)),
        "num_votes": str(len(election.ballots)),
        "currency": "EUR",
        "date_begin": _date(round_.voting_open_at),
        "date_end": _date(round_.voting_close_at),
        "tie_break": outcome.tie_break.kind + (f":{outcome.tie_break.seed}" if outcome.tie_break.seed is not None else ""),
    }
    for key in ("min_length", "max_length", "max_sum_cost", "max_sum_points",
                "min_project_score_threshold"):
        value = getattr(election, key)
        if value is not None:
            meta[key] = format_number(value)
    for kind, names_key, limits_key in (("neighbourhood", "neighborhoods", "budget_per_neighborhood"),
                                        ("category", "categories", "budget_per_category")):
        caps = [c for c in election.caps if c.kind == kind]
        if caps:
            meta[names_key] = ",".join(c.group for c in caps)
            meta[limits_key] = ",".join(format_number(c.limit) for c in caps)
    published = Election(
        budget=election.budget, projects=projects, ballots=election.ballots,
        vote_type=election.vote_type, rule=outcome.rule, meta=meta,
        project_columns=tuple(columns), vote_columns=(),
    )
    return write_pb(published, selected=outcome.selected_ids)


def sha256_hex(text: str) -> str:
    """SHA-256 of the UTF-8 bytes of ``text``."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def vote_rows(pb_text: str) -> list[str]:
    """The data lines of the VOTES section of a pabulib text (after its header)."""
    lines = pb_text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.strip().upper() == "VOTES")
    return [line for line in lines[start + 2:] if line]


def chain_head(pb_text: str) -> str:
    """The head of the hash chain over the VOTES rows (see the module docstring)."""
    head = GENESIS
    for row in vote_rows(pb_text):
        head = hashlib.sha256(f"{head}\n{row}".encode()).hexdigest()
    return head


def verify_ballots_file(pb_text: str, result: RoundResult) -> bool:
    """True when ``pb_text`` has the published SHA-256 and chain head of ``result``."""
    return sha256_hex(pb_text) == result.ballots_sha256 and chain_head(pb_text) == result.chain_head


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


# --- Publishing ---------------------------------------------------------------------------------

def latest_result(session: Session, round_: BudgetRound) -> RoundResult | None:
    """The newest published version of a round's result, or None."""
    return session.scalar(select(RoundResult).where(RoundResult.round_id == round_.id)
                          .order_by(RoundResult.version.desc()).limit(1))


def result_versions(session: Session, round_: BudgetRound) -> list[RoundResult]:
    """Every published version, oldest first."""
    return list(session.scalars(select(RoundResult).where(RoundResult.round_id == round_.id)
                                .order_by(RoundResult.version)))


def _eligible(session: Session, round_: BudgetRound) -> int | None:
    if session.get(RoundImport, round_.id) is not None:
        return None
    n = session.scalar(select(func.count()).select_from(Residency).where(Residency.area_id == round_.area_id))
    return n or None


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
    return result


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
    areas = list(session.scalars(authz.managed_areas_query(user)))
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


# --- Exports ------------------------------------------------------------------------------------

def _money(value_cents: int) -> int | float:
    return value_cents // 100 if value_cents % 100 == 0 else value_cents / 100


def results_json(round_: BudgetRound, result: RoundResult) -> dict[str, Any]:
    """The public JSON export of a published result."""
    data = outcome_of(result)
    projects = [{
        "id": p["proposal_id"], "external_id": p["external_id"], "pb_id": p["id"], "name": p["name"],
        "cost": _money(p["cost_cents"]), "score": p["score"], "selected": p["selected"],
        "reason": p["reason_nl"], "reason_en": p["reason_en"],
    } for p in data["projects"]]
    return {
        "round": {"id": round_.id, "title": round_.title, "area": round_.area.name},
        "version": result.version, "published_at": result.published_at.isoformat(),
        "correction_reason": result.correction_reason or None,
        "rule": result.rule, "tie_break": data["tie_break"],
        "budget": _money(data["budget_cents"]), "spent": _money(data["spent_cents"]), "currency": "EUR",
        "ballots": result.ballots_total, "ballots_online": result.ballots_online,
        "ballots_paper": result.ballots_paper,
        "ballots_sha256": result.ballots_sha256, "chain_head": result.chain_head,
        "selected": data["selected"], "projects": projects,
    }


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (THREAT #14)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def results_csv(round_: BudgetRound, result: RoundResult) -> str:
    """The public CSV export: one row per project (semicolon-separated for Dutch spreadsheets)."""
    data = results_json(round_, result)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["id", "external_id", "name", "cost_eur", "score", "selected", "reason"])
    for p in data["projects"]:
        writer.writerow([csv_safe(v) for v in (p["id"], p["external_id"], p["name"], p["cost"], p["score"],
                                               "1" if p["selected"] else "0", p["reason"])])
    return out.getvalue()


# --- Importing past rounds from pabulib ---------------------------------------------------------

@dataclass(frozen=True)
class ImportSummary:
    """What an import created."""

    round: BudgetRound
    projects: int
    ballots: int
    rule: str


def receipt_codes(n: int) -> Iterator[str]:
    """Random tracking codes in the voting service's format (``K7QM-2XHD-9PWA``), made in bulk.

    One byte of ``secrets.token_bytes`` per character, reduced mod 32: the alphabet has exactly
    32 letters, so every character is uniform; there is one extra batch for collision retries.
    """
    alphabet = voting.RECEIPT_ALPHABET
    size = voting.RECEIPT_LENGTH
    assert len(alphabet) == 32
    while True:
        raw = secrets.token_bytes((n + 16) * size)
        for start in range(0, len(raw), size):
            chars = "".join(alphabet[b & 31] for b in raw[start:start + size])
            yield "-".join(chars[i:i + 4] for i in range(0, size, 4))


def _bulk_insert(session: Session, table: Table, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    """Insert many rows fast, in the session's transaction: COPY on PostgreSQL, else executemany.

    A city has ~10^5 ballots and ~10^6 items; the ORM's per-row bookkeeping, or executemany over
    the network, would take tens of seconds.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        column_list = ", ".join(f'"{c}"' for c in columns)
        with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({column_list}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(tuple(row[c] for c in columns))
        return
    if connection.dialect.name == "sqlite":
        raw = connection.connection.driver_connection
        marks = ", ".join("?" for _ in columns)
        raw.cursor().executemany(f'INSERT INTO "{table.name}" ({", ".join(columns)}) VALUES ({marks})',
                                 [tuple(row[c] for c in columns) for row in rows])
        return
    for start in range(0, len(rows), 50000):
        session.execute(insert(table), rows[start:start + 50000])


def _round_type(election: Election) -> tuple[BallotType, dict[str, Any]]:
    vt = election.vote_type
    if vt is VoteType.CHOOSE_1:
        return BallotType.CHOOSE_ONE, {}
    if vt is VoteType.CUMULATIVE:
        pts = election.max_sum_points
        return BallotType.CUMULATIVE, {"points_total": int(pts) if pts is not None else None}
    if vt is VoteType.ORDINAL:
        return BallotType.RANKED, {"max_projects": election.max_length}
    if election.max_sum_cost is not None:
        return BallotType.KNAPSACK, {}
    if election.max_length is not None:
        return BallotType.K_APPROVAL, {"max_projects": election.max_length}
    return BallotType.APPROVAL, {}


def import_pabulib(session: Session, source: str | Path, *, area: Area, actor: User | None = None,
                   now: dt.datetime | None = None) -> ImportSummary:
    """Import a pabulib election as a closed round of ``area``: projects, costs, themes, ballots.

    Projects keep the file's project ids as ``external_id``; categories become themes (the first
    category when a project has several), neighbourhoods with a cap become sub-budgets; the
    ballots are stored as cast (no voters, random receipts). The round is counted with the file's
    rule when the engine supports it, else greedy.

    Raises:
        ValidationFailed: the file cannot be read, or an amount is not a whole number of cents.
    """
    now = now or utcnow()
    path = Path(source)
    try:
        raw = path.read_bytes()
        election = read_pb(raw, name=path.name)
    except OSError as exc:
        raise ValidationFailed(f"{path}: {exc.strerror or exc}") from exc
    except TallyError as exc:
        raise ValidationFailed(str(exc)) from exc
    file_rule = election.rule or ""
    rule = file_rule if file_rule in RULES else "greedy"
    ballot_type, config = _round_type(election)
    try:
        budget_cents = cents(election.budget)
        costs = [cents(p.cost) for p in election.projects]
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from exc
    meta = election.meta
    title = (meta.get("description") or path.stem).strip()[:200]
    day = dt.timedelta(days=1)
    round_ = BudgetRound(
        area_id=area.id, title=title,
        description=f"Geïmporteerd uit {path.name} (pabulib).",
        budget_cents=budget_cents, proposals_open_at=now - 6 * day, proposals_close_at=now - 5 * day,
        support_close_at=now - 4 * day, review_close_at=now - 3 * day, voting_open_at=now - 2 * day,
        voting_close_at=now - day, ballot_type=ballot_type, min_projects=election.min_length,
        counting_rule=_ROUND_RULE[rule], tie_break=RoundTieBreak.ORDER, **config,
    )
    session.add(round_)
    session.flush()
    themes: dict[str, RoundTheme] = {}
    hoods: dict[str, RoundNeighbourhood] = {}
    caps = {c.group: c.limit for c in election.caps if c.kind == "neighbourhood"}
    for p in election.projects:
        if p.categories and p.categories[0] not in themes:
            themes[p.categories[0]] = RoundTheme(round_id=round_.id, name=p.categories[0][:80])
        if p.neighbourhood and p.neighbourhood not in hoods:
            limit = caps.get(p.neighbourhood)
            hoods[p.neighbourhood] = RoundNeighbourhood(
                round_id=round_.id, name=p.neighbourhood[:80],
                budget_cents=cents(limit) if limit is not None else None)
    session.add_all([*themes.values(), *hoods.values()])
    session.flush()
    proposals = []
    for p, cost in zip(election.projects, costs):
        proposal = Proposal(
            round_id=round_.id, external_id=p.id[:64], title=(p.name or p.id)[:200],
            description=p.field("description"), status=ProposalStatus.FEASIBLE,
            estimated_cost_cents=cost, cost_cents=cost, submitted_at=now - 5 * day,
            theme_id=themes[p.categories[0]].id if p.categories else None,
            neighbourhood_id=hoods[p.neighbourhood].id if p.neighbourhood else None,
        )
        proposals.append(proposal)
    session.add_all(proposals)
    session.flush()
    proposal_ids = [p.id for p in proposals]
    method_col = election.vote_columns.index("voting_method") if "voting_method" in election.vote_columns else None
    ballot_rows: list[dict[str, Any]] = []
    item_rows: list[dict[str, Any]] = []
    used: set[int] = set()
    codes: set[str] = set()
    fresh_codes = receipt_codes(len(election.ballots))
    for b in election.ballots:
        b_id = random_ballot_id()
        while b_id in used:
            b_id = random_ballot_id()
        used.add(b_id)
        code = next(fresh_codes)
        while code in codes:
            code = next(fresh_codes)
        codes.add(code)
        method = b.extra[method_col].lower() if method_col is not None else ""
        ballot_rows.append({"id": b_id, "round_id": round_.id, "receipt_code": code,
                            "channel": "paper" if "paper" in method else "online"})
        seen: dict[int, dict[str, Any]] = {}
        for position, index in enumerate(b.projects):
            row = seen.get(index)
            if election.vote_type is VoteType.CUMULATIVE:
                points = int(b.points[position]) if b.points else 0
                if row is not None:
                    row["points"] += points
                    continue
                row = {"ballot_id": b_id, "proposal_id": proposal_ids[index], "points": points, "rank": None}
            elif row is not None:
                continue
            elif election.vote_type is VoteType.ORDINAL:
                row = {"ballot_id": b_id, "proposal_id": proposal_ids[index], "points": None,
                       "rank": len(seen) + 1}
            else:
                row = {"ballot_id": b_id, "proposal_id": proposal_ids[index], "points": None, "rank": None}
            seen[index] = row
        item_rows.extend(seen.values())
    _bulk_insert(session, StoredBallotRow.__table__, ("id", "round_id", "receipt_code", "channel"), ballot_rows)
    _bulk_insert(session, BallotItem.__table__, ("ballot_id", "proposal_id", "points", "rank"), item_rows)
    threshold = election.min_project_score_threshold if rule == "greedy-threshold" else None
    session.add(RoundImport(round_id=round_.id, source_name=path.name[:200],
                            source_sha256=hashlib.sha256(raw).hexdigest(), file_rule=file_rule[:40],
                            rule=rule, score_threshold=format_number(threshold) if threshold is not None else None,
                            extra_json=json.dumps({
                                "categories": {p.id: p.category for p in election.projects if "," in p.category},
                                "category_caps": {c.group: format_number(c.limit) for c in election.caps
                                                  if c.kind == "category"},
                            }, ensure_ascii=False, sort_keys=True),
                            imported_at=now))
    session.flush()
    audit.record(session, actor=actor, action="round.import_pabulib", obj_type="round", obj_id=round_.id,
                 area_id=area.id, round_id=round_.id, public=True,
                 after={"file": path.name, "projects": len(proposals), "ballots": len(ballot_rows),
                        "rule": rule})
    return ImportSummary(round=round_, projects=len(proposals), ballots=len(ballot_rows), rule=rule)


DEMO_FILE = "Netherlands_Assen_2024.pb"
DEMO_AREA = "ulft"


def pabulib_dir() -> Path:
    """The shared pabulib folder: ``PB_PABULIB_DIR``, else ``../shared/pabulib`` next to the repo."""
    env = os.environ.get("PB_PABULIB_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / ".." / "shared" / "pabulib"


def load_demo_results(session: Session) -> str:
    """Demo: import and publish one real Dutch round (Assen 2024) once; log and return a note."""
    path = pabulib_dir() / DEMO_FILE
    done = session.scalar(select(RoundImport).where(RoundImport.source_name == DEMO_FILE))
    area = session.scalar(select(Area).where(Area.slug == DEMO_AREA))
    if not path.exists():
        note = f"Demo-uitslag overgeslagen: {path} bestaat niet."
    elif done is not None:
        note = f"Demo-uitslag staat al klaar (ronde {done.round_id})."
    elif area is None:
        note = f"Demo-uitslag overgeslagen: gebied {DEMO_AREA} ontbreekt."
    else:
        summary = import_pabulib(session, path, area=area)
        # A real round from another town, shown in a demo area: say so in its title.
        summary.round.title = f"Voorbeeld: {summary.round.title} 2024 (echte uitslag uit Assen)"
        publish_results(session, summary.round, actor=None)
        note = f"Demo-uitslag: {DEMO_FILE} als ronde {summary.round.id} gepubliceerd."
    logging.getLogger(__name__).warning(note)
    return note


# --- Presenting a published result --------------------------------------------------------------

def money_cents(value: int | str) -> int:
    """An engine amount from the stored outcome (euros: int or "p/q") as cents, rounded half up."""
    amount = Fraction(value) * 100
    return int((amount + Fraction(1, 2)).__floor__())


def exact(value: int | str) -> Fraction:
    """A stored outcome number (int or "p/q") as an exact fraction."""
    return Fraction(value)


@dataclass(frozen=True)
class StoryStep:
    """One round of Equal Shares told for residents."""

    number: int
    name: str
    supporters: int
    paid_cents: int
    max_payment_cents: int
    runners_up: tuple[tuple[str, int], ...]  # (name, effective support in whole percent)


def equal_shares_story(record: dict[str, Any]) -> list[StoryStep]:
    """The rounds of an Equal Shares count as steps with project names and money in cents."""
    names = {p["id"]: p["name"] for p in record["projects"]}
    steps = []
    for step in record.get("trace", {}).get("rounds", []):
        if "rho" not in step:
            continue
        runners = tuple((names.get(r["project"], r["project"]),
                         int(exact(r["effective_support"]) * 100)) for r in step.get("runners_up", []))
        steps.append(StoryStep(number=int(step["round"]), name=names.get(step["project"], step["project"]),
                               supporters=int(step["supporters"]), paid_cents=money_cents(step["paid"]),
                               max_payment_cents=money_cents(step["max_payment"]), runners_up=runners))
    return steps


def add1_summary(record: dict[str, Any]) -> dict[str, int] | None:
    """For Equal Shares with Add1: each voter's starting and final share in cents, and the steps."""
    add1 = record.get("trace", {}).get("add1")
    if not add1:
        return None
    return {"start_cents": money_cents(add1["share_start"]), "final_cents": money_cents(add1["share_final"]),
            "iterations": int(add1["iterations"])}
