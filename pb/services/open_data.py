"""Open data: the read-only queries behind ``/api/v1``, ``/open-data`` and the widgets: areas,
rounds, proposals, published results, the small-grants register and implementation tracking.

Everything here answers for an anonymous visitor: public proposal statuses only, and no number
that depends on votes before a round's result is published (THREAT #9): results come only from
published :class:`RoundResult` rows of rounds whose ``results_published_at`` is set.

Lists are paged by keyset on the primary key (``after`` = the last id seen), so rows inserted
while a client walks the pages neither repeat nor shift an item onto a page already read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from pb.db import MAX_ID, by_id, require_row
from pb.errors import NotFound
from pb.models.area import Area
from pb.models.grant import GrantApplication
from pb.models.implementation import Implementation
from pb.models.proposal import Proposal, ProposalStatus
from pb.models.result import RoundResult
from pb.models.round import BudgetRound
from pb.services import backings
from pb.services import proposals as proposal_service
from pb.services.proposals import PUBLIC_STATUSES

T = TypeVar("T")
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list; ``next_after`` is the cursor of the next page, None on the last."""

    items: list[T]
    next_after: int | None


def _page(session: Session, query: Select[*tuple[Any, ...]], key: Any, *, after: int, limit: int) -> Page[Any]:
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    rows = list(session.execute(query.where(key > max(0, min(after, MAX_ID))).order_by(key).limit(limit + 1)).all())
    items = [row[0] if len(row) == 1 else tuple(row) for row in rows[:limit]]
    next_after = rows[limit - 1][0].id if len(rows) > limit else None
    return Page(items, next_after)


# --- areas ----------------------------------------------------------------------------------------

def areas_page(session: Session, *, after: int = 0, limit: int = 50) -> Page[Area]:
    """Areas by id."""
    return _page(session, select(Area), Area.id, after=after, limit=limit)


def area_by_slug(session: Session, slug: str) -> Area:
    """The area with ``slug``.

    Raises:
        NotFound: no such area.
    """
    area = session.scalar(select(Area).where(Area.slug == slug[:64]))
    if area is None:
        raise NotFound(_("Dit gebied bestaat niet."))
    return area


# --- rounds ---------------------------------------------------------------------------------------

def rounds_page(session: Session, *, area_slug: str | None = None, after: int = 0,
                limit: int = 50) -> Page[BudgetRound]:
    """Rounds by id, optionally of the area with ``area_slug`` (an unknown slug: no rounds)."""
    query = select(BudgetRound)
    if area_slug is not None:
        query = query.where(BudgetRound.area_id.in_(select(Area.id).where(Area.slug == area_slug[:64])))
    return _page(session, query, BudgetRound.id, after=after, limit=limit)


def current_round(session: Session, area: Area) -> BudgetRound | None:
    """The area's round that is under way: the earliest one whose result is not yet published."""
    return session.scalar(
        select(BudgetRound).where(BudgetRound.area_id == area.id, BudgetRound.results_published_at.is_(None))
        .order_by(BudgetRound.proposals_open_at, BudgetRound.id).limit(1)
    )


# --- proposals ------------------------------------------------------------------------------------

def proposals_page(session: Session, *, round_id: int | None = None, status: ProposalStatus | None = None,
                   after: int = 0, limit: int = 50) -> Page[Proposal]:
    """Public proposals (no drafts, no hidden ones) by id, optionally of one round and status."""
    query = select(Proposal).where(Proposal.status.in_(PUBLIC_STATUSES))
    if round_id is not None:
        query = query.where(Proposal.round_id == round_id)
    if status is not None:
        query = query.where(Proposal.status == status)
    return _page(session, query, Proposal.id, after=after, limit=limit)


def public_proposal(session: Session, proposal_id: int) -> Proposal:
    """A proposal anyone may see.

    Raises:
        NotFound: no such proposal, or a draft or hidden one (not revealed to exist).
    """
    proposal = by_id(session, Proposal, proposal_id)
    if proposal is None or proposal.status not in PUBLIC_STATUSES:
        raise NotFound(_("Dit plan bestaat niet."))
    return proposal


# --- published results ----------------------------------------------------------------------------

def _newest_versions() -> Any:
    return (select(RoundResult.round_id, func.max(RoundResult.version).label("version"))
            .group_by(RoundResult.round_id).subquery())


def published_page(session: Session, *, after: int = 0, limit: int = 100) -> Page[tuple[BudgetRound, RoundResult]]:
    """Every round with a published result and its newest version, by round id."""
    newest = _newest_versions()
    query = (select(BudgetRound, RoundResult)
             .join(RoundResult, RoundResult.round_id == BudgetRound.id)
             .join(newest, (newest.c.round_id == RoundResult.round_id) & (newest.c.version == RoundResult.version))
             .where(BudgetRound.results_published_at.is_not(None)))
    return _page(session, query, BudgetRound.id, after=after, limit=limit)


def all_published(session: Session) -> list[tuple[BudgetRound, RoundResult]]:
    """Every published round with its newest version, by area name then round id (for the page)."""
    rows: list[tuple[BudgetRound, RoundResult]] = []
    after = 0
    while True:
        page = published_page(session, after=after, limit=MAX_PAGE_SIZE)
        rows.extend(page.items)
        if page.next_after is None:
            break
        after = page.next_after
    return sorted(rows, key=lambda pair: (pair[0].area.name.lower(), pair[0].id))


def published_versions(session: Session, round_id: int) -> tuple[BudgetRound, list[RoundResult]]:
    """A published round and every version of its result, oldest first.

    Raises:
        NotFound: no such round, or nothing published yet (the same answer: nothing leaks).
    """
    rnd = by_id(session, BudgetRound, round_id)
    if rnd is None or rnd.results_published_at is None:
        raise NotFound(_("De uitslag van deze ronde is nog niet gepubliceerd."))
    versions = list(session.scalars(select(RoundResult).where(RoundResult.round_id == rnd.id)
                                    .order_by(RoundResult.version)))
    if not versions:
        raise NotFound(_("De uitslag van deze ronde is nog niet gepubliceerd."))
    return rnd, versions


def published_version(session: Session, round_id: int, version: int) -> tuple[BudgetRound, RoundResult]:
    """One published version of a round's result.

    Raises:
        NotFound: not published, or no such version.
    """
    rnd, versions = published_versions(session, round_id)
    for result in versions:
        if result.version == version:
            return rnd, result
    raise NotFound(_("Deze versie van de uitslag bestaat niet."))


def newest_published(session: Session, round_id: int) -> tuple[BudgetRound, RoundResult]:
    """A published round and the newest version of its result.

    Raises:
        NotFound: not published.
    """
    rnd, versions = published_versions(session, round_id)
    return rnd, versions[-1]


@dataclass(frozen=True)
class ArchiveEntry:
    """One published ballots file in the researchers' archive (its text is loaded on demand)."""

    result_id: int
    round_id: int
    area_slug: str
    version: int
    ballots_sha256: str
    chain_head: str


def archive_entries(session: Session) -> list[ArchiveEntry]:
    """Every published version of every published round, without the file texts."""
    rows = session.execute(
        select(RoundResult.id, RoundResult.round_id, Area.slug, RoundResult.version, RoundResult.ballots_sha256,
               RoundResult.chain_head)
        .join(BudgetRound, BudgetRound.id == RoundResult.round_id).join(Area, Area.id == BudgetRound.area_id)
        .where(BudgetRound.results_published_at.is_not(None))
        .order_by(RoundResult.round_id, RoundResult.version)
    ).all()
    return [ArchiveEntry(*row) for row in rows]


def ballots_text(session: Session, result_id: int) -> str:
    """The published ballots file of one result version (one file in memory at a time)."""
    return session.scalar(select(RoundResult.ballots_pb).where(RoundResult.id == result_id)) or ""


def support_counts(session: Session, proposals: Sequence[Proposal]) -> dict[int, int]:
    """Supports (draagvlak, public on every proposal page) per proposal id."""
    return proposal_service.support_counts(session, [p.id for p in proposals])


# --- small grants ---------------------------------------------------------------------------------

def _in_area(column: Any, area_slug: str | None) -> Any:
    return column.in_(select(Area.id).where(Area.slug == (area_slug or "")[:64]))


def grants_page(session: Session, *, area_slug: str | None = None, after: int = 0,
                limit: int = 50) -> Page[GrantApplication]:
    """The small-grants register of every area (or one, by slug), by id: every application is public,
    with what its applicant chose to make public (see :mod:`pb.services.grant_register`)."""
    query = select(GrantApplication)
    if area_slug is not None:
        query = query.where(_in_area(GrantApplication.area_id, area_slug))
    return _page(session, query, GrantApplication.id, after=after, limit=limit)


def public_grant(session: Session, application_id: int) -> GrantApplication:
    """One application of the register.

    Raises:
        NotFound: no such application.
    """
    return require_row(session, GrantApplication, application_id, _("Deze aanvraag bestaat niet."))


def backing_counts(session: Session, applications: Sequence[GrantApplication]) -> dict[int, int]:
    """Backing (online and on paper, public in the register) per application id."""
    return backings.totals(session, [a.id for a in applications])


def grant_trackings(session: Session, applications: Sequence[GrantApplication]) -> dict[int, int]:
    """The id of the tracking per application id, for the granted ones."""
    ids = [a.id for a in applications]
    if not ids:
        return {}
    return {aid: iid for aid, iid in session.execute(
        select(Implementation.grant_application_id, Implementation.id)
        .where(Implementation.grant_application_id.in_(ids))).all() if aid is not None}


# --- implementation tracking ----------------------------------------------------------------------

def implementations_page(session: Session, *, area_slug: str | None = None, year: int | None = None,
                         small_grants: bool | None = None, after: int = 0,
                         limit: int = 50) -> Page[Implementation]:
    """What became of funded projects and small grants, by id; filters: area, year, kind.

    Tracking starts only after a result is published or a grant is given, so nothing here
    depends on votes before publication.
    """
    query = select(Implementation).options(selectinload(Implementation.milestones))
    if area_slug is not None:
        query = query.where(_in_area(Implementation.area_id, area_slug))
    if year is not None:
        query = query.where(Implementation.year == year)
    if small_grants is not None:
        query = query.where(Implementation.grant_application_id.is_not(None) if small_grants
                            else Implementation.proposal_id.is_not(None))
    return _page(session, query, Implementation.id, after=after, limit=limit)


def implementation_by_id(session: Session, implementation_id: int) -> Implementation:
    """The tracking with ``implementation_id``.

    Raises:
        NotFound: no such tracking.
    """
    return require_row(session, Implementation, implementation_id, _("Dit project bestaat niet."))
