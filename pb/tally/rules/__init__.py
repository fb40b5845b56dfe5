"""Registry of voting rules: pabulib META ``rule`` names mapped to rule functions.

Every rule is ``rule(election, tie_break=None, **options) -> Outcome``. A rule's module (and
NumPy, which only Equal Shares and Phragmén use) is imported when the rule is first called, so
``python -m pb.tally --rule greedy`` loads neither.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING, Any

from pb.tally.tiebreak import TieBreak

if TYPE_CHECKING:
    from pb.tally.model import Election
    from pb.tally.outcome import Outcome

Rule = Callable[..., "Outcome"]


class _LazyRule:
    """A rule function imported from its module on the first call."""

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name
        self.__doc__ = f"``{module}.{name}`` (imported when first called)."

    def __call__(self, *args: Any, **kwargs: Any) -> Outcome:
        return getattr(import_module(self.module), self.name)(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<rule {self.module}.{self.name}>"


RULES: dict[str, Rule] = {
    "greedy": _LazyRule("pb.tally.rules.greedy", "greedy"),
    "greedy-no-skip": _LazyRule("pb.tally.rules.greedy_no_skip", "greedy_no_skip"),
    "greedy-threshold": _LazyRule("pb.tally.rules.greedy_threshold", "greedy_threshold"),
    "equalshares": _LazyRule("pb.tally.rules.equalshares", "equal_shares"),
    "equalshares/add1": _LazyRule("pb.tally.rules.equalshares", "equal_shares_add1"),
    "equalshares/add1+greedy": _LazyRule("pb.tally.rules.equalshares",
                                         "equal_shares_add1_greedy"),
    "phragmen": _LazyRule("pb.tally.rules.phragmen", "phragmen"),
    "max-welfare": _LazyRule("pb.tally.rules.maxwelfare", "max_welfare"),
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
