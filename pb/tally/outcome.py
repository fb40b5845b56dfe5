"""The result of a tally: selected projects, money spent, and why each project was or wasn't funded.

``Outcome.to_dict()`` schema (all numbers exact: ints, or fractions as the string ``"p/q"``)::

    {"rule": str, "budget": num, "spent": num, "selected": [project id, ...] (file order),
     "tie_break": {"kind": str, "seed": int | null}, "currency": str,
     "projects": [{"id", "name", "cost", "score", "selected": bool, "code": str,
                   "data": {...numbers behind the reason...}, "reason_nl": str, "reason_en": str}
                  ...one per project, file order],
     "trace": {...rule-specific steps, see each rule's docstring...}}

Reason codes: ``funded``, ``funded-fill``, ``no-fit``, ``not-reached``, ``below-threshold``,
``cap``, ``withdrawn``, ``no-votes``, ``supporters-short`` (Equal Shares / Phragmén: the
supporters' money or load ran out), ``not-optimal`` (max-welfare).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from pb.tally.model import Election, VoteType
from pb.tally.numbers import Number, format_money, normalise, to_json_number
from pb.tally.tiebreak import TieBreak
from pb.tally.trace import Trace, read_trace

MONEY_KEYS = frozenset({"cost", "remaining", "left", "limit", "cap_left", "paid", "max_payment",
                        "budget"})

_REASONS: dict[str, tuple[str, str]] = {
    "funded": (
        "Gekozen: met {score} {unit_nl} paste het project ({cost}) nog in het resterende budget "
        "van {remaining}.",
        "Funded: with {score} {unit_en} the project ({cost}) still fitted in the remaining budget "
        "of {remaining}.",
    ),
    "no-fit": (
        "Niet gekozen: het project kost {cost}, maar toen het aan de beurt was, was er nog maar "
        "{remaining} over.",
        "Not funded: it costs {cost}, but only {remaining} was left when its turn came.",
    ),
    "not-reached": (
        "Niet gekozen: de verdeling stopte al bij een project met meer {unit_nl} dat niet meer in "
        "het budget paste.",
        "Not funded: the count stopped earlier, at a project with more {unit_en} that no longer "
        "fitted in the budget.",
    ),
    "below-threshold": (
        "Niet gekozen: het project kreeg {score} {unit_nl}; er waren er minstens {threshold} "
        "nodig.",
        "Not funded: it received {score} {unit_en}; at least {threshold} were needed.",
    ),
    "cap": (
        "Niet gekozen: voor {group} mag samen hoogstens {limit} worden uitgegeven; daarvan was nog "
        "{cap_left} over en het project kost {cost}.",
        "Not funded: at most {limit} may be spent in {group}; {cap_left} of that was left and "
        "the project costs {cost}.",
    ),
    "withdrawn": (
        "Niet gekozen: het project is teruggetrokken.",
        "Not funded: the project was withdrawn.",
    ),
    "no-votes": (
        "Niet gekozen: niemand heeft op dit project gestemd.",
        "Not funded: nobody voted for this project.",
    ),
    "mes-funded": (
        "Gekozen in ronde {round}: de {supporters} voorstanders betaalden samen {paid}, ieder "
        "hoogstens {max_payment}.",
        "Funded in round {round}: its {supporters} supporters paid {paid} together, each at most "
        "{max_payment}.",
    ),
    "supporters-short": (
        "Niet gekozen: de voorstanders hadden samen nog {left} over van de {cost} die het kost.",
        "Not funded: its supporters had {left} left of the {cost} it costs.",
    ),
    "funded-fill": (
        "Gekozen bij het opvullen: er bleef geld over en het project ({cost}) paste nog in de "
        "{remaining} die over was.",
        "Funded when filling up: money was left and the project ({cost}) fitted in the "
        "{remaining} that remained.",
    ),
    "phragmen-funded": (
        "Gekozen in ronde {round}: de {supporters} voorstanders konden de kosten als eerste samen "
        "dragen.",
        "Funded in round {round}: its {supporters} supporters were the first who could share "
        "its cost.",
    ),
    "phragmen-no-fit": (
        "Niet gekozen: toen de voorstanders het samen konden dragen, was er nog maar {remaining} "
        "over en het project kost {cost}.",
        "Not funded: when its supporters could share it, only {remaining} was left and it costs "
        "{cost}.",
    ),
    "optimal-funded": (
        "Gekozen: dit project hoort bij de combinatie met de meeste {unit_nl} ({welfare}) die "
        "binnen het budget past.",
        "Funded: it is part of the combination with the most {unit_en} ({welfare}) that fits "
        "in the budget.",
    ),
    "not-optimal": (
        "Niet gekozen: met dit project ({cost}) past geen combinatie met evenveel {unit_nl} "
        "({welfare}) in het budget.",
        "Not funded: no combination that includes it ({cost}) reaches as many {unit_en} "
        "({welfare}) within the budget.",
    ),
}


def score_units(vote_type: VoteType) -> tuple[str, str]:
    """The word for score units in Dutch and English for a ballot format."""
    if vote_type in (VoteType.APPROVAL, VoteType.CHOOSE_1):
        return "stemmen", "votes"
    return "punten", "points"


def _fmt(key: str, value: Any, currency: str, lang: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, Fraction)):
        return str(value)
    if key in MONEY_KEYS:
        return format_money(value, currency, lang)
    if isinstance(value, Fraction) and value.denominator != 1:
        return f"{float(value):.2f}".replace(".", "," if lang == "nl" else ".")
    if abs(Fraction(value)) >= 10000:
        return f"{int(value):,}".replace(",", "." if lang == "nl" else ",")
    return str(value)


@dataclass(frozen=True, slots=True)
class Decision:
    """Why one project was or wasn't funded: a code, the numbers behind it and two sentences.

    The sentences (``reason_nl``, ``reason_en``) are filled in when asked for: counting never
    needs them, and the Add1 loop or a "what if" table would format them for nothing.
    """

    project: str
    selected: bool
    code: str
    data: Mapping[str, Any]
    currency: str = field(default="EUR", compare=False)
    units: tuple[str, str] = field(default=("stemmen", "votes"), compare=False)

    @property
    def reason_nl(self) -> str:
        """The reason in Dutch (B1)."""
        return self._reason("nl")

    @property
    def reason_en(self) -> str:
        """The reason in English."""
        return self._reason("en")

    def _reason(self, lang: str) -> str:
        template = _REASONS[self.code][0 if lang == "nl" else 1]
        fields = {k: _fmt(k, v, self.currency, lang) for k, v in self.data.items()}
        fields.update(unit_nl=self.units[0], unit_en=self.units[1])
        return template.format(**fields)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (without name/cost/score, which :class:`Outcome` adds)."""
        return {"selected": self.selected, "code": self.code,
                "data": {k: _json(v) for k, v in sorted(self.data.items())},
                "reason_nl": self.reason_nl, "reason_en": self.reason_en}


def _json(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int) or hasattr(value, "denominator"):
        return to_json_number(value)
    if isinstance(value, Mapping):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    return value


def decide(election: Election, index: int, selected: bool, code: str,
           **data: Any) -> Decision:
    """Build the :class:`Decision` for project ``index`` with sentences filled from ``data``."""
    project = election.projects[index]
    data.setdefault("cost", project.cost)
    if code not in _REASONS:
        raise KeyError(f"no reason text for {code!r}")
    return Decision(project.id, selected, code, data, election.currency,
                    score_units(election.vote_type))


@dataclass
class Outcome:
    """Selected projects, money spent, a decision per project and a rule-specific trace."""

    election: Election = field(repr=False, compare=False)
    rule: str
    selected: tuple[int, ...]
    tie_break: TieBreak
    decisions: tuple[Decision, ...]
    trace: dict[str, Any]

    def __post_init__(self) -> None:
        self.selected = tuple(sorted(set(self.selected)))

    @property
    def selected_ids(self) -> tuple[str, ...]:
        """Ids of the selected projects in file order."""
        return tuple(self.election.projects[i].id for i in self.selected)

    @property
    def budget(self) -> Number:
        """The election's budget."""
        return self.election.budget

    @property
    def spent(self) -> Number:
        """Total cost of the selected projects."""
        return normalise(self.election.cost(self.selected))

    def decision(self, project_id: str) -> Decision:
        """The decision about one project."""
        return self.decisions[self.election.index[project_id]]

    def typed_trace(self) -> Trace:
        """The rule's trace as typed objects (Equal Shares rounds, the Add1 summary)."""
        return read_trace(self.trace)

    def to_dict(self) -> dict[str, Any]:
        """Stable JSON-serialisable form (schema in the module docstring)."""
        scores = self.election.profile.scores
        projects = []
        for i, (p, d) in enumerate(zip(self.election.projects, self.decisions)):
            entry = {"id": p.id, "name": p.name, "cost": to_json_number(p.cost),
                     "score": to_json_number(scores[i])}
            entry.update(d.to_dict())
            projects.append(entry)
        return {
            "rule": self.rule,
            "budget": to_json_number(self.budget),
            "spent": to_json_number(self.spent),
            "selected": list(self.selected_ids),
            "tie_break": self.tie_break.to_dict(),
            "currency": self.election.currency,
            "projects": projects,
            "trace": _json(self.trace),
        }

    def to_json(self) -> str:
        """``to_dict()`` as compact JSON with sorted keys."""
        return json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False,
                          separators=(",", ":"))

    def explain(self, lang: str = "en") -> str:
        """The decisions as readable text, one line per project, funded ones first."""
        cur = self.election.currency
        head = {
            "nl": f"Regel {self.rule}; budget {format_money(self.budget, cur, 'nl')}, besteed "
                  f"{format_money(self.spent, cur, 'nl')}; gelijke stand: "
                  f"{self.tie_break.describe('nl')}.",
            "en": f"Rule {self.rule}; budget {format_money(self.budget, cur, 'en')}, spent "
                  f"{format_money(self.spent, cur, 'en')}; ties: {self.tie_break.describe('en')}.",
        }[lang]
        lines = [head]
        order = sorted(range(len(self.decisions)), key=lambda i: not self.decisions[i].selected)
        for i in order:
            d = self.decisions[i]
            p = self.election.projects[i]
            mark = "+" if d.selected else "-"
            reason = d.reason_nl if lang == "nl" else d.reason_en
            lines.append(f"{mark} {p.id} {p.name[:50]}: {reason}")
        for line in self.trace_lines():
            lines.append(line)
        return "\n".join(lines)

    def trace_lines(self) -> list[str]:
        """The trace's steps as text lines (one per step)."""
        lines: list[str] = []
        for key in ("steps", "rounds"):
            for step in self.trace.get(key, []):
                lines.append("  " + ", ".join(f"{k}={_short(v)}" for k, v in step.items()))
        add1 = self.trace.get("add1")
        if add1:
            lines.append("  add1: " + ", ".join(f"{k}={_short(v)}" for k, v in add1.items()))
        return lines


def _short(value: Any) -> str:
    if hasattr(value, "denominator") and value.denominator != 1:
        return f"{float(value):.6g}"
    if isinstance(value, list):
        return "[" + "; ".join(_short(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_short(v)}" for k, v in value.items()) + "}"
    return str(value)
