"""The plain-language vocabulary: every word a page, mail or API answer shows for a status, phase,
rule, setting or audit action, in B1 Dutch (translated to English through the catalogue).

One place, so that a thing has one name everywhere, residents' pages and the manager's alike, and
no internal id (``equalshares/add1``, ``k_approval``, ``proposal.merge``) reaches a reader. The
tables hold lazy strings: each is translated when it is shown, in the reader's language.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from pb.models.grant import ApplicationStatus, DecisionKind, LedgerKind, ReportStatus
from pb.models.implementation import ImplementationStatus
from pb.models.proposal import ProposalStatus
from pb.models.round import BallotType, CountingRule, Phase, TieBreak

# --- rounds ---------------------------------------------------------------------------------------

PHASE = {
    Phase.UPCOMING: _l("Binnenkort"),
    Phase.PROPOSALS: _l("Plannen indienen"),
    Phase.SUPPORT: _l("Steun verzamelen"),
    Phase.REVIEW: _l("Beoordeling door de gemeente"),
    Phase.WAITING: _l("Wachten tot het stemmen begint"),
    Phase.VOTING: _l("Stemmen"),
    Phase.CLOSED: _l("Stemmen gesloten, de uitslag volgt"),
    Phase.RESULTS: _l("Uitslag bekend"),
}
# The moments between phases, as the manager sets them.
BOUNDARY = {
    "proposals_open_at": _l("Plannen indienen opent"),
    "proposals_close_at": _l("Plannen indienen sluit (steunfase begint)"),
    "support_close_at": _l("Steunfase sluit (beoordeling begint)"),
    "review_close_at": _l("Beoordeling klaar"),
    "voting_open_at": _l("Stemmen opent"),
    "voting_close_at": _l("Stemmen sluit"),
}
BALLOT_TYPE = {
    BallotType.APPROVAL: _l("Vinkjes: kies zoveel projecten als u wilt"),
    BallotType.K_APPROVAL: _l("Vinkjes met een maximum aantal projecten"),
    BallotType.KNAPSACK: _l("Kies projecten binnen het budget"),
    BallotType.CUMULATIVE: _l("Punten verdelen over projecten"),
    BallotType.RANKED: _l("Zet uw favoriete projecten op volgorde"),
    BallotType.CHOOSE_ONE: _l("Kies één project"),
}
COUNTING_RULE = {
    CountingRule.GREEDY: _l("Meeste stemmen eerst, sla te dure projecten over"),
    CountingRule.GREEDY_NO_SKIP: _l("Meeste stemmen eerst, stop bij het eerste te dure project"),
    CountingRule.EQUAL_SHARES: _l("Gelijke delen (method of equal shares)"),
    CountingRule.PHRAGMEN: _l("Phragmén (eerlijke verdeling)"),
    CountingRule.MAX_WELFARE: _l("Zoveel mogelijk tevreden stemmers binnen het budget"),
}
# Rules the engine counts with that a round cannot be set to (an imported file may name them).
_ENGINE_ONLY_RULE = {
    "greedy-threshold": _l("Meeste stemmen eerst, alleen projecten met genoeg stemmen"),
}
OTHER_RULE = _l("Een andere telregel")
TIE_BREAK = {
    TieBreak.LOWER_COST: _l("Goedkoopste project eerst"),
    TieBreak.HIGHER_COST: _l("Duurste project eerst"),
    TieBreak.LOTTERY: _l("Loting (de sleutel wordt gepubliceerd)"),
    TieBreak.ORDER: _l("Volgorde van indienen"),
}

# --- proposals ------------------------------------------------------------------------------------

PROPOSAL_STATUS = {
    ProposalStatus.DRAFT: _l("Concept"),
    ProposalStatus.SUBMITTED: _l("Ingediend, zoekt steun"),
    ProposalStatus.NOT_ENOUGH_SUPPORT: _l("Niet genoeg steun"),
    ProposalStatus.IN_REVIEW: _l("Wordt beoordeeld"),
    ProposalStatus.FEASIBLE: _l("Haalbaar, op het stembiljet"),
    ProposalStatus.INFEASIBLE: _l("Niet haalbaar"),
    ProposalStatus.WITHDRAWN: _l("Ingetrokken"),
    ProposalStatus.MERGED: _l("Samengevoegd"),
    ProposalStatus.HIDDEN: _l("Verborgen"),
}
# The orders of the public proposal list; the keys are the allow-listed ``sort`` values of its URL.
PROPOSAL_SORT = {
    "nieuw": _l("Nieuwste eerst"),
    "oud": _l("Oudste eerst"),
    "titel": _l("Titel (A-Z)"),
    "kosten": _l("Laagste kosten eerst"),
    "steun": _l("Meeste steun eerst"),
}

# --- after the vote -------------------------------------------------------------------------------

IMPLEMENTATION_STATUS = {
    ImplementationStatus.PLANNED: _l("gepland"),
    ImplementationStatus.IN_PROGRESS: _l("in uitvoering"),
    ImplementationStatus.DONE: _l("klaar"),
    ImplementationStatus.CANCELLED: _l("vervallen"),
}

# --- small grants ---------------------------------------------------------------------------------

GRANT_STATUS = {
    ApplicationStatus.SUBMITTED: _l("Ingediend, wacht op besluit"),
    ApplicationStatus.QUESTION: _l("Vraag aan de aanvrager"),
    ApplicationStatus.AWAITING_SECOND: _l("Wacht op een tweede beslisser"),
    ApplicationStatus.GRANTED: _l("Toegekend"),
    ApplicationStatus.REFUSED: _l("Afgewezen"),
    ApplicationStatus.MOVED_TO_ROUND: _l("Naar een ronde verplaatst"),
    ApplicationStatus.WITHDRAWN: _l("Ingetrokken"),
}
# The accountability (verantwoording) of a granted application; None: nothing reported yet.
REPORT_STATUS = {
    None: _l("Nog te verantwoorden"),
    ReportStatus.SUBMITTED: _l("Verantwoording ingediend"),
    ReportStatus.MORE_REQUESTED: _l("Meer informatie gevraagd"),
    ReportStatus.ACCEPTED: _l("Verantwoording goedgekeurd"),
    ReportStatus.RECLAIMED: _l("Geld (deels) teruggevraagd"),
}
LEDGER = {
    LedgerKind.COMMITMENT: _l("Toegezegd"),
    LedgerKind.PAYMENT: _l("Uitbetaald"),
    LedgerKind.RETURN: _l("Teruggekomen in het budget"),
}
DECISION = {
    DecisionKind.GRANT: _l("Toegekend"),
    DecisionKind.PROPOSE: _l("Toekenning voorgesteld (boven het mandaat)"),
    DecisionKind.DISAGREE: _l("Niet akkoord als tweede beslisser"),
    DecisionKind.REFUSE: _l("Afgewezen"),
    DecisionKind.QUESTION: _l("Vraag gesteld"),
}

# --- the audit log --------------------------------------------------------------------------------

AUDIT_ACTION = {
    "round.create": _l("Ronde geopend"),
    "round.update": _l("Instellingen gewijzigd"),
    "round.phase_move": _l("Fase verschoven"),
    "proposal.submit": _l("Plan ingediend"),
    "proposal.submit_assisted": _l("Plan ingediend met hulp van het informatiepunt"),
    "proposal.support_assisted": _l("Steun gegeven met hulp van het informatiepunt"),
    "proposal.withdraw": _l("Plan ingetrokken"),
    "proposal.support_closed": _l("Steunfase afgesloten"),
    "proposal.review": _l("Beoordeling"),
    "proposal.cost": _l("Kosten aangepast"),
    "proposal.merge": _l("Plannen samengevoegd"),
    "proposal.hide": _l("Plan verborgen"),
    "round.results_publish": _l("Uitslag gepubliceerd"),
    "round.results_correct": _l("Uitslag gecorrigeerd"),
    "round.seal_ballots": _l("Stembiljetten verzegeld"),
    "round.import_pabulib": _l("Ronde ingelezen uit een bestand"),
    "implementation.update": _l("Uitvoering bijgewerkt"),
    "implementation.milestone": _l("Nieuwe stap in de uitvoering"),
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
# Shown for an action without a label yet: never the internal key.
OTHER_ACTION = _l("Wijziging")
# The fields a public change history names (others, such as hashes and counts, stay out of it).
HISTORY_FIELD = {
    "title": _l("Titel"),
    "status": _l("Status"),
    "min_budget_share_pct": _l("Minimaal deel van het budget (procent)"),
    "points_total": _l("Aantal punten"),
    "points_max_per_project": _l("Maximum punten per project"),
    "min_age": _l("Minimumleeftijd"),
    "max_age": _l("Maximumleeftijd"),
    "allow_revote": _l("Stem wijzigen mogelijk"),
    "cost_cents": _l("Kosten"),
    "budget_cents": _l("Budget"),
    "ballot_type": _l("Manier van stemmen"),
    "counting_rule": _l("Telregel"),
    "tie_break": _l("Bij gelijke stand"),
    "support_threshold": _l("Steun nodig"),
    "supports": _l("Steun"),
    "merged_into": _l("Samengevoegd met"),
    "merged_into_id": _l("Nummer van het andere plan"),
    "supports_moved": _l("Steun overgezet"),
    "description": _l("Beschrijving"),
    "themes": _l("Thema's"),
    "neighbourhoods": _l("Buurten"),
    "min_projects": _l("Minimum aantal projecten"),
    "max_projects": _l("Maximum aantal projecten"),
    "implementation_status": _l("Uitvoering"),
    "actual_cents": _l("Werkelijke kosten"),
    "milestone": _l("Stap"),
    "milestone_on": _l("Datum"),
}

IMPLEMENTATION_KIND = {
    "project": _l("Gekozen in een ronde"),
    "small_grant": _l("Kleine aanvraag"),
}


# --- look-ups -------------------------------------------------------------------------------------

def _enum_label(table: dict[Any, Any], kind: type, value: object) -> str:
    """The label of ``value`` (an enum member or its stored text); an unknown value shows as itself."""
    try:
        return str(table[kind(value)])
    except (ValueError, KeyError):
        return str(value)


def phase_label(phase: Phase | str) -> str:
    """A round's phase in plain words."""
    return _enum_label(PHASE, Phase, phase)


def boundary_label(name: str) -> str:
    """A phase boundary field (``voting_open_at``, ...) in plain words."""
    return str(BOUNDARY.get(name, name))


def ballot_type_label(ballot_type: BallotType | str) -> str:
    """How residents vote in a round, in plain words."""
    return _enum_label(BALLOT_TYPE, BallotType, ballot_type)


def counting_rule_label(rule: CountingRule | str) -> str:
    """A round's counting rule in plain words."""
    return _enum_label(COUNTING_RULE, CountingRule, rule)


def tie_break_label(tie_break: TieBreak | str) -> str:
    """A round's tie-break in plain words."""
    return _enum_label(TIE_BREAK, TieBreak, tie_break)


def rule_label(rule: str) -> str:
    """The plain name of an engine rule id (``equalshares/add1``, ``greedy``, ...): never the id."""
    base = rule.split("/")[0]
    if base in _ENGINE_ONLY_RULE:
        return str(_ENGINE_ONLY_RULE[base])
    if base in {r.value for r in CountingRule}:
        return str(COUNTING_RULE[CountingRule(base)])
    return str(OTHER_RULE)


def proposal_status_label(status: ProposalStatus | str) -> str:
    """A proposal's status in plain words."""
    return _enum_label(PROPOSAL_STATUS, ProposalStatus, status)


def implementation_status_label(status: ImplementationStatus | str) -> str:
    """The status of a funded project's implementation (gepland, in uitvoering, klaar, vervallen)."""
    return _enum_label(IMPLEMENTATION_STATUS, ImplementationStatus, status)


def implementation_kind_label(kind: str) -> str:
    """What a tracked item is: a project chosen in a round, or a small grant."""
    return str(IMPLEMENTATION_KIND.get(kind, kind))


def grant_status_label(status: ApplicationStatus | str) -> str:
    """A small-grant application's status in plain words."""
    return _enum_label(GRANT_STATUS, ApplicationStatus, status)


def report_status_label(status: ReportStatus | str | None) -> str:
    """The accountability of a granted application; None: nothing reported yet."""
    return str(REPORT_STATUS[None]) if status is None else _enum_label(REPORT_STATUS, ReportStatus, status)


def ledger_label(kind: LedgerKind | str) -> str:
    """A line of an area's grant ledger in plain words."""
    return _enum_label(LEDGER, LedgerKind, kind)


def decision_label(kind: DecisionKind | str) -> str:
    """A decision on a small-grant application in plain words."""
    return _enum_label(DECISION, DecisionKind, kind)


def action_label(action: str) -> str:
    """An audit action in plain words; a general word for an action without a label."""
    return str(AUDIT_ACTION.get(action, OTHER_ACTION))


def history_field_label(key: str) -> str | None:
    """The plain name of a field a public history shows, or None for an internal field."""
    label = BOUNDARY.get(key) or HISTORY_FIELD.get(key)
    return str(label) if label is not None else None
