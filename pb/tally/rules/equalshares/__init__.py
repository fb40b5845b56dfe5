"""Method of Equal Shares (``equalshares``, ``equalshares/add1``, ``equalshares/add1+greedy``).

- :mod:`.reference`: the rule as its definition reads, exact arithmetic only, no optimisation,
  no NumPy; ``python -m pb.tally --reference`` counts with it.
- :mod:`.fast`: the implementation the engine uses (same outcomes, tested against the reference
  and against pabutools); its docstring explains the speed-ups and why floats only filter.

The rule functions below come from :mod:`.fast`, imported on first use, so that importing the
reference does not load NumPy.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["equal_shares", "equal_shares_add1", "equal_shares_add1_greedy", "mes_selection"]


def __getattr__(name: str) -> Any:
    """The public functions of :mod:`.fast`, imported when first asked for."""
    if name in __all__:
        return getattr(import_module("pb.tally.rules.equalshares.fast"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
