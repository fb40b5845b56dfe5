"""Typed trace objects: what a count decided and why, for callers of the engine.

The engine's rules record their steps as plain data (the JSON schema in :mod:`pb.tally.outcome`
and in each rule's docstring); this module gives callers typed objects instead of dicts, from a
live :class:`~pb.tally.outcome.Outcome` (``Outcome.typed_trace()``) or from a stored JSON outcome
record (:func:`read_record`). The JSON the engine writes is not changed by any of this.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any


@dataclass(frozen=True, slots=True)
class RunnerUp:
    """A project that lost an Equal Shares round, with its effective support (1 = as good)."""

    project: str
    rho: Fraction
    effective_support: Fraction


@dataclass(frozen=True, slots=True)
class SharesRound:
    """One round of Equal Shares: the project bought, by whom, for how much, and who came next."""

    round: int
    project: str
    rho: Fraction
    max_payment: Fraction
    paid: Fraction
    supporters: int
    runners_up: tuple[RunnerUp, ...]


@dataclass(frozen=True, slots=True)
class Add1Summary:
    """The Add1 completion: each voter's starting and final share and the number of steps."""

    iterations: int
    share_start: Fraction
    share_final: Fraction


@dataclass(frozen=True, slots=True)
class Trace:
    """The typed parts of a rule's trace (the Equal Shares rounds and the Add1 summary)."""

    shares_rounds: tuple[SharesRound, ...]
    add1: Add1Summary | None


@dataclass(frozen=True, slots=True)
class TieBreakRecord:
    """The tie-break a count used."""

    kind: str
    seed: int | None


@dataclass(frozen=True, slots=True)
class ProjectRecord:
    """One project of a stored outcome: its numbers, the decision and the reasons.

    ``proposal_id``, ``external_id`` and ``cost_cents`` are present in records stored by the app.
    """

    id: str
    name: str
    cost: Fraction
    score: Fraction
    selected: bool
    code: str
    data: Mapping[str, Any]
    reason_nl: str
    reason_en: str
    proposal_id: int | None = None
    external_id: str | None = None
    cost_cents: int | None = None


@dataclass(frozen=True, slots=True)
class OutcomeRecord:
    """A stored outcome record (``Outcome.to_dict()`` plus the app's cents), typed."""

    rule: str
    budget: Fraction
    spent: Fraction
    selected: tuple[str, ...]
    tie_break: TieBreakRecord
    currency: str
    projects: tuple[ProjectRecord, ...]
    trace: Trace
    budget_cents: int | None = None
    spent_cents: int | None = None


def _number(value: Any) -> Fraction:
    return Fraction(value)


def read_trace(trace: Mapping[str, Any]) -> Trace:
    """The typed parts of a trace, from live values (exact numbers) or their JSON form ("p/q")."""
    rounds = tuple(
        SharesRound(round=int(r["round"]), project=str(r["project"]), rho=_number(r["rho"]),
                    max_payment=_number(r["max_payment"]), paid=_number(r["paid"]),
                    supporters=int(r["supporters"]),
                    runners_up=tuple(RunnerUp(project=str(x["project"]), rho=_number(x["rho"]),
                                              effective_support=_number(x["effective_support"]))
                                     for x in r.get("runners_up", ())))
        for r in trace.get("rounds", ()) if "rho" in r
    )
    add1 = trace.get("add1")
    summary = None
    if add1:
        summary = Add1Summary(iterations=int(add1["iterations"]), share_start=_number(add1["share_start"]),
                              share_final=_number(add1["share_final"]))
    return Trace(shares_rounds=rounds, add1=summary)


def read_record(record: Mapping[str, Any]) -> OutcomeRecord:
    """Parse a stored JSON outcome record (``Outcome.to_dict()``, perhaps with cents) into types."""
    projects = tuple(
        ProjectRecord(id=p["id"], name=p["name"], cost=_number(p["cost"]), score=_number(p["score"]),
                      selected=bool(p["selected"]), code=p["code"], data=p.get("data", {}),
                      reason_nl=p["reason_nl"], reason_en=p["reason_en"], proposal_id=p.get("proposal_id"),
                      external_id=p.get("external_id"), cost_cents=p.get("cost_cents"))
        for p in record["projects"]
    )
    tie_break = record["tie_break"]
    return OutcomeRecord(
        rule=record["rule"], budget=_number(record["budget"]), spent=_number(record["spent"]),
        selected=tuple(record["selected"]), tie_break=TieBreakRecord(kind=tie_break["kind"], seed=tie_break.get("seed")),
        currency=record.get("currency", "EUR"), projects=projects, trace=read_trace(record.get("trace", {})),
        budget_cents=record.get("budget_cents"), spent_cents=record.get("spent_cents"),
    )
