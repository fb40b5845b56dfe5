"""The proposals map and the point picker in Chromium, at 375 px and 1280 px.

Tiles come from a stub: every request to the tile host is answered here with a plain PNG, and
every other request that leaves the test server is refused, so the test needs no network.
"""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from pb.models.proposal import Proposal
from pb.services import photos
from tests.browser.conftest import screenshot
from tests.factories import PASSWORD, make_area, make_proposal, make_resident, make_round, make_user

pytestmark = pytest.mark.browser

SIZES = {"phone": {"width": 375, "height": 812}, "desktop": {"width": 1280, "height": 900}}
TILE_HOST = "https://service.pdok.nl/"


def _tile() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (256, 256), (226, 232, 220)).save(out, "PNG")
    return out.getvalue()


def _offline(page, base: str, *, tiles: bool = True) -> list[str]:
    """Refuse every request off the test server; answer tile requests with a stub (or refuse them)."""
    served: list[str] = []
    tile = _tile()

    def answer_tile(route) -> None:
        served.append(route.request.url)
        if tiles:
            route.fulfill(status=200, content_type="image/png", body=tile)
        else:
            route.abort()

    page.route(re.compile(r"^(?!" + re.escape(base) + r")"), lambda route: route.abort())
    page.route(TILE_HOST + "**", answer_tile)  # registered last, so it wins for the tile host
    return served


def _violations(page) -> list:
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in found]


def _no_horizontal_scroll(page) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (900, 600), (40, 110, 60)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def mapped_round(session):
    area = make_area(session, slug="ulft", name="Ulft")
    rnd = make_round(session, area, phase="support", title="Buurtbudget Ulft")
    photo = photos.store_photo(session, io.BytesIO(_photo()), thumbnail=True)
    make_proposal(session, rnd, status="submitted", title="Bankje bij de vijver", latitude=51.8936, longitude=6.3806,
                  photo_filename=photo, photo_alt="Het grasveld bij de vijver")
    make_proposal(session, rnd, status="submitted", title="Speeltuin Bloemenbuurt", latitude=51.8990, longitude=6.3712)
    make_proposal(session, rnd, status="submitted", title="Zonder plek op de kaart")
    round_id = rnd.id
    session.commit()
    return round_id


@pytest.mark.parametrize("size", SIZES)
def test_map_shows_markers_that_keyboard_users_reach_and_follow(live_server, browser, mapped_round, size):
    context = browser.new_context(locale="nl-NL", timezone_id="Europe/Amsterdam", viewport=SIZES[size])
    page = context.new_page()
    page.set_default_timeout(10_000)
    served = _offline(page, live_server)
    page.goto(f"{live_server}/rounds/{mapped_round}/proposals")

    section = page.locator("[data-proposal-map]")
    expect(section).to_be_visible()
    markers = section.locator(".leaflet-marker-pane a.map-marker")
    expect(markers).to_have_count(2)
    expect(page.locator(".leaflet-tile-loaded").first).to_be_attached()
    assert served and all(u.startswith(TILE_HOST) for u in served)
    expect(page.locator("[data-map-failed]")).to_be_hidden()
    # The list is still the whole page: three cards, one with its photo at a reserved size.
    expect(page.locator("[data-map-list] > li")).to_have_count(3)
    photo = page.get_by_role("img", name="Het grasveld bij de vijver")
    expect(photo).to_be_visible()
    box = photo.bounding_box()
    assert box and abs(box["width"] / box["height"] - 4 / 3) < 0.02
    _no_horizontal_scroll(page)
    assert _violations(page) == []
    screenshot(page, f"map-1-proposals-{size}")

    # Keyboard only: Tab reaches the marker, which is a link named after the proposal.
    target = section.get_by_role("link", name="Speeltuin Bloemenbuurt")
    expect(target).to_have_count(1)
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.classList.contains('map-marker')"):
            break
    else:
        pytest.fail("Tab never reached a marker")
    names = []
    while page.evaluate("() => document.activeElement.classList.contains('map-marker')"):
        names.append(page.evaluate("() => document.activeElement.textContent.trim()"))
        if names[-1] == "Speeltuin Bloemenbuurt":
            break
        page.keyboard.press("Tab")
    assert names[-1] == "Speeltuin Bloemenbuurt", names
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Speeltuin Bloemenbuurt")
    context.close()


def test_without_tiles_the_map_says_so_and_the_list_stays(live_server, page, mapped_round):
    served = _offline(page, live_server, tiles=False)
    page.goto(f"{live_server}/rounds/{mapped_round}/proposals")
    expect(page.locator("[data-map-failed]")).to_be_visible()
    assert served
    expect(page.locator("[data-map-list] > li")).to_have_count(3)
    # The markers still work, also with a mouse.
    page.locator("[data-proposal-map]").get_by_role("link", name="Bankje bij de vijver").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bankje bij de vijver")


def test_without_javascript_the_page_is_the_list(live_server, browser, mapped_round):
    context = browser.new_context(locale="nl-NL", java_script_enabled=False, viewport=SIZES["phone"])
    page = context.new_page()
    _offline(page, live_server)
    page.goto(f"{live_server}/rounds/{mapped_round}/proposals")
    expect(page.locator("[data-proposal-map]")).to_be_hidden()
    expect(page.locator("[data-map-list] > li")).to_have_count(3)
    expect(page.get_by_role("link", name="Zonder plek op de kaart")).to_be_visible()
    _no_horizontal_scroll(page)
    context.close()


@pytest.mark.parametrize("size", SIZES)
def test_picker_sets_the_point_by_click_and_by_keyboard(live_server, browser, session, size):
    area = make_area(session, slug="ulft", name="Ulft")
    make_resident(session, area, user=make_user(session, email="jan@example.test", name="Jan"))
    round_id = make_round(session, area, phase="proposals").id
    session.commit()
    context = browser.new_context(locale="nl-NL", timezone_id="Europe/Amsterdam", viewport=SIZES[size])
    page = context.new_page()
    page.set_default_timeout(10_000)
    _offline(page, live_server)
    page.goto(live_server + "/login")
    page.get_by_label("E-mailadres of gebruikersnaam").fill("jan@example.test")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.goto(f"{live_server}/rounds/{round_id}/proposals/new")

    picker = page.locator(".map-picker")
    expect(picker).to_be_visible()
    latitude, longitude = page.get_by_label("Breedtegraad (noord)"), page.get_by_label("Lengtegraad (oost)")
    expect(latitude).to_have_value("")
    # A click a little right of and above the middle: east and north of the start view.
    picker.scroll_into_view_if_needed()
    box = picker.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2 + 40, box["y"] + box["height"] / 2 - 30)
    clicked = (float(latitude.input_value().replace(",", ".")), float(longitude.input_value().replace(",", ".")))
    assert 51.8936 < clicked[0] < 51.91 and 6.3806 < clicked[1] < 6.40, clicked
    expect(picker.locator(".leaflet-marker-icon")).to_have_count(1)
    # Keyboard: the button puts the point in the middle of the map (the start view).
    page.get_by_role("button", name="Punt in het midden van de kaart zetten").focus()
    page.keyboard.press("Enter")
    expect(latitude).to_have_value("51,893600")
    expect(longitude).to_have_value("6,380600")
    _no_horizontal_scroll(page)
    assert _violations(page) == []
    screenshot(page, f"map-2-picker-{size}")

    page.get_by_label("Titel van uw plan").fill("Bankje bij de vijver")
    page.get_by_label("Kostenregel 1: omschrijving").fill("Bank")
    page.get_by_label("Kostenregel 1: bedrag in euro").fill("850")
    page.get_by_role("button", name="Bewaren").click()
    expect(page.locator(".flashes")).to_contain_text("concept")
    session.rollback()
    p = session.scalars(select(Proposal)).one()
    assert (p.latitude, p.longitude) == (51.8936, 6.3806)
    session.commit()
    context.close()
