"""A newcomer registers, confirms through the outbox link, logs in, sees their name, logs out."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def test_register_confirm_login_logout(live_server, page, outbox):
    page.goto(live_server + "/")
    assert page.locator("h1").inner_text() == "Samen beslissen over uw buurt"
    page.get_by_role("link", name="Account maken").first.click()
    page.get_by_label("Uw naam").fill("Truus Bos")
    page.get_by_label("E-mailadres").fill("truus@example.test")
    page.get_by_label("Wachtwoord", exact=True).fill("mijn geheime zin")
    page.get_by_label("Herhaal het wachtwoord").fill("mijn geheime zin")
    screenshot(page, "smoke-1-register")
    page.get_by_role("button", name="Account maken").click()
    assert "Kijk in uw e-mail" in page.locator("h1").inner_text()

    link = re.search(r"https?://\S+/confirm/\S+", outbox.last_body())
    assert link, outbox.last_body()
    page.goto(link.group(0))
    page.get_by_role("button", name="Bevestig mijn e-mailadres").click()
    assert "Uw e-mailadres is bevestigd" in page.content()

    page.get_by_label("E-mailadres of gebruikersnaam").fill("truus@example.test")
    page.get_by_label("Wachtwoord").fill("mijn geheime zin")
    page.get_by_role("button", name="Inloggen").click()
    assert "Welkom, Truus Bos" in page.content()
    screenshot(page, "smoke-2-logged-in")
    page.get_by_role("link", name="Mijn account").click()
    assert "truus@example.test" in page.content()

    page.get_by_role("button", name="Uitloggen").click()
    assert "U bent uitgelogd" in page.content()
    assert page.get_by_role("link", name="Inloggen").is_visible()


def test_keyboard_user_reaches_main_content_via_skip_link(live_server, page):
    page.goto(live_server + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert "Naar de inhoud" in focused
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"


def test_english_switch(live_server, page):
    from playwright.sync_api import expect

    page.goto(live_server + "/login")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")  # waits for the new page
    page.get_by_role("button", name="Nederlands").click()
    expect(page.locator("html")).to_have_attribute("lang", "nl")
