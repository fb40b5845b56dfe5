"""Presentation: labels, explanations, charts and stories for pages, computed from domain objects.

Services return domain objects; this module turns them into what templates show, so templates
never branch on ids (rule names, audit actions) and never hold label tables.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Any

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import ngettext

from pb import labels
from pb.models.round import BallotType, BudgetRound
from pb.services.counting import OutcomeRecord, ProjectRecord

@dataclass(frozen=True)
class ProposalOutcome:
    """Whether a proposal was chosen in the published result, and the engine's reason, in the page's language."""

    chosen: bool
    reason: str


def proposal_outcome(project: ProjectRecord | None) -> ProposalOutcome | None:
    """The outcome of one proposal from the stored result (None before publication)."""
    if project is None:
        return None
    from flask_babel import get_locale

    english = str(get_locale()) == "en"
    return ProposalOutcome(chosen=project.selected, reason=project.reason_en if english else project.reason_nl)


def template_labels() -> dict[str, Any]:
    """The label functions every template may use (an app-wide context processor)."""
    return {
        "phase_label": labels.phase_label,
        "status_label": labels.proposal_status_label,
        "action_label": labels.action_label,
        "implementation_status": labels.implementation_status_label,
        "boundary_label": labels.boundary_label,
    }


def plain_rules(round_: BudgetRound) -> list[str]:
    """The round's rules as short sentences in plain Dutch."""
    from pb.templating import money

    rules = [_("Er is %(budget)s te verdelen.", budget=money(round_.budget_cents, round_.currency, whole=True))]
    if round_.support_threshold:
        rules.append(ngettext("Een plan heeft %(num)d steunbetuiging nodig. Dan bekijkt de gemeente of het kan.",
                              "Een plan heeft %(num)d steunbetuigingen nodig. Dan bekijkt de gemeente of het kan.",
                              round_.support_threshold))
    else:
        rules.append(_("De gemeente bekijkt elk ingediend plan."))
    rules.append(_("Alleen plannen die de gemeente haalbaar vindt, komen op het stembiljet."))
    rules.append(labels.ballot_type_label(round_.ballot_type) + ".")
    if round_.ballot_type in (BallotType.K_APPROVAL, BallotType.RANKED) and round_.max_projects:
        rules.append(_("U kiest maximaal %(n)d projecten.", n=round_.max_projects))
    if round_.ballot_type == BallotType.KNAPSACK:
        rules.append(_("De projecten die u kiest, kosten samen niet meer dan het budget."))
        if round_.min_budget_share_pct:
            rules.append(_("U besteedt minstens %(p)d procent van het budget.", p=round_.min_budget_share_pct))
    if round_.ballot_type == BallotType.CUMULATIVE and round_.points_total:
        rules.append(_("U verdeelt %(n)d punten over de projecten.", n=round_.points_total))
        if round_.points_max_per_project:
            rules.append(_("Eén project krijgt van u hoogstens %(n)d punten.", n=round_.points_max_per_project))
    if round_.min_projects:
        rules.append(_("U kiest minstens %(n)d projecten.", n=round_.min_projects))
    if round_.min_age and round_.max_age:
        rules.append(_("U mag stemmen als u %(a)d tot en met %(b)d jaar oud bent.", a=round_.min_age, b=round_.max_age))
    elif round_.min_age:
        rules.append(_("U mag stemmen vanaf %(a)d jaar.", a=round_.min_age))
    elif round_.max_age:
        rules.append(_("U mag stemmen tot en met %(b)d jaar.", b=round_.max_age))
    rules.append(_("U kunt uw stem wijzigen tot het stemmen sluit.") if round_.allow_revote
                 else _("Uw stem is definitief zodra u die heeft uitgebracht."))
    rules.append(_("Telregel: %(rule)s. Bij gelijke stand: %(tie)s.",
                   rule=labels.counting_rule_label(round_.counting_rule).lower(),
                   tie=labels.tie_break_label(round_.tie_break).lower()))
    rules.append(_("Als het stemmen begint, liggen het budget, de regels en de projecten vast."))
    return rules


def _moment(value: object) -> str:
    import datetime as dt

    from pb.templating import datumtijd

    try:
        return datumtijd(dt.datetime.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def _value(key: str, value: object) -> str:
    from pb.templating import euro

    if value is None:
        return "-"
    if key.endswith("_cents") and isinstance(value, int):
        return euro(value)
    if key.endswith("_at"):
        return _moment(value)
    if key == "status":
        return labels.proposal_status_label(str(value))
    if key in ("rule", "counting_rule"):
        return labels.rule_label(str(value))
    if key == "ballot_type":
        return labels.ballot_type_label(str(value))
    if key == "tie_break":
        return labels.tie_break_label(str(value))
    if key == "implementation_status":
        return labels.implementation_status_label(str(value))
    if key == "milestone_on":
        from pb.templating import datum

        try:
            return datum(dt.date.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    if isinstance(value, bool):
        return _("ja") if value else _("nee")
    return str(value)


def history_rows(entries: list[Any], hidden_ids: set[int] | frozenset[int] = frozenset()) -> list[dict[str, Any]]:
    """Public audit entries as readable lines: when, what, before -> after, why.

    Titles of hidden (moderated) proposals are not repeated in the history.
    """
    rows = []
    for entry in entries:
        before, after = entry.before, entry.after
        title = after.get("title") or before.get("title")
        hidden = entry.object_type == "proposal" and entry.object_id.isdigit() and int(entry.object_id) in hidden_ids
        if hidden:
            title = _("een verborgen plan")
        changes = []
        for key in sorted(set(before) | set(after)):
            if before.get(key) == after.get(key):
                continue
            label = labels.history_field_label(key)
            if label is None:
                continue  # internal fields (hashes, counts, ids) stay out of the public history
            if key in before:
                changes.append(f"{label}: {_value(key, before.get(key))} → {_value(key, after.get(key))}")
            else:
                changes.append(f"{label}: {_value(key, after.get(key))}")
        if entry.action == "round.create":
            changes = []
        rows.append({"at": entry.at, "action": entry.action, "title": title, "changes": changes,
                     "reason": entry.reason, "object_type": entry.object_type, "object_id": entry.object_id,
                     "link": entry.object_type == "proposal" and not hidden})
    return rows


CHART_TOP = 20  # bars in the scores chart; every project is in the table below it
CHART_SCALE = 1000  # bar lengths in SVG user units (a bar's viewBox is this wide)


@dataclass(frozen=True)
class ChartBar:
    """One bar of the scores chart: its length out of ``CHART_SCALE``, the name and the score."""

    length: int
    label: str
    score: str
    selected: bool


def score_text(value: int | str | Fraction) -> str:
    """A score in the page's number format (Dutch: 2,50): whole, or with two decimals."""
    number = Fraction(value)
    if number.denominator == 1:
        return str(number.numerator)
    return format_decimal(float(number), format="0.00")


def chart(record: OutcomeRecord, top: int = CHART_TOP) -> list[ChartBar]:
    """The scores chart of a stored outcome: the ``top`` projects with the most votes, most first.

    Large rounds (hundreds of projects) keep a chart of readable size; the table lists them all.
    """
    projects = sorted(record.projects, key=lambda p: -p.score)[:top]
    most = max((p.score for p in projects), default=Fraction(0)) or Fraction(1)
    return [ChartBar(length=max(int(p.score / most * CHART_SCALE), 2), label=p.name,
                     score=score_text(p.score), selected=p.selected) for p in projects]


def projects_in_order(record: OutcomeRecord) -> list[ProjectRecord]:
    """The projects of a stored outcome for the results table: funded first, most votes first."""
    return sorted(record.projects, key=lambda p: (not p.selected, -p.score))


def turnout_percent(ballots: int, eligible: int | None) -> str:
    """Ballots per eligible resident as a percentage with one decimal in the page's language, or ""."""
    if not eligible:
        return ""
    tenths = (Fraction(ballots * 1000, eligible) + Fraction(1, 2)).__floor__()
    return format_decimal(float(Fraction(tenths, 10)), format="#,##0.0")


def money_cents(value: int | str | Fraction) -> int:
    """An engine amount from the stored outcome (euros: int or "p/q") as cents, rounded half up."""
    amount = Fraction(value) * 100
    return int((amount + Fraction(1, 2)).__floor__())


@dataclass(frozen=True)
class StoryStep:
    """One round of Equal Shares told for residents."""

    number: int
    name: str
    supporters: int
    paid_cents: int
    max_payment_cents: int
    runners_up: tuple[tuple[str, int], ...]  # (name, effective support in whole percent)


def equal_shares_story(record: OutcomeRecord) -> list[StoryStep]:
    """The rounds of an Equal Shares count as steps with project names and money in cents."""
    names = {p.id: p.name for p in record.projects}
    return [StoryStep(number=step.round, name=names.get(step.project, step.project), supporters=step.supporters,
                      paid_cents=money_cents(step.paid), max_payment_cents=money_cents(step.max_payment),
                      runners_up=tuple((names.get(r.project, r.project), int(r.effective_support * 100))
                                       for r in step.runners_up))
            for step in record.trace.shares_rounds]


@dataclass(frozen=True)
class Add1Story:
    """Equal Shares with Add1 for residents: each voter's starting and final share, and the steps."""

    start_cents: int
    final_cents: int
    iterations: int


def add1_summary(record: OutcomeRecord) -> Add1Story | None:
    """For Equal Shares with Add1: each voter's starting and final share in cents, and the steps."""
    add1 = record.trace.add1
    if add1 is None:
        return None
    return Add1Story(start_cents=money_cents(add1.share_start), final_cents=money_cents(add1.share_final),
                     iterations=add1.iterations)


class RuleFamily(StrEnum):
    """The counting rules a results page explains, one explanation each."""

    EQUAL_SHARES = "equal_shares"
    PHRAGMEN = "phragmen"
    MAX_WELFARE = "max_welfare"
    GREEDY_NO_SKIP = "greedy_no_skip"
    GREEDY_THRESHOLD = "greedy_threshold"
    GREEDY = "greedy"


@dataclass(frozen=True)
class RuleExplanation:
    """How a result was counted, as typed facts for the results page (no rule ids in templates)."""

    family: RuleFamily
    add1: bool  # Equal Shares with the Add1 completion
    greedy_completion: bool  # Equal Shares completed by greedy
    pabutools_call: str  # the pabutools rule that recounts it


_RULE_FAMILY = {
    "phragmen": RuleFamily.PHRAGMEN,
    "max-welfare": RuleFamily.MAX_WELFARE,
    "greedy-no-skip": RuleFamily.GREEDY_NO_SKIP,
    "greedy-threshold": RuleFamily.GREEDY_THRESHOLD,
}


def rule_explanation(rule: str) -> RuleExplanation:
    """The explanation of the engine rule ``rule`` (for example ``equalshares/add1``)."""
    name, _sep, completion = rule.partition("/")
    family = RuleFamily.EQUAL_SHARES if name == "equalshares" else _RULE_FAMILY.get(rule, RuleFamily.GREEDY)
    if family is RuleFamily.EQUAL_SHARES:
        call = "method_of_equal_shares(instance, profile, sat_class=Cost_Sat, voter_budget_increment=1)"
    elif family is RuleFamily.PHRAGMEN:
        call = "sequential_phragmen(instance, profile)"
    else:
        call = "greedy_utilitarian_welfare(instance, profile, sat_class=Cardinality_Sat)"
    return RuleExplanation(family=family, add1=family is RuleFamily.EQUAL_SHARES and "add1" in completion,
                           greedy_completion=family is RuleFamily.EQUAL_SHARES and "greedy" in completion,
                           pabutools_call=call)
