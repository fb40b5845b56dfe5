"""Equal Shares with Add1, whole process: ``python -m pb.tally`` against pabutools 1.2.3.

Usage: python bench/vs_pabutools_process.py [--dir DIR] [--repeats N] [STEM ...]

Each repeat runs, one after the other (interleaved), our command
``python -m pb.tally FILE --rule equalshares/add1 --json`` and a pabutools process (import,
``parse_pabulib``, multiprofile, ``method_of_equal_shares`` with cost satisfaction,
``voter_budget_increment=1`` and a file-order tie-break), and prints per file the best and
median wall time and CPU time (user + system of the child) of each side, the speed-ups and
whether the selections agree. Default files: Poland_Lodz_2022, Netherlands_Amsterdam_252,
Netherlands_Assen_2024 (the issue-19 targets: 100x, 100x, 10x).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PABUTOOLS = """
import sys
from pabutools.election import Cost_Sat, parse_pabulib
from pabutools.rules import method_of_equal_shares
from pabutools.tiebreaking import TieBreakingRule
inst, prof = parse_pabulib(sys.argv[1])
with open(sys.argv[1], encoding="utf-8") as f:
    ids = []
    section = None
    for line in f:
        line = line.strip()
        if line in ("META", "PROJECTS", "VOTES"):
            section, header = line, True
            continue
        if section == "PROJECTS":
            if header:
                header = False
                continue
            ids.append(line.split(";")[0])
order = {pid: i for i, pid in enumerate(ids)}
tb = TieBreakingRule(lambda i, pr, p: order[p.name])
out = method_of_equal_shares(inst, prof.as_multiprofile(), sat_class=Cost_Sat,
                             voter_budget_increment=1, tie_breaking=tb)
print(sorted(p.name for p in out))
"""


TARGETS = {"Poland_Lodz_2022": 100, "Netherlands_Amsterdam_252": 100, "Netherlands_Assen_2024": 10}
"""Issue 19: how many times faster than pabutools 1.2.3 each file must count (whole process)."""


def timed_process(cmd: list[str]) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the child, stdout) of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu, result.stdout


def main() -> None:
    """Run the interleaved comparison and print one line per file."""
    default = ROOT / ".." / "shared" / "pabulib"
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", default=os.environ.get("PB_PABULIB_DIR", str(default)))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("stems", nargs="*", default=["Poland_Lodz_2022",
                                                     "Netherlands_Amsterdam_252",
                                                     "Netherlands_Assen_2024"])
    args = parser.parse_args()
    print(f"{'file':28} {'ours wall':>10} {'ours cpu':>9} {'pabu wall':>10} {'pabu cpu':>9} "
          f"{'x wall':>7} {'x cpu':>7} same  (best of {args.repeats}; median in brackets)")
    for stem in args.stems:
        path = str(Path(args.dir) / f"{stem}.pb")
        ours, theirs = [], []
        same = True
        for _ in range(args.repeats):
            wall, cpu, out = timed_process([sys.executable, "-m", "pb.tally", path,
                                            "--rule", "equalshares/add1", "--json"])
            ours.append((wall, cpu))
            selected = sorted(json.loads(out)["selected"])
            wall, cpu, out = timed_process([sys.executable, "-c", PABUTOOLS, path])
            theirs.append((wall, cpu))
            same = same and selected == sorted(eval(out))  # noqa: S307 a printed list of str
        ow, oc = min(w for w, _ in ours), min(c for _, c in ours)
        pw, pc = min(w for w, _ in theirs), min(c for _, c in theirs)
        mw = (statistics.median(w for w, _ in theirs) / statistics.median(w for w, _ in ours))
        print(f"{stem[:28]:28} {ow:10.2f} {oc:9.2f} {pw:10.2f} {pc:9.2f} {pw / ow:6.1f}x "
              f"{pc / oc:6.1f}x {same!s:5} ({mw:.1f}x)", flush=True)
        goal = TARGETS.get(stem)
        if goal is not None:
            # Met when the best wall-clock ratio and the CPU ratio both reach the goal.
            met = min(pw / ow, pc / oc) >= goal
            print(f"  target (issue 19) at least {goal}x faster than pabutools as a whole "
                  f"process: {'met' if met else 'NOT met'}", flush=True)


if __name__ == "__main__":
    main()
