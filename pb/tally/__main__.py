"""Command line: ``python -m pb.tally FILE.pb [FILE.pb ...] [--rule R] [--tie-break T] [--json]
[--explain] [--lang nl|en] [--reference]``.

Without ``--rule`` each file is counted with its META rule when the engine supports it. With
``--json`` one JSON object per file per line: ``file``, ``rule``, ``budget``, ``spent``,
``selected`` (ids as strings), ``tie_break``, plus ``official_match`` when the file has a
``selected`` column. Errors go to stderr; the other files are still processed and the exit code
is 1 if any file failed (2 for bad arguments).

``--reference`` counts Equal Shares rules with the reference implementation
(:mod:`pb.tally.rules.equalshares.reference`: the definition in exact arithmetic, short enough to
audit, slow on city elections) instead of the fast one; the printed line and the JSON record
are the same, ``--explain`` lists the rounds with their exact prices and the Add1 summary.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from pb.tally.errors import TallyError
from pb.tally.model import Election
from pb.tally.numbers import format_money, to_json_number
from pb.tally.pabulib import read_pb
from pb.tally.rules import RULES, tally
from pb.tally.tiebreak import TieBreak


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of the tally command."""
    parser = argparse.ArgumentParser(prog="python -m pb.tally",
                                     description="Count participatory-budgeting elections.")
    parser.add_argument("files", nargs="+", metavar="FILE.pb")
    parser.add_argument("--rule", choices=sorted(RULES), help="default: the file's META rule")
    parser.add_argument("--tie-break", default="file-order",
                        help="file-order (default), lower-cost, higher-cost or lottery:SEED")
    parser.add_argument("--json", action="store_true", help="one JSON object per file per line")
    parser.add_argument("--explain", action="store_true", help="print every decision and step")
    parser.add_argument("--lang", choices=("nl", "en"), default="en",
                        help="language of --explain")
    parser.add_argument("--reference", action="store_true",
                        help="count Equal Shares with the short, exact reference implementation")
    return parser


REFERENCE_RULES = {"equalshares": (False, False), "equalshares/add1": (True, False),
                   "equalshares/add1+greedy": (True, True)}
"""Rules ``--reference`` counts: name -> (Add1, greedy fill)."""


def reference_count(election: Election, rule: str | None, tie_break: TieBreak
                    ) -> tuple[str, tuple[int, ...], list[str]]:
    """(rule, selected indices in file order, explanation lines) from the reference."""
    from pb.tally.rules.equalshares import reference

    name = rule or election.rule or ""
    if name not in REFERENCE_RULES:
        raise TallyError(f"--reference counts only {', '.join(REFERENCE_RULES)}, not {name!r}")
    add1, fill = REFERENCE_RULES[name]
    count = reference.equal_shares(election, tie_break, add1=add1, fill=fill)
    ids = [p.id for p in election.projects]
    lines = [f"round {k}: {ids[q]} at {to_json_number(rho)} per unit of utility"
             for k, (q, rho) in enumerate(count.rounds, 1)]
    if count.add1 is not None:
        lines.append("add1: " + json.dumps({k: to_json_number(v) if k.startswith("share")
                                            else v for k, v in count.add1.items()}))
    return name, tuple(sorted(set(count.selected))), lines


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return the exit code."""
    args = build_parser().parse_args(argv)
    try:
        tie_break = TieBreak.parse(args.tie_break)
    except TallyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    failed = 0
    for path in args.files:
        try:
            election = read_pb(path)
            if args.reference:
                rule, selected, lines = reference_count(election, args.rule, tie_break)
            else:
                outcome = tally(election, args.rule, tie_break)
                rule, selected = outcome.rule, outcome.selected
        except (TallyError, OSError) as exc:
            failed += 1
            where = "" if isinstance(exc, TallyError) and exc.source else f"{path}: "
            print(f"error: {where}{exc}", file=sys.stderr)
            continue
        official = {p.id for p in election.projects if (p.official_selected or 0) >= 1}
        selected_ids = [election.projects[q].id for q in selected]
        spent = election.cost(selected)
        if args.json:
            record = {"file": path, "rule": rule,
                      "budget": to_json_number(election.budget),
                      "spent": to_json_number(spent),
                      "selected": selected_ids,
                      "tie_break": tie_break.to_dict()}
            if official:
                must = {p.id for p in election.projects if p.official_selected == 1}
                record["official_match"] = must <= set(selected_ids) <= official
            if args.explain:
                record["outcome"] = (
                    {"reference": lines} if args.reference else outcome.to_dict())
            print(json.dumps(record, ensure_ascii=False, sort_keys=True))
        else:
            cur = election.currency
            print(f"{path}: {rule}: {len(selected)} projects, spent "
                  f"{format_money(spent, cur, 'en')} of "
                  f"{format_money(election.budget, cur, 'en')}: {' '.join(selected_ids)}")
            if args.explain:
                print("\n".join(lines) if args.reference else outcome.explain(args.lang))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
