"""Counting: the only bridge between the models and the pure engine :mod:`pb.tally`.

Money: the engine counts in euros as exact numbers (``Fraction(cents, 100)``, an ``int`` when
whole), so the budget, every project's cost and the engine's sentences ("nog € 1.250 over") agree
with the amounts residents saw. Projects are a round's feasible proposals in the round's project
order (:func:`pb.models.proposal.project_order`: submission, then id); their
id in the engine (and in ``ballots.pb``) is the imported file's project id when there is one,
else the proposal id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from pb.db import utcnow
from pb.errors import VotingNotClosed
from pb.models.ballot import Ballot as StoredBallotRow
from pb.models.ballot import BallotItem, Channel, RoundSeal
from pb.models.proposal import Proposal
from pb.models.result import RoundImport, RoundResult
from pb.models.round import BallotType, BudgetRound, CountingRule
from pb.models.round import TieBreak as RoundTieBreak
from pb.services import ballot_mixing, pabulib_meta
from pb.services.ballots import ballot_proposals
from pb.services.money import euros
from pb.tally import Ballot, Cap, Election, Outcome, Project, TieBreak, VoteType, tally
from pb.tally.numbers import Number, normalise
from pb.tally.trace import Add1Summary, OutcomeRecord, ProjectRecord, SharesRound, read_record

# The round's rule names are the engine's, except Equal Shares: for our rounds it always means
# the variant with the Add1 completion, which spends (nearly) the whole budget, as in Assen 2024.
_ENGINE_RULE = {
    CountingRule.GREEDY: "greedy",
    CountingRule.GREEDY_NO_SKIP: "greedy-no-skip",
    CountingRule.EQUAL_SHARES: "equalshares/add1",
    CountingRule.PHRAGMEN: "phragmen",
    CountingRule.MAX_WELFARE: "max-welfare",
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
    imported: RoundImport | None = None

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
        seal: destroy the re-vote pointers first (see :func:`pb.services.ballot_mixing.seal_round`).
        before_counting: called after everything is read and before the rule runs; a read-only
            caller passes ``session.rollback`` so a long count holds no database lock.
        now: server time.

    Returns:
        The count (election, outcome, proposals, receipts, totals per channel).

    Raises:
        VotingNotClosed: voting has not closed yet (no interim counts, ever).
    """
    now = now or utcnow()
    if not round_.is_voting_closed(now):
        raise VotingNotClosed(_("De stemming is nog niet gesloten; er wordt nog niet geteld."))
    if seal:
        ballot_mixing.seal_round(session, round_, now=now)
    proposals = ballot_proposals(session, round_)
    imported = session.get(RoundImport, round_.id)
    extra = json.loads(imported.extra_json) if imported is not None else {}
    projects = _projects(round_, proposals, extra.get("categories", {}))
    position = {p.id: i for i, p in enumerate(proposals)}
    vote_type = _VOTE_TYPE[BallotType(round_.ballot_type)]
    if seal or session.get(RoundSeal, round_.id) is not None:
        rows, items = _ballot_rows(session, round_.id)
    else:  # a preview of a round not yet sealed: open the waiting ballots in memory, write nothing
        rows, items = ballot_mixing.preview_ballots(session, round_)
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
    limits = _limits(round_)
    if imported is not None:
        # Every greedy variant applies the file's threshold (the engine does); the file's own
        # ballot limits are the truth for an imported round.
        if imported.score_threshold:
            threshold = normalise(Fraction(imported.score_threshold))
        file_meta = pabulib_meta.imported_meta(imported.meta_json)
        for key in ("min_length", "max_length", "max_sum_cost", "min_sum_points", "max_sum_points"):
            raw = file_meta.get(key, "").strip()
            if raw and raw.lower() != "none":
                limits[key] = normalise(Fraction(raw))
    election = Election(
        budget=euros(round_.budget_cents), projects=projects, ballots=tuple(ballots),
        vote_type=vote_type, rule=rule or name, caps=_caps(round_, extra.get("category_caps", {})),
        min_project_score_threshold=threshold, meta={"currency": round_.currency}, **limits,
    )
    tie_break = engine_tie_break(round_)
    if before_counting is not None:
        before_counting()
    outcome = tally(election, rule=rule or name, tie_break=tie_break)
    return Count(round=round_, election=election, outcome=outcome, proposals=proposals,
                 receipts=sorted(code for _b, _c, code in rows), online=online, paper=paper, imported=imported)


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


def outcome_record(result: RoundResult) -> OutcomeRecord:
    """The stored outcome of a published result as typed objects, for presenting it."""
    return read_record(json.loads(result.outcome_json))


__all__ = ["Add1Summary", "Count", "OutcomeRecord", "ProjectRecord", "SharesRound", "WhatIf", "count_round",
           "engine_rule", "engine_tie_break", "outcome_record", "pb_project_id", "what_if"]
