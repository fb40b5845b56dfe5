"""Add1 runs against the oracle bound on every shared file, by counting (no timing, no noise).

Usage: python bench/add1_runs.py [--dir DIR] [STEM ...]

Per file: Add1 steps, outcome changes on the way, full runs, guided runs and guesses made (a
guess is a float replay of a run, :func:`fast._predicted_repeats`, counted here as one run),
and runs / (changes + 1), the oracle bound in runs (an oracle that jumped from one outcome to
the next would need changes + 1 runs). Guided runs usually stop early and cost less than a full
run, so the time ratio lies between (full runs) / (changes + 1) and this ratio. A summary
prints the distribution, the worst files and the issue-19 target line (within 2x of the oracle
bound on every file).
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


def count(path: Path) -> tuple[int, int, int, int, int]:
    """(steps, changes, full runs, guided runs, guesses) of equalshares/add1 on one file."""
    election = read_pb(path)
    calls: dict[str, Any] = {"full": 0, "guided": 0, "changes": 0, "last": None, "guesses": 0}
    real = fast._mes_run_ballots
    real_guess = fast._predicted_repeats

    def guessing(*args: Any, **kwargs: Any) -> Any:
        calls["guesses"] += 1
        return real_guess(*args, **kwargs)

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
    fast._predicted_repeats = guessing
    try:
        outcome = tally(election, "equalshares/add1", TieBreak())
    finally:
        fast._mes_run_ballots = real
        fast._predicted_repeats = real_guess
    return (outcome.trace["add1"]["iterations"], calls["changes"], calls["full"],
            calls["guided"], calls["guesses"])


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
    print(f"{'file':44} {'steps':>7} {'changes':>7} {'full':>5} {'guided':>6} {'guess':>5} "
          f"{'ratio':>6}")
    total_runs = total_bound = 0
    for stem in stems:
        steps, changes, full, guided, guesses = count(folder / f"{stem}.pb")
        ratio = (full + guided + guesses) / (changes + 1)
        total_runs += full + guided + guesses
        total_bound += changes + 1
        ratios.append((ratio, full / (changes + 1), stem))
        print(f"{stem[:44]:44} {steps:7d} {changes:7d} {full:5d} {guided:6d} {guesses:5d} "
              f"{ratio:6.1f}", flush=True)
    ratios.sort()
    within = sum(1 for r, _, _ in ratios if r <= 2)
    full_within = sum(1 for _, f, _ in ratios if f <= 2)
    print(f"\n{len(ratios)} files: runs / (changes + 1) <= 2 on {within}; full runs alone "
          f"<= 2 on {full_within}; median {ratios[len(ratios) // 2][0]:.1f}; worst:")
    for ratio, full_ratio, stem in ratios[-8:]:
        print(f"  {stem:44} {ratio:6.1f} (full runs only {full_ratio:.1f})")
    print(f"all files: {total_runs} runs for an oracle bound of {total_bound} "
          f"({total_runs / max(total_bound, 1):.2f}x)")
    print(f"target (issue 19) Add1 within 2x of the oracle bound (in runs) on every file: "
          f"{'met' if within == len(ratios) else 'NOT met'} ({within} of {len(ratios)})")


if __name__ == "__main__":
    main()
