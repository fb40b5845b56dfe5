"""Presentation for small grants: labels for statuses, ledger lines and audit actions (Dutch, translated)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from pb.forms import options
from pb.models.agenda import AgendaItem
from pb.models.grant import DecisionKind, LedgerKind
from pb.services import accountability, grant_applications

ACTION_LABELS = {
    "grant.apply": _l("Aanvraag ingediend"),
    "grant.apply_assisted": _l("Aanvraag ingediend met hulp van het informatiepunt"),
    "grant.answer": _l("Vraag beantwoord"),
    "grant.withdraw": _l("Aanvraag ingetrokken"),
    "grant.move_to_round": _l("Aanvraag naar een ronde verplaatst"),
    "grant.paper_backing": _l("Handtekeningen op papier ingevoerd"),
    "grant.propose": _l("Toekenning voorgesteld, wacht op tweede beslisser"),
    "grant.grant": _l("Aanvraag toegekend"),
    "grant.disagree": _l("Tweede beslisser niet akkoord"),
    "grant.refuse": _l("Aanvraag afgewezen"),
    "grant.question": _l("Vraag gesteld aan de aanvrager"),
    "grant.paid": _l("Bedrag uitbetaald"),
    "grant.report": _l("Verantwoording ingediend"),
    "grant.report_accept": _l("Verantwoording goedgekeurd"),
    "grant.report_more": _l("Meer informatie gevraagd"),
    "grant.reclaim": _l("Geld teruggevraagd"),
    "grant_pot.set": _l("Buurtbudget van het jaar ingesteld"),
    "grant_settings.update": _l("Regels voor kleine aanvragen gewijzigd"),
    "grant_mandate.set": _l("Mandaat ingesteld"),
    "area.staff": _l("Medewerkers informatiepunt gewijzigd"),
    "agenda.create": _l("Punt op de gebiedsagenda gezet"),
    "agenda.update": _l("Punt van de gebiedsagenda gewijzigd"),
}
LEDGER_LABELS = {
    LedgerKind.COMMITMENT: _l("Toegezegd"),
    LedgerKind.PAYMENT: _l("Uitbetaald"),
    LedgerKind.RETURN: _l("Teruggekomen in het budget"),
}
DECISION_LABELS = {
    DecisionKind.GRANT: _l("Toegekend"),
    DecisionKind.PROPOSE: _l("Toekenning voorgesteld (boven het mandaat)"),
    DecisionKind.DISAGREE: _l("Niet akkoord als tweede beslisser"),
    DecisionKind.REFUSE: _l("Afgewezen"),
    DecisionKind.QUESTION: _l("Vraag gesteld"),
}


def action_label(action: str) -> str:
    """An audit action of small grants in plain Dutch (the tracking's actions share the general labels)."""
    from pb.views.presenters import action_label as general_label

    return str(ACTION_LABELS[action]) if action in ACTION_LABELS else general_label(action)


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
        "grant_status_label": grant_applications.status_label,
        "grant_report_label": accountability.report_label,
        "grant_action_label": action_label,
        "ledger_label": lambda k: str(LEDGER_LABELS.get(LedgerKind(k), k)),
        "decision_label": lambda k: str(DECISION_LABELS.get(DecisionKind(k), k)),
    }


def agenda_options(items: list[AgendaItem]) -> list[Any]:
    """An area's agenda items as select options, "no item" first."""
    return options([("", _("Geen punt gekozen"))] + [(str(i.id), i.title) for i in items])
