"""Recount recipes shown on a results page, generated from the round's real settings (THREAT #28).

Two recipes per published result: our engine's command line, and a Python script that reads the
published ``ballots.pb`` with pabutools (the researchers' library) and counts it with the same
rule, ballot type, score threshold, sub-budgets and tie-break. Both print the selected project ids;
``tests/functional/test_recount_recipes.py`` runs them against published rounds.

Where pabutools has no counterpart (max-welfare's choice among equal optima, Equal Shares or
Phragmén with sub-budgets, Equal Shares followed by greedy) the pabutools recipe is ``None`` and the
page says so instead of showing a recipe that would print something else.
"""

from __future__ import annotations

from dataclasses import dataclass

from pb.tally import VoteType

GREEDY_RULES = ("greedy", "greedy-threshold", "greedy-no-skip")

_SCORE = {
    VoteType.APPROVAL: "score = {p: sum(1 for b in profile if p in b) for p in projects}  # votes",
    VoteType.CHOOSE_1: "score = {p: sum(1 for b in profile if p in b) for p in projects}  # votes",
    VoteType.CUMULATIVE: "score = {p: sum(b.get(p, 0) for b in profile) for p in projects}  # points",
    VoteType.SCORING: "score = {p: sum(b.get(p, 0) for b in profile) for p in projects}  # points",
    VoteType.ORDINAL: ("score = {p: sum(len(b) - list(b).index(p) for b in profile if p in b)"
                       " for p in projects}  # Borda: L points for the first of L, 1 for the last"),
}

_SUPPORTERS = {
    VoteType.APPROVAL: "",
    VoteType.CHOOSE_1: "",
    VoteType.CUMULATIVE: ("profile = ApprovalProfile([ApprovalBallot(p for p in b if b[p] > 0)"
                          " for b in profile])  # supporters: positive points\n"),
    VoteType.SCORING: ("profile = ApprovalProfile([ApprovalBallot(p for p in b if b[p] > 0)"
                       " for b in profile])  # supporters: positive points\n"),
    VoteType.ORDINAL: ("profile = ApprovalProfile([ApprovalBallot(b) for b in profile])"
                       "  # supporters: every ranked project\n"),
}


@dataclass(frozen=True)
class Recipes:
    """The two recount recipes of a published result (``pabutools`` None: no counterpart)."""

    engine: str
    pabutools: str | None
    pabutools_missing: str = ""  # why there is no pabutools recipe (English, for the page's text)


def _tie_break_lines(kind: str, seed: int | None) -> str:
    if kind == "lower-cost":
        return "position = {p: (p.cost, i) for i, p in enumerate(projects)}  # ties: cheapest first\n"
    if kind == "higher-cost":
        return "position = {p: (-p.cost, i) for i, p in enumerate(projects)}  # ties: dearest first\n"
    if kind == "lottery":
        return (f"order = list(range(len(projects)))\nrandom.Random({seed}).shuffle(order)  # ties: the lottery\n"
                "position = {projects[i]: k for k, i in enumerate(order)}\n")
    return "position = {p: i for i, p in enumerate(projects)}  # ties: the order of the file\n"


def _caps_lines() -> str:
    return ('left = {}  # sub-budgets (pabulib budget_per_neighborhood / budget_per_category)\n'
            'for names, limits in (("neighborhoods", "budget_per_neighborhood"), '
            '("categories", "budget_per_category")):\n'
            '    if limits in instance.meta:\n'
            '        for name, limit in zip(instance.meta[names].split(","), instance.meta[limits].split(",")):\n'
            '            left[(names, name.strip())] = Fraction(limit)\n'
            'def groups(p):\n'
            '    hood = instance.project_meta[p].get("neighborhood")\n'
            '    keys = [("neighborhoods", hood)] + [("categories", c) for c in p.categories]\n'
            '    return [k for k in keys if k in left]\n')


def pabutools_recipe(rule: str, vote_type: VoteType, tie_break: str, seed: int | None, *,
                     threshold: bool, caps: bool) -> tuple[str | None, str]:
    """A pabutools script that prints the selection of ``ballots.pb``, or (None, why not)."""
    head = ("import random\nfrom fractions import Fraction\n"
            "from pabutools.election import parse_pabulib, ApprovalProfile, ApprovalBallot, Cost_Sat\n"
            "from pabutools.rules import method_of_equal_shares, sequential_phragmen\n"
            "from pabutools.tiebreaking import TieBreakingRule\n\n"
            'instance, profile = parse_pabulib("ballots.pb")\n'
            "projects = list(instance.project_meta)  # in the order of the file\n")
    ties = _tie_break_lines(tie_break, seed)
    if rule in GREEDY_RULES:
        no_skip = rule == "greedy-no-skip"
        body = _SCORE[vote_type] + "\n" + ties + _caps_lines() * caps
        if threshold:
            body += 'threshold = Fraction(instance.meta["min_project_score_threshold"])\n'
        body += "money = instance.budget_limit\nchosen = []\n"
        body += "for p in sorted(projects, key=lambda p: (-score[p], position[p])):\n"
        if threshold:
            body += "    if score[p] < threshold:\n        continue\n"
        body += "    if score[p] <= 0:\n        continue  # never fund a project without votes\n"
        if no_skip:
            body += "    if p.cost == 999999999:\n        continue  # pabulib's withdrawn project\n"
        body += "    if p.cost > money:\n"
        body += "        break  # greedy-no-skip stops here\n" if no_skip else "        continue\n"
        if caps:
            body += "    if any(p.cost > left[k] for k in groups(p)):\n        continue\n"
            body += "    for k in groups(p):\n        left[k] -= p.cost\n"
        body += "    money -= p.cost\n    chosen.append(p)\n"
        return head + body + "print(sorted(p.name for p in chosen))\n", ""
    if caps:
        return None, "pabutools has no sub-budgets for this rule"
    if rule == "phragmen":
        call = "sequential_phragmen(instance, profile.as_multiprofile(), tie_breaking=tie)"
    elif rule in ("equalshares", "equalshares/add1"):
        extra = ", voter_budget_increment=1" if rule == "equalshares/add1" else ""
        call = (f"method_of_equal_shares(instance, profile.as_multiprofile(), sat_class=Cost_Sat{extra}, "
                "tie_breaking=tie)")
    else:
        return None, "pabutools has no counterpart of this rule with the same choice among ties"
    body = (_SUPPORTERS[vote_type] + ties
            + "tie = TieBreakingRule(lambda inst, prof, p: position[p])\n"
            + f"chosen = {call}\n")
    return head + body + "print(sorted(p.name for p in chosen))\n", ""


def engine_recipe(rule: str, tie_break: str, seed: int | None) -> str:
    """Our engine's command line for the published file."""
    kind = f"{tie_break}:{seed}" if tie_break == "lottery" else tie_break
    return f"python -m pb.tally ballots.pb --rule {rule} --tie-break {kind} --json"


def recipes(rule: str, vote_type: VoteType, tie_break: str, seed: int | None, *, threshold: bool,
            caps: bool) -> Recipes:
    """Both recipes for a published result counted with these settings."""
    script, why = pabutools_recipe(rule, vote_type, tie_break, seed, threshold=threshold, caps=caps)
    return Recipes(engine=engine_recipe(rule, tie_break, seed), pabutools=script, pabutools_missing=why)


def published_meta(pb_text: str) -> dict[str, str]:
    """The META section of a published pabulib text (without reading its ballots)."""
    import csv

    head = pb_text.split("\nPROJECTS\n", 1)[0]
    meta: dict[str, str] = {}
    for row in csv.reader(head.split("\n")[2:], delimiter=";"):
        if len(row) >= 2:
            meta[row[0]] = row[1]
    return meta


def recipes_for(rule: str, tie_break: str, seed: int | str | None, pb_text: str) -> Recipes:
    """The recipes of a published result: its rule and tie-break, the rest from its file's META."""
    meta = published_meta(pb_text)
    number = int(seed) if seed is not None and str(seed).lstrip("-").isdigit() else None
    return recipes(rule, VoteType(meta.get("vote_type", "approval")), tie_break, number,
                   threshold=bool(meta.get("min_project_score_threshold", "").strip()),
                   caps="budget_per_neighborhood" in meta or "budget_per_category" in meta)
