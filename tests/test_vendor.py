"""The browser libraries in static/vendor are exactly the pinned npm packages (package-lock.json).

They are committed (``make vendor`` copies them), so ``make run`` needs no Node.js. ``make test``
runs ``npm ci`` when npm is present, which checks the package against the lock file's SHA-512;
the copies are then compared byte for byte.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "static" / "vendor" / "leaflet"
LEAFLET_FILES = {"leaflet.js", "leaflet.css", "LICENSE", "images/layers.png", "images/layers-2x.png",
                 "images/marker-icon.png", "images/marker-icon-2x.png", "images/marker-shadow.png"}


def _locked_version() -> str:
    lock = json.loads((ROOT / "package-lock.json").read_text())
    return str(lock["packages"]["node_modules/leaflet"]["version"])


def test_pin_lock_and_vendored_copy_name_one_version():
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]["leaflet"]
    banner = re.search(r"Leaflet (\d+\.\d+\.\d+),", (VENDOR / "leaflet.js").read_text()[:300])
    assert banner is not None
    assert pinned == _locked_version() == banner.group(1)


def test_vendored_files_are_the_listed_ones():
    found = {p.relative_to(VENDOR).as_posix() for p in VENDOR.rglob("*") if p.is_file()}
    assert found == LEAFLET_FILES


def test_vendored_files_equal_the_npm_package():
    package = ROOT / "node_modules" / "leaflet"
    if not (package / "package.json").is_file():
        pytest.skip("node_modules/leaflet is absent: `make test` installs it with npm ci when npm is present")
    installed = json.loads((package / "package.json").read_text())["version"]
    assert installed == _locked_version(), "node_modules is stale: run npm ci"
    for name in sorted(LEAFLET_FILES):
        source = package / ("LICENSE" if name == "LICENSE" else f"dist/{name}")
        assert (VENDOR / name).read_bytes() == source.read_bytes(), f"{name} differs: run `make vendor`"
