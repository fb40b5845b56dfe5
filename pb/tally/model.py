"""Data model of an election: projects, ballots, budget caps, the election and its merged profile.

Everything is exact: costs and budgets are ``int`` or ``Fraction`` (see :mod:`pb.tally.numbers`).
Ballots refer to projects by their index in ``Election.projects`` (the order of the PROJECTS rows),
which keeps ballots compact; :attr:`Election.profile` merges identical ballots into weights.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from functools import cached_property

from pb.tally.errors import TallyError
from pb.tally.numbers import Number, amount_problem, normalise

WITHDRAWN_COST = 999999999
"""Pabulib marks a withdrawn project with this placeholder cost."""


class VoteType(StrEnum):
    """The ballot format of an election (pabulib META ``vote_type``)."""

    APPROVAL = "approval"
    CHOOSE_1 = "choose-1"
    CUMULATIVE = "cumulative"
    ORDINAL = "ordinal"
    SCORING = "scoring"  # a score per named project, no total to spread (pabulib spec)

    @property
    def has_points(self) -> bool:
        """True when ballots carry a ``points`` column (cumulative and scoring)."""
        return self in (VoteType.CUMULATIVE, VoteType.SCORING)


@dataclass(frozen=True, slots=True)
class Project:
    """A project on the ballot.

    ``extra`` keeps every other PROJECTS column (``votes``, ``score``, ``selected``, ...) as raw
    text so that a file can be written back unchanged.
    """

    id: str
    cost: Number
    name: str = ""
    category: str = ""
    neighbourhood: str = ""
    extra: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if not self.id:
            raise TallyError("project without an id")
        object.__setattr__(self, "cost", normalise(self.cost))
        if self.cost < 0:
            raise TallyError(f"project {self.id}: negative cost {self.cost}")

    @property
    def categories(self) -> tuple[str, ...]:
        """The categories of the project (pabulib allows a comma-separated list)."""
        return tuple(c.strip() for c in self.category.split(",") if c.strip())

    @property
    def withdrawn(self) -> bool:
        """True when the cost is pabulib's placeholder for a withdrawn project."""
        return self.cost == WITHDRAWN_COST

    def field(self, name: str) -> str:
        """Return the raw text of an extra PROJECTS column, or "" when absent."""
        for key, value in self.extra:
            if key == name:
                return value
        return ""

    @property
    def official_selected(self) -> int | None:
        """The pabulib ``selected`` column as an int (None when absent or empty)."""
        raw = self.field("selected").strip()
        if not raw:
            return None
        try:
            return int(float(raw)) if "." in raw else int(raw)
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class Ballot:
    """One voter's ballot.

    ``projects`` are indices into ``Election.projects``: the approved set (approval, choose-1),
    the ranking from first to last (ordinal) or the projects given points (cumulative, with the
    points in ``points`` at the same positions). ``extra`` holds the other VOTES columns in the
    order of ``Election.vote_columns``.
    """

    voter_id: str
    projects: tuple[int, ...] = ()
    points: tuple[Number, ...] | None = None
    extra: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Cap:
    """An upper bound on the total cost of selected projects in a group (neighbourhood, category)."""

    kind: str
    group: str
    limit: Number

    def applies_to(self, project: Project) -> bool:
        """True when ``project`` belongs to the group this cap limits."""
        if self.kind == "neighbourhood":
            return project.neighbourhood == self.group
        if self.kind == "category":
            return self.group in project.categories
        return False


@dataclass(frozen=True, slots=True)
class Profile:
    """Identical ballots merged: each distinct ballot once, with its number of voters.

    Approval and choose-1 ballots are deduplicated sets (sorted indices); ordinal ballots keep
    their ranking (first occurrence of a repeated project); cumulative and scoring ballots are
    sorted (index, points) pairs with repeated projects' points added. ``n_voters`` includes empty ballots.
    """

    ballots: tuple[tuple[int, ...], ...]
    points: tuple[tuple[Number, ...], ...] | None
    weights: tuple[int, ...]
    n_voters: int
    scores: tuple[Number, ...]
    supporters: tuple[int, ...]


@dataclass(eq=True)
class Election:
    """A participatory-budgeting election: budget, projects in file order, ballots and limits.

    ``meta`` is the raw META section (ordered); the typed fields are the source of truth for the
    rules. ``project_columns`` and ``vote_columns`` remember the column order for writing.
    """

    budget: Number
    projects: tuple[Project, ...]
    ballots: tuple[Ballot, ...] = ()
    vote_type: VoteType = VoteType.APPROVAL
    rule: str | None = None
    meta: dict[str, str] = field(default_factory=dict)
    min_length: int | None = None
    max_length: int | None = None
    max_sum_cost: Number | None = None
    min_sum_points: Number | None = None
    max_sum_points: Number | None = None
    min_project_score_threshold: Number | None = None
    caps: tuple[Cap, ...] = ()
    project_columns: tuple[str, ...] = ()
    vote_columns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.budget = normalise(self.budget)
        if self.budget < 0:
            raise TallyError(f"negative budget {self.budget}")
        self.vote_type = VoteType(self.vote_type)
        self.projects = tuple(self.projects)
        self.ballots = tuple(self.ballots)
        self.caps = tuple(self.caps)
        for what, value in (("budget", self.budget), ("max_sum_cost", self.max_sum_cost),
                            ("min_sum_points", self.min_sum_points),
                            ("max_sum_points", self.max_sum_points),
                            ("min_project_score_threshold", self.min_project_score_threshold),
                            *((f"cost of project {p.id}", p.cost) for p in self.projects),
                            *((f"cap of {c.group}", c.limit) for c in self.caps)):
            problem = amount_problem(value) if value is not None else None
            if problem:
                raise TallyError(f"{what}: {problem}")
        ids = [p.id for p in self.projects]
        if len(set(ids)) != len(ids):
            dup = next(i for i, c in Counter(ids).items() if c > 1)
            raise TallyError(f"duplicate project id {dup!r}")

    @cached_property
    def index(self) -> Mapping[str, int]:
        """Project id -> position in ``projects``."""
        return {p.id: i for i, p in enumerate(self.projects)}

    @property
    def currency(self) -> str:
        """The META currency (default EUR)."""
        return self.meta.get("currency", "") or "EUR"

    @cached_property
    def profile(self) -> Profile:
        """The merged profile (computed once and cached)."""
        return build_profile(self.vote_type, len(self.projects), self.ballots)

    def cost(self, indices: Sequence[int]) -> Number:
        """Total cost of the projects at ``indices``."""
        return normalise(sum((self.projects[i].cost for i in indices), 0))

    def caps_for(self, i: int) -> tuple[int, ...]:
        """Positions in ``caps`` of the caps that apply to project ``i``."""
        return self._cap_map[i]

    @cached_property
    def _cap_map(self) -> tuple[tuple[int, ...], ...]:
        return tuple(
            tuple(k for k, cap in enumerate(self.caps) if cap.applies_to(p)) for p in self.projects
        )


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small acyclic objects.

    Reading a city election creates ~10^5 ballots and tuples; every few hundred allocations
    would otherwise trigger a collection that scans them all again. Speed only.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build_profile(vote_type: VoteType, m: int, ballots: Sequence[Ballot]) -> Profile:
    """Merge identical ballots and compute every project's score (see module docstring)."""
    with gc_paused():
        return _build_profile(vote_type, m, ballots)


def _build_profile(vote_type: VoteType, m: int, ballots: Sequence[Ballot]) -> Profile:
    scores: list[Number] = [0] * m
    supporters = [0] * m
    if vote_type.has_points:
        counter: Counter[tuple[tuple[int, Number], ...]] = Counter()
        for b in ballots:
            pts: dict[int, Number] = {}
            for i, x in zip(b.projects, b.points or ()):
                pts[i] = pts.get(i, 0) + x
            counter[tuple(sorted(pts.items()))] += 1
        keys = list(counter)
        weights = tuple(counter[k] for k in keys)
        for key, w in zip(keys, weights):
            for i, x in key:
                scores[i] += w * x
                if x > 0:
                    supporters[i] += w
        return Profile(
            ballots=tuple(tuple(i for i, _ in k) for k in keys),
            points=tuple(tuple(normalise(Fraction(x)) for _, x in k) for k in keys),
            weights=weights,
            n_voters=len(ballots),
            scores=tuple(normalise(Fraction(s)) for s in scores),
            supporters=tuple(supporters),
        )
    ordinal = vote_type is VoteType.ORDINAL
    plain: Counter[tuple[int, ...]] = Counter()
    # Count the raw project tuples first (C speed), then merge them into canonical keys; the
    # canonical keys keep the order of their first ballot.
    for raw, w in Counter(b.projects for b in ballots).items():
        if ordinal:
            plain[tuple(dict.fromkeys(raw))] += w
        else:
            plain[tuple(sorted(set(raw)))] += w
    keys2 = list(plain)
    weights = tuple(plain[k] for k in keys2)
    for key2, w in zip(keys2, weights):
        for i in key2:
            supporters[i] += w
        if ordinal:
            length = len(key2)
            for rank, i in enumerate(key2):
                scores[i] += w * (length - rank)
    if not ordinal:
        scores = list(supporters)
    return Profile(
        ballots=tuple(keys2),
        points=None,
        weights=weights,
        n_voters=len(ballots),
        scores=tuple(scores),
        supporters=tuple(supporters),
    )
