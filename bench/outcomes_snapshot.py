"""Snapshot every rule's JSON outcome on every pabulib file, or compare against a snapshot.

Usage::

    python bench/outcomes_snapshot.py OUT_DIR [--dir PABULIB_DIR] [--rules R ...] [--files STEM ...]
    python bench/outcomes_snapshot.py NEW_DIR --compare OLD_DIR

The first form writes ``OUT_DIR/<file stem>/<rule>.json`` (``/`` in a rule id becomes ``__``):
``Outcome.to_dict()`` with the trace, as ``json.dumps(..., sort_keys=True, ensure_ascii=False)``;
a file or rule that fails writes ``{"error": "<type>: <message>"}`` instead, so failures are
compared too. The second form compares two snapshot directories byte for byte and prints every
difference (exit 1 if any). An optimisation that must not change outcomes is checked by
snapshotting before and after and comparing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pb.tally import TallyError, TieBreak, read_pb, tally  # noqa: E402

RULE_IDS = ["greedy", "greedy-no-skip", "greedy-threshold", "equalshares", "equalshares/add1",
            "equalshares/add1+greedy", "phragmen", "max-welfare"]


def snapshot(folder: Path, out: Path, rules: list[str], stems: list[str]) -> int:
    """Write one JSON file per (file, rule); return the number of outcomes written."""
    written = 0
    for stem in stems:
        target = out / stem
        target.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        try:
            election = read_pb(folder / f"{stem}.pb")
            load_error = None
        except (TallyError, OSError) as exc:
            load_error = f"{type(exc).__name__}: {exc}"
        for rule in rules:
            if load_error is not None:
                record: dict[str, object] = {"error": load_error}
            else:
                try:
                    record = tally(election, rule, TieBreak()).to_dict()
                except TallyError as exc:
                    record = {"error": f"{type(exc).__name__}: {exc}"}
            text = json.dumps(record, sort_keys=True, ensure_ascii=False)
            (target / (rule.replace("/", "__") + ".json")).write_text(text + "\n", "utf-8")
            written += 1
        print(f"{stem}: {time.perf_counter() - start:.2f} s", flush=True)
    return written


def compare(new: Path, old: Path) -> int:
    """Print every outcome that differs or is missing on one side; return how many."""
    names_new = {p.relative_to(new) for p in new.rglob("*.json")}
    names_old = {p.relative_to(old) for p in old.rglob("*.json")}
    bad = 0
    for name in sorted(names_new ^ names_old):
        print(f"only in {'new' if name in names_new else 'old'}: {name}")
        bad += 1
    for name in sorted(names_new & names_old):
        if (new / name).read_bytes() != (old / name).read_bytes():
            print(f"differs: {name}")
            bad += 1
    same = len(names_new & names_old) - sum(
        1 for n in names_new & names_old if (new / n).read_bytes() != (old / n).read_bytes())
    files = {n.parts[0] for n in names_new & names_old}
    print(f"{same} of {len(names_new | names_old)} outcomes identical "
          f"({len(files)} files); {bad} differences")
    return bad


def main() -> int:
    """Parse the arguments, snapshot or compare."""
    default = Path(__file__).resolve().parents[1] / ".." / "shared" / "pabulib"
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("out", type=Path, help="snapshot directory (written or compared)")
    parser.add_argument("--compare", type=Path, metavar="OLD_DIR",
                        help="compare OUT with this earlier snapshot instead of writing")
    parser.add_argument("--dir", type=Path,
                        default=Path(os.environ.get("PB_PABULIB_DIR", str(default))))
    parser.add_argument("--rules", nargs="*", default=RULE_IDS, choices=RULE_IDS)
    parser.add_argument("--files", nargs="*", metavar="STEM", help="default: every .pb file")
    args = parser.parse_args()
    if args.compare is not None:
        return 1 if compare(args.out, args.compare) else 0
    stems = args.files or sorted(p.stem for p in args.dir.glob("*.pb"))
    start = time.perf_counter()
    count = snapshot(args.dir, args.out, args.rules, stems)
    print(f"{count} outcomes ({len(stems)} files x {len(args.rules)} rules) in "
          f"{time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
