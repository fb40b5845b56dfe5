"""Presentation for small grants: the label functions templates use (the words are in :mod:`pb.labels`)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from pb import labels
from pb.forms import options
from pb.models.agenda import AgendaItem
from pb.services import accountability


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
