"""The package ships what the app needs; pyproject, requirements.txt and the lock file agree."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s\\;]+)", line)
        if match:
            pins[canonicalize_name(Requirement(match[1]).name)] = match[2]
    return pins


def test_pyproject_requirements_and_lock_agree():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {canonicalize_name(Requirement(d).name): Requirement(d) for d in project["dependencies"]}
    pinned = _pins(ROOT / "requirements.txt")
    assert set(declared) == set(pinned)
    for name, requirement in declared.items():
        assert requirement.specifier.contains(pinned[name]), (name, pinned[name], str(requirement.specifier))
    lock_text = (ROOT / "requirements.lock").read_text()
    locked = _pins(ROOT / "requirements.lock")
    for name, version in pinned.items():
        assert locked.get(name) == version, f"{name}: requirements.txt {version}, lock {locked.get(name)}"
    entries = re.split(r"\n(?=[A-Za-z0-9])", lock_text.split("\n\n", 1)[1])
    assert entries and all("--hash=sha256:" in e for e in entries if "==" in e)


def test_wheel_ships_templates_static_migrations_translations_and_the_entry_point(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pb", "templates", "static"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", ".",
                    "-w", str(tmp_path / "dist")], cwd=source, check=True, capture_output=True)
    (wheel,) = (tmp_path / "dist").glob("buurtbudget-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder, target in (("templates", "pb/templates"), ("static", "pb/static")):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file():
                assert f"{target}/{path.relative_to(ROOT / folder).as_posix()}" in names
    for path in (ROOT / "pb" / "migrations" / "versions").glob("*.py"):
        assert f"pb/migrations/versions/{path.name}" in names
    assert "pb/translations/en/LC_MESSAGES/messages.po" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "buurtbudget = pb.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_gunicorn_config_loads():
    settings: dict[str, object] = {}
    exec((ROOT / "gunicorn.conf.py").read_text(), settings)
    assert settings["accesslog"] is None and int(settings["timeout"]) <= 60 and settings["bind"]
