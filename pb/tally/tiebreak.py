"""Tie-breaking: a strict priority order over the projects, passed into every rule.

A rule compares projects by its own criterion (score, price per supporter, ...) and, when two
projects are exactly equal on it, prefers the one that comes first in the tie-break order:

- ``file-order`` (default): the order of the PROJECTS rows, as the official pabulib checker does;
- ``lower-cost``: cheaper project first, then file order;
- ``higher-cost``: more expensive project first, then file order;
- ``lottery``: a shuffle drawn with ``random.Random(seed)``; the seed is recorded in the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass

from pb.tally.errors import TallyError
from pb.tally.model import Election

KINDS = ("file-order", "lower-cost", "higher-cost", "lottery")


@dataclass(frozen=True, slots=True)
class TieBreak:
    """A tie-breaking rule: one of :data:`KINDS`, with a seed for the lottery."""

    kind: str = "file-order"
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise TallyError(f"unknown tie-break {self.kind!r}; choose from {', '.join(KINDS)}")
        if self.kind == "lottery" and self.seed is None:
            raise TallyError("a lottery tie-break needs a seed")
        if self.kind != "lottery" and self.seed is not None:
            raise TallyError(f"tie-break {self.kind!r} takes no seed")

    @classmethod
    def parse(cls, text: str | None) -> "TieBreak":
        """Parse "file-order", "lower-cost", "higher-cost" or "lottery:SEED"."""
        if not text:
            return cls()
        kind, _, seed = text.partition(":")
        if kind == "lottery":
            try:
                return cls("lottery", int(seed))
            except ValueError:
                raise TallyError(f"lottery seed must be an integer: {seed!r}") from None
        if seed:
            raise TallyError(f"tie-break {kind!r} takes no seed")
        return cls(kind)

    def rank(self, election: Election) -> list[int]:
        """``rank[i]`` = position of project ``i`` in the priority order (0 = preferred)."""
        m = len(election.projects)
        order = list(range(m))
        if self.kind == "lower-cost":
            order.sort(key=lambda i: election.projects[i].cost)
        elif self.kind == "higher-cost":
            order.sort(key=lambda i: -election.projects[i].cost)
        elif self.kind == "lottery":
            import random  # only lotteries need it (start-up of the command line)

            random.Random(self.seed).shuffle(order)
        rank = [0] * m
        for position, i in enumerate(order):
            rank[i] = position
        return rank

    def to_dict(self) -> dict[str, str | int | None]:
        """JSON form: ``{"kind": ..., "seed": ...}``."""
        return {"kind": self.kind, "seed": self.seed}

    def describe(self, lang: str = "en") -> str:
        """A short description for residents."""
        nl = {"file-order": "volgorde van de projectenlijst", "lower-cost": "goedkoopste eerst",
              "higher-cost": "duurste eerst", "lottery": f"loting (seed {self.seed})"}
        en = {"file-order": "order of the project list", "lower-cost": "cheapest first",
              "higher-cost": "most expensive first", "lottery": f"lottery (seed {self.seed})"}
        return (nl if lang == "nl" else en)[self.kind]
