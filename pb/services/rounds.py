"""Budget rounds: configuration by the area manager, phase moves, the freeze, public history.

Phases follow the dates and the server clock (:meth:`BudgetRound.phase_at`). Once voting opens
the budget, ballot type, limits, counting rule, tie-break and project list are frozen: every
attempt to change them afterwards raises :class:`RoundFrozen` (409) after writing an audit entry of
the refused attempt; the view commits that entry and shows the 409 page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from pb.db import require_row, utcnow
from pb.errors import InvalidState, RefusalRecorded, ValidationFailed
from pb.models.area import Area
from pb.models.audit import AuditEntry
from pb.models.round import BallotType, BudgetRound, CountingRule, Phase, RoundNeighbourhood, RoundTheme, TieBreak
from pb.models.user import Role, User
from pb.services import audit, authz, notifications

# The phase boundaries in their required order; a phase move changes exactly one of them.
BOUNDARIES: tuple[str, ...] = (
    "proposals_open_at",
    "proposals_close_at",
    "support_close_at",
    "review_close_at",
    "voting_open_at",
    "voting_close_at",
)
# Fields that freeze when voting opens (besides the project list, guarded in pb.services.proposals).
FROZEN_FIELDS: tuple[str, ...] = (
    "budget_cents",
    "ballot_type",
    "min_projects",
    "max_projects",
    "min_budget_share_pct",
    "points_total",
    "points_max_per_project",
    "counting_rule",
    "tie_break",
    "neighbourhoods",
    "min_age",
    "max_age",
    "allow_revote",
)


class RoundFrozen(RefusalRecorded, InvalidState):
    """A frozen part of the round (or its project list) was about to change (409).

    The refused attempt is recorded in the audit log on the session (nothing else was changed),
    so the unit of work commits it and answers 409.
    """


@dataclass(frozen=True)
class RoundData:
    """Everything a manager configures on a round."""

    title: str
    description: str
    budget_cents: int
    proposals_open_at: dt.datetime
    proposals_close_at: dt.datetime
    support_close_at: dt.datetime
    review_close_at: dt.datetime
    voting_open_at: dt.datetime
    voting_close_at: dt.datetime
    ballot_type: BallotType
    counting_rule: CountingRule
    tie_break: TieBreak
    min_projects: int | None = None
    max_projects: int | None = None
    min_budget_share_pct: int | None = None
    points_total: int | None = None
    points_max_per_project: int | None = None
    support_threshold: int = 0
    min_age: int | None = None
    max_age: int | None = None
    allow_revote: bool = False
    themes: list[str] = field(default_factory=list)
    # (name, sub-budget in cents or None)
    neighbourhoods: list[tuple[str, int | None]] = field(default_factory=list)


def validate(data: RoundData) -> None:
    """Check dates order and the ballot configuration for the ballot type.

    Raises:
        ValidationFailed: with ``field`` set to the offending form field.
    """
    if not data.title.strip():
        raise ValidationFailed(_("Geef de ronde een titel."), field="title")
    if data.budget_cents <= 0:
        raise ValidationFailed(_("Het budget moet groter zijn dan 0 euro."), field="budget")
    dates = [getattr(data, name) for name in BOUNDARIES]
    for i in range(1, len(dates)):
        if dates[i] < dates[i - 1]:
            raise ValidationFailed(
                _("De datums moeten op volgorde staan: elke fase begint na de vorige."), field=BOUNDARIES[i]
            )
    if dates[-1] <= dates[-2]:
        raise ValidationFailed(_("Het stemmen moet later sluiten dan het opent."), field="voting_close_at")
    for name in ("min_projects", "max_projects", "points_total", "points_max_per_project", "min_age", "max_age"):
        value = getattr(data, name)
        if value is not None and value < (0 if name == "min_projects" else 1):
            raise ValidationFailed(_("Vul een positief getal in."), field=name)
    if data.support_threshold < 0:
        raise ValidationFailed(_("Vul een positief getal in."), field="support_threshold")
    if data.min_budget_share_pct is not None and not 0 <= data.min_budget_share_pct <= 100:
        raise ValidationFailed(_("Vul een percentage tussen 0 en 100 in."), field="min_budget_share_pct")
    if data.min_projects is not None and data.max_projects is not None and data.min_projects > data.max_projects:
        raise ValidationFailed(
            _("Het minimum aantal projecten mag niet groter zijn dan het maximum."), field="min_projects"
        )
    if data.min_age is not None and data.max_age is not None and data.min_age > data.max_age:
        raise ValidationFailed(_("De minimumleeftijd mag niet hoger zijn dan de maximumleeftijd."), field="min_age")
    bt = data.ballot_type
    if bt in (BallotType.K_APPROVAL, BallotType.RANKED) and data.max_projects is None:
        raise ValidationFailed(
            _("Bij deze manier van stemmen hoort een maximum aantal projecten."), field="max_projects"
        )
    if bt == BallotType.CUMULATIVE:
        if data.points_total is None:
            raise ValidationFailed(_("Vul in hoeveel punten elke bewoner mag verdelen."), field="points_total")
        if data.points_max_per_project is not None and data.points_max_per_project > data.points_total:
            raise ValidationFailed(
                _("Het maximum per project mag niet hoger zijn dan het totaal aantal punten."),
                field="points_max_per_project",
            )
    elif data.points_total is not None or data.points_max_per_project is not None:
        raise ValidationFailed(_("Punten horen alleen bij stemmen met punten verdelen."), field="points_total")
    if bt == BallotType.CHOOSE_ONE and (data.max_projects not in (None, 1) or (data.min_projects or 0) > 1):
        raise ValidationFailed(_("Bij één keuze kiest een bewoner precies één project."), field="max_projects")
    if data.min_budget_share_pct and bt != BallotType.KNAPSACK:
        raise ValidationFailed(
            _("Een minimaal deel van het budget hoort alleen bij stemmen binnen het budget."),
            field="min_budget_share_pct",
        )
    names = [t.strip().lower() for t in data.themes]
    if len(set(names)) != len(names) or any(not n for n in names):
        raise ValidationFailed(_("Elk thema heeft een eigen, niet-lege naam."), field="themes")
    hoods = [n.strip().lower() for n, _cents in data.neighbourhoods]
    if len(set(hoods)) != len(hoods) or any(not n for n in hoods):
        raise ValidationFailed(_("Elke buurt heeft een eigen, niet-lege naam."), field="neighbourhoods")
    for _name, cents in data.neighbourhoods:
        if cents is not None and not 0 < cents <= data.budget_cents:
            raise ValidationFailed(
                _("Een deelbudget ligt tussen 0 euro en het totale budget."), field="neighbourhoods"
            )


def snapshot(round_: BudgetRound) -> dict[str, Any]:
    """The round's configuration as plain values (for the audit log)."""
    values: dict[str, Any] = {
        name: getattr(round_, name)
        for name in (
            "title", "description", "budget_cents", *BOUNDARIES, "ballot_type", "min_projects",
            "max_projects", "min_budget_share_pct", "points_total", "points_max_per_project",
            "counting_rule", "tie_break", "tie_break_seed", "support_threshold", "min_age", "max_age",
            "allow_revote",
        )
    }
    for key in BOUNDARIES:
        values[key] = values[key].isoformat() if values[key] else None
    values["ballot_type"] = str(round_.ballot_type) if round_.ballot_type else None
    values["counting_rule"] = str(round_.counting_rule) if round_.counting_rule else None
    values["tie_break"] = str(round_.tie_break) if round_.tie_break else None
    values["themes"] = sorted(t.name for t in round_.themes)
    values["neighbourhoods"] = sorted([n.name, n.budget_cents] for n in round_.neighbourhoods)
    return values


def _apply(round_: BudgetRound, data: RoundData) -> None:
    round_.title = data.title.strip()
    round_.description = data.description.strip()
    round_.budget_cents = data.budget_cents
    for name in BOUNDARIES:
        setattr(round_, name, getattr(data, name))
    for name in (
        "ballot_type", "counting_rule", "tie_break", "min_projects", "max_projects", "min_budget_share_pct",
        "points_total", "points_max_per_project", "support_threshold", "min_age", "max_age", "allow_revote",
    ):
        setattr(round_, name, getattr(data, name))
    wanted = {t.strip(): t.strip() for t in data.themes}
    round_.themes = [t for t in round_.themes if t.name in wanted]
    have = {t.name for t in round_.themes}
    round_.themes.extend(RoundTheme(name=n) for n in wanted if n not in have)
    hoods = {n.strip(): cents for n, cents in data.neighbourhoods}
    round_.neighbourhoods = [n for n in round_.neighbourhoods if n.name in hoods]
    for hood in round_.neighbourhoods:
        hood.budget_cents = hoods[hood.name]
    have = {n.name for n in round_.neighbourhoods}
    round_.neighbourhoods.extend(RoundNeighbourhood(name=n, budget_cents=c) for n, c in hoods.items() if n not in have)


def create_round(session: Session, area: Area, *, actor: User, data: RoundData) -> BudgetRound:
    """Open a new round in ``area``; audited (public).

    Raises:
        PermissionDenied: ``actor`` does not manage ``area``.
        ValidationFailed: dates out of order or ballot configuration incomplete.
    """
    authz.require_area_manager(actor, area)
    validate(data)
    round_ = BudgetRound(area=area, title="", budget_cents=0)
    _apply(round_, data)
    session.add(round_)
    session.flush()
    audit.record(session, actor=actor, action="round.create", obj_type="round", obj_id=round_.id,
                 area_id=area.id, round_id=round_.id, public=True, after=snapshot(round_))
    return round_


def lock_round(session: Session, round_: BudgetRound) -> BudgetRound:
    """Re-read ``round_`` with a row lock, so the phase is checked against fresh dates in this transaction."""
    locked = session.scalar(
        select(BudgetRound).where(BudgetRound.id == round_.id).with_for_update().execution_options(populate_existing=True)
    )
    assert locked is not None
    return locked


def refuse_if_frozen(session: Session, round_: BudgetRound, *, actor: User | None, action: str, obj_type: str,
                     obj_id: object, attempted: dict[str, Any]) -> None:
    """Raise :class:`RoundFrozen` (after auditing the refusal) when ``round_`` is frozen now.

    Raises:
        RoundFrozen: voting has opened.
    """
    if round_.is_frozen_at(utcnow()):
        audit.record(session, actor=actor, action=f"{action}.refused", obj_type=obj_type, obj_id=obj_id,
                     area_id=round_.area_id, round_id=round_.id, after=attempted,
                     reason="frozen: voting has opened")
        raise RoundFrozen(_("Het stemmen is begonnen. Budget, stemregels en projecten liggen vast."))


def update_round(session: Session, round_: BudgetRound, *, actor: User, data: RoundData) -> None:
    """Change a round's configuration; audited (public) with before and after.

    After voting opened only the title, description, themes and support threshold may change;
    dates move only through :func:`move_phase`.

    Raises:
        PermissionDenied: ``actor`` does not manage the round's area.
        ValidationFailed: bad configuration.
        RoundFrozen: a frozen field would change (the refusal is audited on ``session``).
    """
    authz.require_area_manager(actor, round_.area)
    round_ = lock_round(session, round_)
    before = snapshot(round_)
    if round_.is_frozen_at(utcnow()):
        wanted = {**before, **{k: v for k, v in _data_snapshot(data).items() if k in FROZEN_FIELDS}}
        changed = {k: wanted[k] for k in FROZEN_FIELDS if wanted[k] != before[k]}
        if changed:
            refuse_if_frozen(session, round_, actor=actor, action="round.update", obj_type="round",
                             obj_id=round_.id, attempted=changed)
        # Dates are not edited here once frozen; keep them as they are.
        data = _with_dates_of(data, round_)
    else:
        current = {name: getattr(round_, name) for name in BOUNDARIES}
        # Forms show minutes: a date within a minute of the stored one is the same date.
        data = replace(data, **{n: current[n] for n in BOUNDARIES
                                if abs(getattr(data, n) - current[n]) < dt.timedelta(minutes=1)})
        if any(getattr(data, n) != current[n] for n in BOUNDARIES):
            now = utcnow()
            for name in BOUNDARIES:
                if getattr(data, name) != current[name] and current[name] <= now:
                    raise ValidationFailed(
                        _("Deze datum is al voorbij. Gebruik 'Fase verschuiven' met een reden."), field=name
                    )
    validate(data)
    _apply(round_, data)
    session.flush()
    after = snapshot(round_)
    changed_keys = [k for k in after if after[k] != before[k]]
    if changed_keys:
        audit.record(session, actor=actor, action="round.update", obj_type="round", obj_id=round_.id,
                     area_id=round_.area_id, round_id=round_.id, public=True,
                     before={k: before[k] for k in changed_keys}, after={k: after[k] for k in changed_keys})


def _data_snapshot(data: RoundData) -> dict[str, Any]:
    return {
        "budget_cents": data.budget_cents,
        "ballot_type": str(data.ballot_type),
        "min_projects": data.min_projects,
        "max_projects": data.max_projects,
        "min_budget_share_pct": data.min_budget_share_pct,
        "points_total": data.points_total,
        "points_max_per_project": data.points_max_per_project,
        "counting_rule": str(data.counting_rule),
        "tie_break": str(data.tie_break),
        "neighbourhoods": sorted([n.strip(), c] for n, c in data.neighbourhoods),
        "min_age": data.min_age,
        "max_age": data.max_age,
        "allow_revote": data.allow_revote,
    }


def _with_dates_of(data: RoundData, round_: BudgetRound) -> RoundData:
    return replace(data, **{name: getattr(round_, name) for name in BOUNDARIES})


def move_phase(session: Session, round_: BudgetRound, *, actor: User, boundary: str, new_at: dt.datetime,
               reason: str) -> None:
    """Move one phase boundary earlier or later, keeping the order; audited in the public history.

    Only boundaries that have not passed yet can move, and not into the past (earlier than now
    means "now": the phase then changes at once). Once voting has opened, its closing time only
    moves later, except by an admin (the reason is public, as for every move).

    Raises:
        PermissionDenied: ``actor`` does not manage the round's area.
        ValidationFailed: unknown boundary, no reason, boundary passed, order broken, an open
            vote's close moved earlier by a manager.
    """
    authz.require_area_manager(actor, round_.area)
    if boundary not in BOUNDARIES:
        raise ValidationFailed(_("Kies een fase."), field="boundary")
    if not reason.strip():
        raise ValidationFailed(_("Geef een reden. Die is openbaar."), field="reason")
    round_ = lock_round(session, round_)
    now = utcnow()
    old = getattr(round_, boundary)
    if old <= now:
        raise ValidationFailed(_("Deze fasegrens is al voorbij en kan niet meer verschuiven."), field="boundary")
    new_at = max(new_at, now)
    index = BOUNDARIES.index(boundary)
    if index > 0 and new_at < getattr(round_, BOUNDARIES[index - 1]):
        raise ValidationFailed(_("Een fase kan niet beginnen voor de vorige fase."), field="new_at")
    if index + 1 < len(BOUNDARIES) and new_at > getattr(round_, BOUNDARIES[index + 1]):
        raise ValidationFailed(_("Een fase kan niet eindigen na het begin van de volgende fase."), field="new_at")
    if boundary == "voting_close_at" and new_at <= round_.voting_open_at:
        raise ValidationFailed(_("Het stemmen moet later sluiten dan het opent."), field="new_at")
    if (boundary == "voting_close_at" and round_.voting_open_at <= now and new_at < old
            and actor.role != Role.ADMIN):
        # Closing an open vote early can silence the voters who planned to vote late.
        raise ValidationFailed(_("Het stemmen is begonnen: de sluitingstijd kan alleen later. Alleen de "
                                 "gemeente kan het stemmen eerder sluiten, met een openbare reden."),
                               field="new_at")
    if boundary == "voting_open_at" and new_at <= now:
        from pb.services.voting_readiness import voting_problem

        problem = voting_problem(session, round_)
        if problem:
            raise ValidationFailed(_("Het stemmen kan nog niet beginnen. %(reason)s", reason=problem),
                                   field="new_at")
    setattr(round_, boundary, new_at)
    session.flush()
    audit.record(session, actor=actor, action="round.phase_move", obj_type="round", obj_id=round_.id,
                 area_id=round_.area_id, round_id=round_.id, public=True,
                 before={boundary: old.isoformat()}, after={boundary: new_at.isoformat()}, reason=reason.strip())
    notifications.phase_started(session, round_, now)


def start_next_phase(session: Session, round_: BudgetRound, *, actor: User, reason: str) -> str:
    """Start the round's next phase now: move the next boundary to now through :func:`move_phase`
    (same checks, same public audit entry); when that ends the support phase, settle it as
    ``pb advance-phases`` does. Returns the boundary that moved.

    Raises:
        PermissionDenied, ValidationFailed: as for :func:`move_phase`; also when no phase follows.
    """
    authz.require_area_manager(actor, round_.area)
    now = utcnow()
    upcoming = [name for name in BOUNDARIES if getattr(round_, name) > now]
    if round_.results_published_at is not None or not upcoming:
        raise ValidationFailed(_("Er komt geen volgende fase meer in deze ronde."))
    boundary = upcoming[0]
    move_phase(session, round_, actor=actor, boundary=boundary, new_at=now, reason=reason)
    from pb.services.proposals import settle_support_phase  # proposals builds on this module

    settle_support_phase(session, round_, utcnow())
    return boundary


def get_round(session: Session, round_id: int) -> BudgetRound:
    """Return the round with ``round_id``.

    Raises:
        NotFound: no such round.
    """
    return require_row(session, BudgetRound, round_id, _("Deze ronde bestaat niet."))


def rounds_of_area(session: Session, area: Area) -> list[BudgetRound]:
    """Every round of ``area``, newest first."""
    return list(
        session.scalars(select(BudgetRound).where(BudgetRound.area_id == area.id)
                        .order_by(BudgetRound.proposals_open_at.desc(), BudgetRound.id.desc()))
    )


def current_rounds_by_area(session: Session) -> dict[int, list[BudgetRound]]:
    """Rounds that are not finished (no published results), grouped by area id, earliest first.

    Rounds whose voting closed but results are not yet published stay current.
    """
    rows = session.scalars(
        select(BudgetRound).where(BudgetRound.results_published_at.is_(None))
        .order_by(BudgetRound.proposals_open_at, BudgetRound.id)
    )
    grouped: dict[int, list[BudgetRound]] = {}
    for round_ in rows:
        grouped.setdefault(round_.area_id, []).append(round_)
    return grouped


def public_history(session: Session, round_: BudgetRound) -> list[AuditEntry]:
    """The public change history of ``round_``: entries with ``public=True``, newest first."""
    return list(
        session.scalars(
            select(AuditEntry).where(AuditEntry.round_id == round_.id, AuditEntry.public.is_(True))
            .order_by(AuditEntry.seq.desc())
        )
    )


def timeline(round_: BudgetRound, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The phases with start/end and whether each is past, current or future (for the round page)."""
    now = now or utcnow()
    current = round_.phase_at(now)
    spans = [
        (Phase.PROPOSALS, round_.proposals_open_at, round_.proposals_close_at),
        (Phase.SUPPORT, round_.proposals_close_at, round_.support_close_at),
        (Phase.REVIEW, round_.support_close_at, round_.review_close_at),
        (Phase.VOTING, round_.voting_open_at, round_.voting_close_at),
        (Phase.RESULTS, round_.voting_close_at, round_.results_published_at),
    ]
    items = []
    for phase, start, end in spans:
        if phase == current or (phase == Phase.REVIEW and current == Phase.WAITING) or (
            phase == Phase.RESULTS and current == Phase.CLOSED
        ):
            state = "current"
        elif end is not None and end <= now:
            state = "past"
        else:
            state = "future"
        items.append({"phase": phase, "start": start, "end": end, "state": state})
    return items
