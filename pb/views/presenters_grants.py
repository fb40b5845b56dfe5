"""Presentation for small grants: the label functions templates use (the words are in :mod:`pb.labels`)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from pb import labels
from pb.forms import options
from pb.models.agenda import AgendaItem
from pb.services import accountability


def history_rows(entries: list[Any]) -> list[dict[str, Any]]:
    """An application's public history as readable lines; the tracking's entries say what changed
    (status, actual cost, the milestone), the decision steps speak through their label and reason."""
    from pb.views.presenters import history_rows as general_rows

    rows = []
    for entry in entries:
        if entry.action.startswith("implementation."):
            rows.extend(general_rows([entry]))
        else:
            rows.append({"at": entry.at, "action": entry.action, "changes": [], "reason": entry.reason})
    return rows


def grant_template_labels() -> dict[str, Any]:
    """The small-grant label functions every template may use (an app-wide context processor)."""
    return {
        "grant_status_label": labels.grant_status_label,
        "grant_report_label": accountability.report_label,
        "grant_action_label": labels.action_label,
        "ledger_label": labels.ledger_label,
        "decision_label": labels.decision_label,
    }


def agenda_options(items: list[AgendaItem]) -> list[Any]:
    """An area's agenda items as select options, "no item" first."""
    return options([("", _("Geen punt gekozen"))] + [(str(i.id), i.title) for i in items])
