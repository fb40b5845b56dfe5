"""Exports of a published result: the public JSON and CSV files.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from pb.csv_cells import csv_safe
from pb.models.result import RoundResult
from pb.models.round import BudgetRound
from pb.services.results import outcome_of


def _money(value_cents: int) -> int | float:
    return value_cents // 100 if value_cents % 100 == 0 else value_cents / 100


def results_json(round_: BudgetRound, result: RoundResult) -> dict[str, Any]:
    """The public JSON export of a published result."""
    data = outcome_of(result)
    projects = [{
        "id": p["proposal_id"], "external_id": p["external_id"], "pb_id": p["id"], "name": p["name"],
        "cost": _money(p["cost_cents"]), "score": p["score"], "selected": p["selected"],
        "reason": p["reason_nl"], "reason_en": p["reason_en"],
    } for p in data["projects"]]
    return {
        "round": {"id": round_.id, "title": round_.title, "area": round_.area.name},
        "version": result.version, "published_at": result.published_at.isoformat(),
        "correction_reason": result.correction_reason or None,
        "rule": result.rule, "tie_break": data["tie_break"],
        "budget": _money(data["budget_cents"]), "spent": _money(data["spent_cents"]), "currency": round_.currency,
        "eligible_voters": result.eligible_voters,
        "ballots": result.ballots_total, "ballots_online": result.ballots_online,
        "ballots_paper": result.ballots_paper,
        "ballots_sha256": result.ballots_sha256, "chain_head": result.chain_head,
        "selected": data["selected"], "projects": projects,
    }


def results_csv(round_: BudgetRound, result: RoundResult) -> str:
    """The public CSV export: one row per project (semicolon-separated for Dutch spreadsheets)."""
    data = results_json(round_, result)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["id", "external_id", "name", "cost", "currency", "score", "selected", "reason"])
    for p in data["projects"]:
        writer.writerow([csv_safe(v) for v in (p["id"], p["external_id"], p["name"], p["cost"], data["currency"],
                                               p["score"], "1" if p["selected"] else "0", p["reason"])])
    return out.getvalue()
