"""Add1 runs against the oracle bound on every shared file, by counting (no timing, no noise).

Usage: python bench/add1_runs.py [--dir DIR] [STEM ...]

Per file: Add1 steps, outcome changes on the way, full runs and guided runs made, and
runs / (changes + 1), the oracle bound in runs (an oracle that jumped from one outcome to the
next would need changes + 1 runs). Guided runs usually stop early and cost less than a full
run, so the time ratio lies between (full runs) / (changes + 1) and this ratio. A summary
prints the distribution and the worst files.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pb.tally import TieBreak, read_pb, tally  # noqa: E402
from pb.tally.rules.equalshares import fast  # noqa: E402


def count(path: Path) -> tuple[int, int, int, int]:
    """(steps, changes, full runs, guided runs) of equalshares/add1 on one file."""
    election = read_pb(path)
    calls = {"full": 0, "guided": 0, "changes": 0, "last": None}
    real = fast._mes_run_ballots

    def counting(*args: Any, **kwargs: Any) -> Any:
        run = real(*args, **kwargs)
        if kwargs.get("trace"):
            return run
        if kwargs.get("guide") is not None:
            calls["guided"] += 1
        else:
            calls["full"] += 1
            if calls["last"] not in (None, run.selected):
                calls["changes"] += 1
            calls["last"] = run.selected
        return run

    fast._mes_run_ballots = counting
    try:
        outcome = tally(election, "equalshares/add1", TieBreak())
    finally:
        fast._mes_run_ballots = real
    return (outcome.trace["add1"]["iterations"], calls["changes"], calls["full"],
            calls["guided"])


def main() -> None:
    """Count every file and print the table and the summary."""
    default = Path(__file__).resolve().parents[1] / ".." / "shared" / "pabulib"
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", default=os.environ.get("PB_PABULIB_DIR", str(default)))
    parser.add_argument("stems", nargs="*")
    args = parser.parse_args()
    folder = Path(args.dir)
    stems = args.stems or sorted(p.stem for p in folder.glob("*.pb"))
    ratios: list[tuple[float, float, str]] = []
    print(f"{'file':44} {'steps':>7} {'changes':>7} {'full':>5} {'guided':>6} {'ratio':>6}")
    for stem in stems:
        steps, changes, full, guided = count(folder / f"{stem}.pb")
        ratio = (full + guided) / (changes + 1)
        ratios.append((ratio, full / (changes + 1), stem))
        print(f"{stem[:44]:44} {steps:7d} {changes:7d} {full:5d} {guided:6d} {ratio:6.1f}",
              flush=True)
    ratios.sort()
    within = sum(1 for r, _, _ in ratios if r <= 2)
    full_within = sum(1 for _, f, _ in ratios if f <= 2)
    print(f"\n{len(ratios)} files: runs / (changes + 1) <= 2 on {within}; full runs alone "
          f"<= 2 on {full_within}; median {ratios[len(ratios) // 2][0]:.1f}; worst:")
    for ratio, full_ratio, stem in ratios[-8:]:
        print(f"  {stem:44} {ratio:6.1f} (full runs only {full_ratio:.1f})")


if __name__ == "__main__":
    main()
