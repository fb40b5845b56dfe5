"""Registry of voting rules: pabulib META ``rule`` names mapped to rule functions.

Every rule is ``rule(election, tie_break=None, **options) -> Outcome``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pb.tally.model import Election
from pb.tally.outcome import Outcome
from pb.tally.rules.equalshares import equal_shares, equal_shares_add1, equal_shares_add1_greedy
from pb.tally.rules.greedy import greedy
from pb.tally.rules.greedy_no_skip import greedy_no_skip
from pb.tally.rules.greedy_threshold import greedy_threshold
from pb.tally.rules.maxwelfare import max_welfare
from pb.tally.rules.phragmen import phragmen
from pb.tally.tiebreak import TieBreak

Rule = Callable[..., Outcome]

RULES: dict[str, Rule] = {
    "greedy": greedy,
    "greedy-no-skip": greedy_no_skip,
    "greedy-threshold": greedy_threshold,
    "equalshares": equal_shares,
    "equalshares/add1": equal_shares_add1,
    "equalshares/add1+greedy": equal_shares_add1_greedy,
    "phragmen": phragmen,
    "max-welfare": max_welfare,
}
"""Rule name -> rule function. Names follow pabulib META ``rule`` where pabulib has one."""

DEFAULT_RULE = "greedy"


def get_rule(name: str) -> Rule:
    """The rule function registered under ``name``; raise TallyError if unknown."""
    from pb.tally.errors import TallyError

    try:
        return RULES[name]
    except KeyError:
        raise TallyError(f"unknown rule {name!r}; choose from {', '.join(RULES)}") from None


def tally(election: Election, rule: str | None = None, tie_break: TieBreak | None = None,
          **options: Any) -> Outcome:
    """Count ``election`` with ``rule`` (default: its META rule) and return the outcome."""
    from pb.tally.errors import TallyError

    name = rule or election.rule
    if name is None:
        name = DEFAULT_RULE
    if name not in RULES:
        if rule is None:
            raise TallyError(f"the file's rule {name!r} is not supported; pass a rule "
                             f"({', '.join(RULES)})")
    return get_rule(name)(election, tie_break or TieBreak(), **options)
