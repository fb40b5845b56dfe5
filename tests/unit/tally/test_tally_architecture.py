"""pb.tally stays pure: no web stack, no pabutools at run time."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
FORBIDDEN = {"flask", "sqlalchemy", "werkzeug", "pabutools"}


def test_importing_the_engine_loads_no_web_stack() -> None:
    code = ("import pb.tally, pb.tally.rules, pb.tally.pabulib, pb.tally.__main__; import sys; "
            "bad = [m for m in sys.modules if m.split('.')[0] in "
            "('flask', 'sqlalchemy', 'werkzeug', 'pabutools')]; assert not bad, bad")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_sources_import_nothing_forbidden() -> None:
    sources = sorted((ROOT / "pb" / "tally").rglob("*.py"))
    assert len(sources) >= 10
    for path in sources:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN, f"{path}: imports {name}"
