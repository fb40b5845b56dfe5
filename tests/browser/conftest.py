"""Browser tests: the app served from a thread, driven by Playwright in Debian's headless Chromium.

Set up data with the ``session`` fixture and ``session.commit()`` before the page acts; after the
page acted, ``session.commit()`` (or ``rollback()``) again before reading, so the test sees fresh rows
and does not hold SQLite's lock while the server writes.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

SCREENSHOTS = Path(__file__).parent / "screenshots"
CHROMIUM = os.environ.get("PB_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def live_app(app: Flask) -> Flask:
    """The Flask app behind ``live_server`` (plain http, so no Secure cookies)."""
    app.config["SESSION_COOKIE_SECURE"] = False
    app.config["REMEMBER_COOKIE_SECURE"] = False
    app.config["SERVER_NAME"] = None
    return app


@pytest.fixture
def live_server(live_app: Flask) -> Iterator[str]:
    """Serve ``live_app`` on a free loopback port; yield its base URL."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    live_app.config["PUBLIC_BASE_URL"] = base_url
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base_url
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium for the run."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run the README's test command, which installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A fresh browser context and page (Dutch locale, Amsterdam time)."""
    context = browser.new_context(locale="nl-NL", timezone_id="Europe/Amsterdam")  # type: ignore[attr-defined]
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    yield pg
    context.close()


def screenshot(page: object, name: str) -> Path:
    """Save a full-page screenshot to tests/browser/screenshots/NAME.png."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path
