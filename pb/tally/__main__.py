"""Command line: ``python -m pb.tally FILE.pb [FILE.pb ...] [--rule R] [--tie-break T] [--json]
[--explain] [--lang nl|en]``.

Without ``--rule`` each file is counted with its META rule when the engine supports it. With
``--json`` one JSON object per file per line: ``file``, ``rule``, ``budget``, ``spent``,
``selected`` (ids as strings), ``tie_break``, plus ``official_match`` when the file has a
``selected`` column. Errors go to stderr; the other files are still processed and the exit code
is 1 if any file failed (2 for bad arguments).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from pb.tally.errors import TallyError
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
    return parser


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
            outcome = tally(election, args.rule, tie_break)
        except (TallyError, OSError) as exc:
            failed += 1
            where = "" if isinstance(exc, TallyError) and exc.source else f"{path}: "
            print(f"error: {where}{exc}", file=sys.stderr)
            continue
        official = {p.id for p in election.projects if (p.official_selected or 0) >= 1}
        if args.json:
            record = {"file": path, "rule": outcome.rule,
                      "budget": to_json_number(outcome.budget),
                      "spent": to_json_number(outcome.spent),
                      "selected": list(outcome.selected_ids),
                      "tie_break": tie_break.to_dict()}
            if official:
                must = {p.id for p in election.projects if p.official_selected == 1}
                record["official_match"] = must <= set(outcome.selected_ids) <= official
            if args.explain:
                record["outcome"] = outcome.to_dict()
            print(json.dumps(record, ensure_ascii=False, sort_keys=True))
        else:
            cur = election.currency
            print(f"{path}: {outcome.rule}: {len(outcome.selected)} projects, spent "
                  f"{format_money(outcome.spent, cur, 'en')} of "
                  f"{format_money(outcome.budget, cur, 'en')}: {' '.join(outcome.selected_ids)}")
            if args.explain:
                print(outcome.explain(args.lang))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
