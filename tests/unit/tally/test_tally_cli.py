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


MES_FILE = """META
key;value
budget;1100
vote_type;approval
rule;equalshares/add1
PROJECTS
project_id;cost;name
a;400;A
b;350;B
c;300;C
d;250;D
e;120;E
VOTES
voter_id;vote
1;a,b
2;a
3;b,c
4;c,d
5;a,d
6;b
7;d,e
8;e
"""


def test_reference_counts_equal_shares_with_the_same_result(tmp_path: Path) -> None:
    """``--reference`` gives the same line and JSON record as the engine for each MES rule."""
    path = tmp_path / "mes.pb"
    path.write_text(MES_FILE, encoding="utf-8")
    for rule in ("equalshares", "equalshares/add1", "equalshares/add1+greedy"):
        fast = run(str(path), "--rule", rule, "--json")
        ref = run(str(path), "--rule", rule, "--json", "--reference")
        assert fast.returncode == ref.returncode == 0, ref.stderr
        assert json.loads(ref.stdout) == json.loads(fast.stdout)
    add1 = json.loads(run(str(path), "--json").stdout)
    assert add1["rule"] == "equalshares/add1" and add1["spent"] > 0
    text = run(str(path), "--reference", "--explain")
    assert text.returncode == 0
    assert text.stdout.startswith(f"{path}: equalshares/add1: ")
    assert "round 1: a at 1/3 per unit of utility" in text.stdout
    assert '"iterations": 24' in text.stdout and '"stop": "over-budget"' in text.stdout


def test_reference_refuses_other_rules(tmp_path: Path) -> None:
    good = tmp_path / "good.pb"
    good.write_text(BASIC, encoding="utf-8")
    result = run(str(good), "--reference")
    assert result.returncode == 1 and "--reference counts only" in result.stderr
    assert result.stdout == ""


def test_command_imports_only_what_the_rule_needs(tmp_path: Path) -> None:
    """Greedy and the reference count without NumPy; Equal Shares loads it (and, this election
    being small, not threadpoolctl: see pb.tally.rules.blas). Reading a file needs no pathlib,
    a file-order tie-break no random."""
    path = tmp_path / "mes.pb"
    path.write_text(MES_FILE, encoding="utf-8")
    code = ("import sys; from pb.tally.__main__ import main; main(sys.argv[1:]); "
            "print(sorted(m for m in ('numpy', 'threadpoolctl', 'pb.tally.rules.phragmen', "
            "'pb.tally.rules.maxwelfare', 'pb.tally.rules.equalshares.fast', 'pathlib', "
            "'random') if m in sys.modules))")

    def loaded(*args: str) -> str:
        result = subprocess.run([sys.executable, "-c", code, str(path), *args], cwd=ROOT,
                                capture_output=True, text=True, check=True)
        return result.stdout.splitlines()[-1]

    assert loaded("--rule", "greedy") == "[]"
    assert loaded("--reference") == "[]"
    assert loaded() == "['numpy', 'pb.tally.rules.equalshares.fast']"
    assert loaded("--tie-break", "lottery:7", "--rule", "greedy") == "['random']"
