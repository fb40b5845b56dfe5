"""Whether a round may open voting: every proposal reviewed, and a ballot residents can fill in.

Voting opens by date (:meth:`BudgetRound.phase_at`). A round whose voting would open with a
proposal still awaiting review would leave that proposal off the ballot for good (the project list
freezes), and a round whose limits no set of projects on the ballot satisfies (or only one) gives
residents nothing to choose. So:

- the manager's phase move that would open voting now is refused with the reason
  (:func:`pb.services.rounds.move_phase`);
- casting a ballot (online or paper) is refused with the reason while it holds;
- ``pb advance-phases`` postpones the opening of such a round (public audit entry with the
  reason) while nobody has voted, so the manager can still review and fix the round.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pb.db import utcnow
from pb.errors import InvalidState
from pb.models.ballot import Participation
from pb.models.proposal import Proposal, ProposalStatus
from pb.models.round import BallotType, BudgetRound
from pb.services import audit

AWAITING_REVIEW = (ProposalStatus.SUBMITTED, ProposalStatus.IN_REVIEW)
POSTPONE_BY = dt.timedelta(days=1)
_MAX_SUMS = 200_000  # knapsack check: beyond this many distinct sums, assume a ballot fits


class VotingNotReady(InvalidState):
    """Voting cannot open (or a ballot cannot be cast) yet; the message names the reason."""


def _ballot_on(session: Session, rnd: BudgetRound) -> list[Proposal]:
    from pb.services.ballots import ballot_proposals

    return ballot_proposals(session, rnd)


def awaiting_review(session: Session, rnd: BudgetRound) -> int:
    """How many proposals of ``rnd`` still await a decision (submitted or in review)."""
    return int(session.scalar(select(func.count()).select_from(Proposal).where(
        Proposal.round_id == rnd.id, Proposal.status.in_(AWAITING_REVIEW))) or 0)


def _knapsack_fits(costs: Sequence[int], low: int, high: int, budget: int, least: int) -> bool:
    """Whether some set of ``low``..``high`` projects costs between ``least`` and ``budget``."""
    states: set[tuple[int, int]] = {(0, 0)}
    for cost in costs:
        states |= {(k + 1, s + cost) for k, s in states if k < high and s + cost <= budget}
        if len(states) > _MAX_SUMS:
            return True
    return any(low <= k <= high and least <= s for k, s in states)


def ballot_problem(rnd: BudgetRound, proposals: Sequence[Proposal]) -> str | None:
    """Why no resident can fill in a valid ballot, or None.

    A points ballot whose only valid vote gives every project the maximum (the cumulative round
    of issue 13: exactly 10 points, at most 5 per project, 2 projects) counts as unfillable too:
    the ballot would ask residents nothing.

    Mirrors :func:`pb.services.ballots.validate_choices`: a ballot names at least one project,
    at least ``min_projects`` and at most ``max_projects``; a knapsack ballot fits the budget and
    reaches the minimum share; a points ballot spends exactly ``points_total`` with 1 to
    ``points_max_per_project`` points per chosen project.
    """
    n = len(proposals)
    if n == 0:
        return _("Er staat geen enkel project op het stembiljet.")
    bt = rnd.ballot_type
    low = max(1, rnd.min_projects or 0)
    high = n if bt != BallotType.CHOOSE_ONE else 1
    if rnd.max_projects is not None and bt in (BallotType.K_APPROVAL, BallotType.RANKED,
                                                BallotType.APPROVAL, BallotType.KNAPSACK,
                                                BallotType.CUMULATIVE):
        high = min(high, rnd.max_projects)
    if low > high:
        return ngettext("Een stem moet minstens %(num)d project noemen, maar er staan er maar %(n)d op "
                        "het stembiljet.", "Een stem moet minstens %(num)d projecten noemen, maar er "
                        "staan er maar %(n)d op het stembiljet.", low, n=min(n, high))
    if bt == BallotType.KNAPSACK:
        pct = rnd.min_budget_share_pct or 0
        least = -(-pct * rnd.budget_cents // 100)
        costs = sorted(p.ballot_cost_cents for p in proposals)
        if not _knapsack_fits(costs, low, high, rnd.budget_cents, least):
            return _("Geen enkele keuze van projecten op het stembiljet past binnen het budget en haalt "
                     "het minimale deel van het budget.")
    if bt == BallotType.CUMULATIVE and rnd.points_total is not None:
        total, per = rnd.points_total, rnd.points_max_per_project or rnd.points_total
        if not any(k <= total <= k * per for k in range(low, high + 1)):
            return _("Met %(n)d projecten en hoogstens %(p)d punten per project kan niemand precies "
                     "%(t)d punten verdelen.", n=n, p=per, t=total)
        if high == n and total == n * per:
            return _("Met %(n)d projecten en hoogstens %(p)d punten per project is er maar één geldige "
                     "stem (elk project %(p)d punten): er valt niets te kiezen.", n=n, p=per)
    return None


def voting_problem(session: Session, rnd: BudgetRound) -> str | None:
    """Why ``rnd`` may not open voting now (Dutch, for the manager), or None when it may."""
    waiting = awaiting_review(session, rnd)
    if waiting:
        return ngettext("%(num)d voorstel wacht nog op beoordeling. Beoordeel het eerst; anders komt het "
                        "nooit op het stembiljet.", "%(num)d voorstellen wachten nog op beoordeling. "
                        "Beoordeel ze eerst; anders komen ze nooit op het stembiljet.", waiting)
    return ballot_problem(rnd, _ballot_on(session, rnd))


def _readiness_key(rnd: BudgetRound) -> tuple[object, ...]:
    """Everything of the round that :func:`voting_problem` depends on besides its proposals."""
    return (rnd.voting_open_at, rnd.ballot_type, rnd.budget_cents, rnd.min_projects, rnd.max_projects,
            rnd.min_budget_share_pct, rnd.points_total, rnd.points_max_per_project)


def require_ready(session: Session, rnd: BudgetRound, now: dt.datetime | None = None) -> None:
    """Raise :class:`VotingNotReady` naming the reason when ``rnd`` may not open voting.

    Once voting has opened, the proposals are frozen (no review, no edit), so a round found ready
    stays ready while its rules and opening stay the same: the answer is kept per process and a
    cast asks the database nothing for it.
    """
    known: dict[int, tuple[object, ...]] = current_app.extensions.setdefault("pb_voting_ready", {})
    key = _readiness_key(rnd)
    if known.get(rnd.id) == key:
        return
    problem = voting_problem(session, rnd)
    if problem:
        raise VotingNotReady(_("Het stemmen kan nog niet beginnen. %(reason)s", reason=problem))
    if rnd.is_frozen_at(now or utcnow()):
        known[rnd.id] = key


def postpone_unready_openings(session: Session, now: dt.datetime) -> list[tuple[BudgetRound, str]]:
    """Postpone the opening of every round whose voting opened by date but may not open yet.

    Only rounds without any participation: a round where someone voted keeps its dates. The
    voting period keeps its length; a public audit entry says why. Returns (round, reason) pairs.
    """
    voted = select(Participation.round_id)
    due = list(session.scalars(select(BudgetRound).where(
        BudgetRound.voting_open_at <= now, BudgetRound.voting_close_at > now,
        BudgetRound.results_published_at.is_(None), BudgetRound.id.not_in(voted)).order_by(BudgetRound.id)))
    postponed = []
    for rnd in due:
        problem = voting_problem(session, rnd)
        if not problem:
            continue
        shift = now + POSTPONE_BY - rnd.voting_open_at
        before = {"voting_open_at": rnd.voting_open_at.isoformat(), "voting_close_at": rnd.voting_close_at.isoformat()}
        rnd.voting_open_at += shift
        rnd.voting_close_at += shift
        session.flush()
        audit.record(session, actor=None, action="round.phase_move", obj_type="round", obj_id=rnd.id,
                     area_id=rnd.area_id, round_id=rnd.id, public=True, before=before,
                     after={"voting_open_at": rnd.voting_open_at.isoformat(),
                            "voting_close_at": rnd.voting_close_at.isoformat()},
                     reason=_("Het stemmen is uitgesteld. %(reason)s", reason=problem))
        postponed.append((rnd, problem))
    return postponed
