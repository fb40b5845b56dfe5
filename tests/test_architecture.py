"""Architecture rules that must keep holding."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {"flask", "sqlalchemy", "werkzeug", "flask_babel", "pabutools"}


def test_tally_imports_neither_flask_nor_sqlalchemy_statically():
    tally = ROOT / "pb" / "tally"
    if not tally.exists():
        return
    for path in tally.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN, f"{path}: imports {name}"


def test_importing_the_package_root_loads_no_web_stack():
    code = "import pb, sys; bad = {'flask', 'sqlalchemy'} & set(sys.modules); assert not bad, bad"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_services_never_commit():
    for path in (ROOT / "pb" / "services").rglob("*.py"):
        assert ".commit()" not in path.read_text(), f"{path} commits; only views, CLI and tests do"


def test_no_model_query_api():
    for path in (ROOT / "pb").rglob("*.py"):
        assert ".query(" not in path.read_text(), f"{path} uses the legacy Query API"
