"""Presentation: labels, explanations and stories for pages, computed from domain objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any


def money_cents(value: int | str) -> int:
    """An engine amount from the stored outcome (euros: int or "p/q") as cents, rounded half up."""
    amount = Fraction(value) * 100
    return int((amount + Fraction(1, 2)).__floor__())


def exact(value: int | str) -> Fraction:
    """A stored outcome number (int or "p/q") as an exact fraction."""
    return Fraction(value)


@dataclass(frozen=True)
class StoryStep:
    """One round of Equal Shares told for residents."""

    number: int
    name: str
    supporters: int
    paid_cents: int
    max_payment_cents: int
    runners_up: tuple[tuple[str, int], ...]  # (name, effective support in whole percent)


def equal_shares_story(record: dict[str, Any]) -> list[StoryStep]:
    """The rounds of an Equal Shares count as steps with project names and money in cents."""
    names = {p["id"]: p["name"] for p in record["projects"]}
    steps = []
    for step in record.get("trace", {}).get("rounds", []):
        if "rho" not in step:
            continue
        runners = tuple((names.get(r["project"], r["project"]),
                         int(exact(r["effective_support"]) * 100)) for r in step.get("runners_up", []))
        steps.append(StoryStep(number=int(step["round"]), name=names.get(step["project"], step["project"]),
                               supporters=int(step["supporters"]), paid_cents=money_cents(step["paid"]),
                               max_payment_cents=money_cents(step["max_payment"]), runners_up=runners))
    return steps


def add1_summary(record: dict[str, Any]) -> dict[str, int] | None:
    """For Equal Shares with Add1: each voter's starting and final share in cents, and the steps."""
    add1 = record.get("trace", {}).get("add1")
    if not add1:
        return None
    return {"start_cents": money_cents(add1["share_start"]), "final_cents": money_cents(add1["share_final"]),
            "iterations": int(add1["iterations"])}
