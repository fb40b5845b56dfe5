"""WTForms classes: shape checks only; business rules live in services."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wtforms import SelectChoice


def options(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """Choices for a select, radio or checkbox field from (value, label) pairs.

    WTForms 3.3 deprecates plain tuples (removed in 3.4); every field gets its choices here.
    """
    return [SelectChoice(value, label) for value, label in pairs]
