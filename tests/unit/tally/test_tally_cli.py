"""The ``python -m pb.tally`` command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from test_tally_reader import BASIC

ROOT = Path(__file__).resolve().parents[3]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pb.tally", *args], cwd=ROOT,
                          capture_output=True, text=True, check=False)


def test_json_line_per_file_and_errors_do_not_stop_the_others(tmp_path: Path) -> None:
    good = tmp_path / "good.pb"
    good.write_text(BASIC, encoding="utf-8")
    bad = tmp_path / "bad.pb"
    bad.write_text(BASIC.replace("a;600;", "a;-1;"), encoding="utf-8")
    result = run(str(bad), str(good), str(tmp_path / "missing.pb"), str(good), "--json")
    assert result.returncode == 1
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert len(lines) == 2
    assert lines[0] == {"file": str(good), "rule": "greedy", "budget": 1000, "spent": 600,
                        "selected": ["a"], "official_match": True,
                        "tie_break": {"kind": "file-order", "seed": None}}
    assert "bad.pb: line 8: project a: negative cost" in result.stderr
    assert "missing.pb" in result.stderr


def test_rule_option_and_explain(tmp_path: Path) -> None:
    good = tmp_path / "good.pb"
    good.write_text(BASIC, encoding="utf-8")
    result = run(str(good), "--rule", "max-welfare", "--explain", "--lang", "nl")
    assert result.returncode == 0
    assert "max-welfare" in result.stdout and "Gekozen" in result.stdout
    ok = run(str(good))
    assert ok.returncode == 0 and "greedy: 1 projects" in ok.stdout


def test_bad_tie_break_is_an_error(tmp_path: Path) -> None:
    good = tmp_path / "good.pb"
    good.write_text(BASIC, encoding="utf-8")
    result = run(str(good), "--tie-break", "lottery:x")
    assert result.returncode == 2 and "seed" in result.stderr
