"""The public register of an area's small grants, as rows for the page and as CSV and JSON downloads.

Only what residents chose to make public: an organisation by name, a resident's name only when they
ticked that box; never e-mail addresses, addresses or who backed what.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from pb.labels import grant_status_label
from pb.models.area import Area
from pb.models.grant import GrantApplication, GrantPot
from pb.services import backings, grant_applications, pots
from pb.services.accountability import report_label
from pb.csv_cells import csv_safe

CSV_COLUMNS = ["id", "title", "applicant", "purpose", "agenda_item", "requested_eur", "granted_eur", "status",
               "decided_on", "decision_reason", "conditions", "accountability", "returned_eur", "backing",
               "assisted"]


@dataclass(frozen=True)
class RegisterRow:
    """One application as the public sees it."""

    application: GrantApplication
    applicant: str
    status: str
    accountability: str
    backing: int


def rows(session: Session, area: Area) -> list[RegisterRow]:
    """Every application of ``area``, newest first, with public labels."""
    apps = grant_applications.applications_of(session, area)
    counts = backings.totals(session, [a.id for a in apps])
    return [RegisterRow(application=a, applicant=grant_applications.public_name(a),
                        status=grant_status_label(a.status), accountability=report_label(a),
                        backing=counts.get(a.id, 0)) for a in apps]


def _eur(cents: int | None) -> str:
    return "" if cents is None else f"{cents // 100}.{cents % 100:02d}"


def _record(row: RegisterRow) -> dict[str, Any]:
    a = row.application
    report = a.report
    return {
        "id": a.id, "title": a.title, "applicant": row.applicant, "purpose": a.description,
        "agenda_item": a.agenda_item.title if a.agenda_item else "",
        "requested_eur": _eur(a.requested_cents), "granted_eur": _eur(a.granted_cents), "status": a.status.value,
        "status_label": row.status,
        "decided_on": a.decided_at.date().isoformat() if a.decided_at else "",
        "decision_reason": a.decision_reason, "conditions": a.conditions,
        "accountability": report.status.value if report else ("due" if row.accountability else ""),
        "accountability_label": row.accountability,
        "returned_eur": _eur(report.reclaimed_cents) if report and report.reclaimed_cents else "",
        "backing": row.backing, "assisted": a.assisted_by_id is not None,
    }


def pot_record(session: Session, pot: GrantPot | None) -> dict[str, Any] | None:
    """The pot's figures, in euros as decimal strings."""
    if pot is None:
        return None
    s = pots.summary(session, pot)
    return {"year": pot.year, "total_eur": _eur(pot.total_cents), "rounds_eur": _eur(pot.rounds_cents),
            "grants_eur": _eur(pot.grants_cents), "committed_eur": _eur(s.committed_cents),
            "paid_eur": _eur(s.paid_cents), "returned_eur": _eur(s.returned_cents),
            "available_eur": _eur(pot.available_cents)}


def register_json(session: Session, area: Area) -> dict[str, Any]:
    """The register as JSON: the area, this year's pot, every application."""
    return {"area": {"name": area.name, "slug": area.slug}, "currency": "EUR",
            "pot": pot_record(session, pots.pot_for(session, area)),
            "applications": [_record(r) for r in rows(session, area)]}


def register_csv(session: Session, area: Area) -> str:
    """The register as CSV (semicolons for Dutch spreadsheets; no cell starts a formula)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows(session, area):
        record = _record(row)
        record["assisted"] = "1" if record["assisted"] else "0"
        writer.writerow([csv_safe(record[c]) for c in CSV_COLUMNS])
    return out.getvalue()
