"""Buurtbudget: participatory budgeting for Dutch municipalities.

The Flask application is built by :func:`create_app`. Flask is imported lazily so that the pure
tally engine (``pb.tally``) can be used, e.g. ``python -m pb.tally``, without loading the web stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> "Flask":
    """Build and configure the Buurtbudget Flask application."""
    from pb.app import build_app

    return build_app(test_config)
