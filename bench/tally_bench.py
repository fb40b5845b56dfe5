"""Benchmark pb.tally against pabutools 1.2.3 on the large and the Dutch pabulib files.

Usage: python bench/tally_bench.py [--dir DIR] [--pabutools-mes STEM ...] [--quick | --all]
[--synthetic | --synthetic-only]

For each file (the three large ones and the Dutch ones; --quick only the large ones, --all every
shared file): parse time (read + merged profile), then the time of every rule; the ratio column
is rule time / parse time, and a summary counts per rule the files where the rule took longer
than the parse. Then Add1 in detail for the large files and the worst ratios: steps, outcome
changes, runs made, one run's time and the time of (changes + 1) runs, which even an oracle
that jumped from one outcome to the next would need. pabutools: parse + multiprofile, and exact MES with Add1
(``voter_budget_increment=1``, cost satisfaction) on the files given with --pabutools-mes
(default Netherlands_Assen_2024, Netherlands_Amsterdam_252 and Poland_Lodz_2022, the files of
the 50x target; pabutools needs about 30 s and 50 s for the last two on a quiet machine), with
the speed-up of our equalshares/add1 (caps off, as pabutools has none).
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from pb.tally import RULES, Election, TieBreak, read_pb, tally  # noqa: E402
from pb.tally.rules.equalshares import fast as equalshares  # noqa: E402
from pb.tally.rules.equalshares import equal_shares_add1  # noqa: E402
from synthetic import synthetic_election  # noqa: E402

LARGE = ["Poland_Lodz_2022", "Poland_Krakow_2024", "Poland_Warszawa_2026"]


def timed(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    """(result, seconds) of one call."""
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def parsed(path: Path) -> tuple[Election, float]:
    """(election with its merged profile, seconds): the parse time every ratio divides by."""
    start = time.perf_counter()
    election = read_pb(path)
    _ = election.profile
    return election, time.perf_counter() - start


def add1_detail(cases: list[tuple[str, Callable[[], tuple[Election, float]]]]) -> None:
    """Why Add1 takes longer than the parse: every distinct outcome on the way costs a run.

    Per case (a name and a loader returning the election and its parse time): Add1 steps,
    outcome changes on the way, MES runs made (with skipping; guided runs in brackets), the time
    of one MES run at the start share, the least time any step-by-step Add1 could take even if
    an oracle led it straight from one outcome to the next ((changes + 1) runs), our time and
    its ratio to that bound, CPU seconds and the peak memory of the process so far.
    """
    print("\nAdd1 in detail (one timing each; the machine is shared, so noisy):")
    print(f"{'file':32} {'parse':>7} {'steps':>7} {'changes':>7} {'runs':>12} {'one run':>8} "
          f"{'oracle':>8} {'oracle/parse':>12} {'ours':>7} {'ours/oracle':>11} {'cpu':>7} "
          f"{'peak MB':>7}")
    for name, load in cases:
        election, parse = load()
        prep = equalshares._prepare(election, TieBreak(), True)
        share = Fraction(election.budget) / prep.n
        one = min(timed(equalshares._mes_run_ballots, prep, share)[1] for _ in range(3))
        calls = {"runs": 0, "guided": 0, "changes": 0, "last": None}
        real = equalshares._mes_run_ballots

        def counting(*args: Any, **kwargs: Any) -> Any:
            run = real(*args, **kwargs)
            calls["runs"] += 1
            calls["guided"] += kwargs.get("guide") is not None
            if run is not None and not kwargs.get("trace"):
                if kwargs.get("guide") is None and calls["last"] not in (None, run.selected):
                    calls["changes"] += 1
                calls["last"] = run.selected
            return run

        equalshares._mes_run_ballots = counting
        try:
            cpu = time.process_time()
            outcome, ours = timed(tally, election, "equalshares/add1", TieBreak())
            cpu = time.process_time() - cpu
        finally:
            equalshares._mes_run_ballots = real
        oracle = (calls["changes"] + 1) * one
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        runs = f"{calls['runs']}({calls['guided']})"
        print(f"{name[:32]:32} {parse:7.4f} {outcome.trace['add1']['iterations']:7d} "
              f"{calls['changes']:7d} {runs:>12} {one:8.4f} {oracle:8.4f} "
              f"{oracle / parse:12.1f} {ours:7.3f} {ours / oracle:11.2f} {cpu:7.2f} {peak:7.0f}",
              flush=True)
        verdict = f"{'met' if ours <= 2 * oracle else 'NOT met'}"
        if name == "synthetic 200x1000000":
            verdict += f"; under 10 s: {'met' if ours < 10 else 'NOT met'}"
        print(f"  target (issue 19) within 2x of the oracle bound: {verdict}", flush=True)
        del election, outcome, prep


def file_case(folder: Path, stem: str) -> tuple[str, Callable[[], tuple[Election, float]]]:
    """A shared pabulib file as an Add1 case."""
    return stem, lambda: parsed(folder / f"{stem}.pb")


def synthetic_case(m: int, n: int) -> tuple[str, Callable[[], tuple[Election, float]]]:
    """A synthetic approval election (bench/synthetic.py, seed 2026) as an Add1 case; its
    "parse" column is the time to generate it."""
    return f"synthetic {m}x{n}", lambda: timed(synthetic_election, m, n)


def main() -> None:
    """Run the benchmark and print the tables."""
    default = Path(__file__).resolve().parents[1] / ".." / "shared" / "pabulib"
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", default=os.environ.get("PB_PABULIB_DIR", str(default)))
    parser.add_argument("--pabutools-mes", nargs="*",
                        default=["Netherlands_Assen_2024", "Netherlands_Amsterdam_252",
                                 "Poland_Lodz_2022"])
    parser.add_argument("--quick", action="store_true", help="only the large files")
    parser.add_argument("--all", action="store_true", help="every shared file")
    parser.add_argument("--synthetic", action="store_true",
                        help="add the synthetic 500x100,000 and 200x1,000,000 Add1 cases")
    parser.add_argument("--synthetic-only", action="store_true",
                        help="only the synthetic Add1 cases")
    args = parser.parse_args()
    folder = Path(args.dir)
    if args.all:
        stems = LARGE + sorted(p.stem for p in folder.glob("*.pb") if p.stem not in LARGE)
    else:
        stems = LARGE + ([] if args.quick else
                         sorted(p.stem for p in folder.glob("Netherlands_*.pb")))
    if args.synthetic_only:
        stems = []
    rules = list(RULES)
    print(f"{'file':32} {'parse':>7} " + " ".join(f"{r[:14]:>14}" for r in rules))
    worst: dict[str, tuple[float, str]] = {}
    slower: dict[str, int] = {rule: 0 for rule in rules}
    add1_ratio: dict[str, float] = {}
    for stem in stems:
        election, parse = parsed(folder / f"{stem}.pb")
        cells = []
        for rule in rules:
            _, t = timed(tally, election, rule, TieBreak())
            cells.append(f"{t:8.3f}({t / parse:4.1f})")
            slower[rule] += t > parse
            if rule == "equalshares/add1":
                add1_ratio[stem] = t / parse
            if t / parse > worst.get(rule, (0.0, ""))[0]:
                worst[rule] = (t / parse, stem)
        print(f"{stem[:32]:32} {parse:7.3f} " + " ".join(f"{c:>14}" for c in cells))
    print(f"\nper rule: worst rule/parse ratio, and on how many of the {len(stems)} files the "
          "rule took longer than the parse:")
    for rule, (ratio, stem) in worst.items():
        print(f"  {rule:24} {ratio:8.2f}  {slower[rule]:4d}  {stem}")
    if not args.synthetic_only:
        stems_detail = LARGE + sorted(set(add1_ratio) - set(LARGE), key=add1_ratio.get)[-8:]
        add1_detail([file_case(folder, stem) for stem in stems_detail])
    if args.synthetic or args.synthetic_only:
        add1_detail([synthetic_case(500, 100_000), synthetic_case(200, 1_000_000)])
        if args.synthetic_only:
            return
    try:
        from pabutools.election import Cost_Sat, parse_pabulib
        from pabutools.rules import method_of_equal_shares
        from pabutools.tiebreaking import TieBreakingRule
    except ImportError:
        print("pabutools not installed: no comparison")
        return
    print(f"\n{'file':32} {'pabu parse+multi':>17} {'pabu MES+Add1':>14} {'ours parse':>11} "
          f"{'ours MES+Add1':>14} {'speed-up':>9} {'same':>5}")
    for stem in args.pabutools_mes:
        # Each side is timed on its own, after a collection, with none of the other's objects
        # alive: ours first (read, merged profile, rule), then pabutools.
        path = folder / f"{stem}.pb"
        gc.collect()
        election, o_parse = timed(read_pb, path)
        start = time.perf_counter()
        _ = election.profile
        ours = equal_shares_add1(election, use_caps=False)
        o_mes = time.perf_counter() - start
        order = {p.id: i for i, p in enumerate(election.projects)}
        ours_ids = set(ours.selected_ids)
        del election, ours
        gc.collect()
        start = time.perf_counter()
        inst, prof = parse_pabulib(str(path))
        multi = prof.as_multiprofile()
        p_parse = time.perf_counter() - start
        tb = TieBreakingRule(lambda i, pr, p: order[p.name])
        ref, p_mes = timed(method_of_equal_shares, inst, multi, sat_class=Cost_Sat,
                           voter_budget_increment=1, tie_breaking=tb)
        same = {p.name for p in ref} == ours_ids
        del inst, prof, multi, ref
        print(f"{stem[:32]:32} {p_parse:17.3f} {p_mes:14.3f} {o_parse:11.3f} {o_mes:14.3f} "
              f"{(p_parse + p_mes) / (o_parse + o_mes):8.1f}x {str(same):>5}")

if __name__ == "__main__":
    main()
