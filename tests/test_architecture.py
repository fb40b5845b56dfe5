"""Architecture rules that must keep holding. Each test first checks that it found what it checks,
so a moved folder makes it fail instead of passing with nothing to look at."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENGINE_FORBIDDEN = {"flask", "sqlalchemy", "werkzeug", "flask_babel", "pabutools"}


def _sources(folder: str, *, at_least: int) -> list[Path]:
    sources = sorted((ROOT / folder).rglob("*.py"))
    assert len(sources) >= at_least, f"{folder}: expected at least {at_least} modules, found {len(sources)}"
    return sources


def _imported_modules(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def test_engine_sources_import_no_web_stack_or_pabutools() -> None:
    for path in _sources("pb/tally", at_least=10):
        for name in _imported_modules(path):
            assert name.split(".")[0] not in ENGINE_FORBIDDEN, f"{path}: imports {name}"


def test_importing_the_engine_loads_no_web_stack() -> None:
    code = ("import pb.tally, pb.tally.rules, pb.tally.pabulib, pb.tally.__main__, sys; "
            "bad = [m for m in sys.modules if m.split('.')[0] in "
            f"{sorted(ENGINE_FORBIDDEN)!r}]; assert not bad, bad")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_importing_the_package_root_loads_no_web_stack() -> None:
    code = "import pb, sys; bad = {'flask', 'sqlalchemy'} & set(sys.modules); assert not bad, bad"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_services_never_commit() -> None:
    for path in _sources("pb/services", at_least=10):
        assert ".commit()" not in path.read_text(encoding="utf-8"), f"{path} commits; only views, CLI and tests do"


def test_no_model_query_api() -> None:
    for path in _sources("pb", at_least=50):
        assert ".query(" not in path.read_text(encoding="utf-8"), f"{path} uses the legacy Query API"
