"""axe-core finds no WCAG violations on the main pages of the demo, for visitors and residents."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

PUBLIC_PAGES = ["/", "/areas/ulft", "/login", "/register", "/forgot-password", "/results"]
RESIDENT_PAGES = ["/account", "/vote", "/verify"]


def _violations(page) -> list[tuple[str, str, list]]:
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in found]


def test_demo_pages_are_axe_clean(live_server, live_app, page):
    result = live_app.test_cli_runner().invoke(args=["pb", "demo"])
    assert result.exit_code == 0, result.output
    page.goto(live_server + "/")
    round_paths = sorted({h for h in page.eval_on_selector_all(
        "a[href^='/rounds/']", "els => els.map(e => e.getAttribute('href'))")})
    assert round_paths, "the demo shows rounds on the home page"
    pages = PUBLIC_PAGES + round_paths + [p + "/proposals" for p in round_paths]
    page.goto(live_server + "/results")
    results = page.eval_on_selector_all("main a[href$='/results']", "els => els.map(e => e.getAttribute('href'))")
    pages += results
    # Open data and the widgets (shown inside other websites, so they must stand on their own).
    pages += ["/open-data/", "/open-data/api", "/widgets/areas/ulft"] + ["/widgets" + p for p in results]
    problems = {}
    for path in pages:
        page.goto(live_server + path)
        if found := _violations(page):
            problems[path] = found

    page.goto(live_server + "/login")
    page.get_by_label("E-mailadres of gebruikersnaam").fill("bewoner@buurtbudget.test")
    page.get_by_label("Wachtwoord").fill("buurtbudget-demo")
    page.get_by_role("button", name="Inloggen").click()
    page.goto(live_server + "/vote")
    ballots = page.eval_on_selector_all("main a[href$='/vote']", "els => els.map(e => e.getAttribute('href'))")
    assert any(re.fullmatch(r"/rounds/\d+/vote", b) for b in ballots), "the demo resident can vote somewhere"
    for path in RESIDENT_PAGES + ballots:
        page.goto(live_server + path)
        if found := _violations(page):
            problems[path] = found
    assert not problems, problems
