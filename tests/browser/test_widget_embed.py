"""The widget in an iframe on another website (another loopback port, so another origin): shown
when that origin is on the admin's allow-list, refused by the browser when it is not."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pb.models.widget import WidgetOrigin
from tests.browser.conftest import screenshot
from tests.factories import make_area, make_round

pytestmark = pytest.mark.browser


class _Municipality:
    """A tiny "municipal website" on its own port: one page with the widget in an iframe."""

    def __init__(self, widget_url: str) -> None:
        page = (f'<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>Gemeente</title></head>'
                f'<body><h1>Gemeentenieuws</h1><iframe id="bb" src="{widget_url}" title="Buurtbudget Ulft" '
                f'width="600" height="500"></iframe><a href="#na">Na het blok</a></body></html>').encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *_args: object) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def sites(live_server: str, session) -> Iterator[tuple[_Municipality, _Municipality]]:
    """Two outside websites; only the first is allow-listed."""
    area = make_area(session, slug="ulft", name="Ulft")
    make_round(session, area, phase="voting", title="Buurtbudget Ulft 2027")
    allowed = _Municipality(f"{live_server}/widgets/areas/ulft")
    refused = _Municipality(f"{live_server}/widgets/areas/ulft")
    session.add(WidgetOrigin(origin=allowed.origin))
    session.commit()
    yield allowed, refused
    allowed.close()
    refused.close()


def test_widget_renders_on_an_allowed_origin_and_is_refused_elsewhere(sites, page):
    allowed, refused = sites
    assert allowed.origin != refused.origin

    page.goto(allowed.origin)
    frame = page.frame_locator("#bb")
    heading = frame.get_by_role("heading", level=1)
    assert heading.inner_text() == "Buurtbudget Ulft"
    assert "Stemmen" in frame.locator(".widget-phase").inner_text()
    link = frame.get_by_role("link", name="Doe mee met Buurtbudget Ulft 2027")
    assert link.get_attribute("target") == "_top"
    assert frame.locator("[aria-current=step]").count() == 1
    # Keyboard: Tab from the page moves into the widget and reaches its link.
    for _ in range(10):
        page.keyboard.press("Tab")
        if frame.locator(":focus").count() and frame.locator(":focus").inner_text().startswith("Doe mee"):
            break
    else:
        pytest.fail("the widget's link is not reachable with Tab")
    screenshot(page, "widget-1-allowed")

    blocked: list[str] = []
    page.on("console", lambda msg: blocked.append(msg.text))
    page.goto(refused.origin)
    page.wait_for_load_state("load")
    widget_frames = [f for f in page.frames if f != page.main_frame]
    assert widget_frames, "the iframe is there"
    # Chromium refuses the frame (CSP frame-ancestors): none of the widget's content is shown.
    assert page.frame_locator("#bb").get_by_role("heading", level=1).count() == 0
    assert all("Buurtbudget Ulft 2027" not in f.content() for f in widget_frames if not f.is_detached())
    assert any("frame-ancestors" in text for text in blocked), blocked
    screenshot(page, "widget-2-refused")
