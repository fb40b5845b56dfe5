"""Shared helpers for the tally tests: small elections and the location of the pabulib corpus."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pb.tally import Election, read_pb


def pabulib_dir() -> Path:
    """The shared pabulib folder (env PB_PABULIB_DIR overrides)."""
    env = os.environ.get("PB_PABULIB_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / ".." / "shared" / "pabulib"


def pabulib_files() -> list[Path]:
    """All shared .pb files, or skip the test when the folder is absent."""
    folder = pabulib_dir()
    files = sorted(folder.glob("*.pb")) if folder.is_dir() else []
    if not files:
        pytest.skip(f"pabulib corpus not found in {folder} (set PB_PABULIB_DIR)")
    return files


def pabulib_file(name: str) -> Path:
    """One shared file by stem, or skip."""
    path = pabulib_dir() / f"{name}.pb"
    if not path.is_file():
        pytest.skip(f"pabulib file {path} not found (set PB_PABULIB_DIR)")
    return path


def make(budget: int, costs: dict[str, int], votes: list[str], *, vote_type: str = "approval",
         meta: str = "", points: list[str] | None = None) -> Election:
    """Build an election from a compact description (votes as "a,b" strings)."""
    lines = ["META", "key;value", f"budget;{budget}", f"vote_type;{vote_type}"]
    lines += [m for m in meta.split("\n") if m]
    lines += ["PROJECTS", "project_id;cost;name"]
    lines += [f"{pid};{cost};Project {pid}" for pid, cost in costs.items()]
    if points is None:
        lines += ["VOTES", "voter_id;vote"] + [f"v{i};{v}" for i, v in enumerate(votes)]
    else:
        lines += ["VOTES", "voter_id;vote;points"]
        lines += [f"v{i};{v};{p}" for i, (v, p) in enumerate(zip(votes, points))]
    return read_pb("\n".join(lines) + "\n")
