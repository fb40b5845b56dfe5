"""The blank ballot and the project booklet print to A4 PDF (Chromium's print engine): at least one
page, A4 size, every project with its number, and no navigation or footer in print."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from pb.models.round import BallotType
from tests.browser.conftest import screenshot
from tests.browser.test_accessibility import _violations
from tests.factories import make_area, make_proposal, make_round

pytestmark = pytest.mark.browser

A4_POINTS = (595, 842)


def _pdf_text(page, url: str, name: str) -> tuple[int, str, tuple[int, int]]:
    page.goto(url)
    assert _violations(page) == [], url
    page.emulate_media(media="print")
    screenshot(page, name)
    reader = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True)))
    box = reader.pages[0].mediabox
    text = "\n".join(p.extract_text() for p in reader.pages)
    return len(reader.pages), " ".join(text.split()), (round(float(box.width)), round(float(box.height)))


def test_ballot_and_booklet_print_to_a4_pdf_with_every_project(live_server, page, session):
    area = make_area(session, name="Ulft")
    round_ = make_round(session, area, ballot_type=BallotType.APPROVAL, title="Buurtbudget Ulft")
    titles = [f"Project nummer {i} met een lange naam die op papier moet passen" for i in range(1, 13)]
    for title in titles:
        make_proposal(session, round_, title=title, summary=f"Korte uitleg bij {title[:17]}.")
    round_id = round_.id
    session.commit()

    pages, text, size = _pdf_text(page, f"{live_server}/rounds/{round_id}/print/ballot", "print-ballot")
    assert pages > 0 and size == A4_POINTS
    assert "Stembiljet" in text
    for n, title in enumerate(titles, start=1):
        assert f"{n} {title}" in text, title
    assert "Inloggen" not in text and "Open data" not in text  # no navigation, no footer
    assert "Ctrl+P" not in text  # the screen-only hint stays off paper

    pages, text, size = _pdf_text(page, f"{live_server}/rounds/{round_id}/print/booklet", "print-booklet")
    assert pages > 0 and size == A4_POINTS
    for n, title in enumerate(titles, start=1):
        assert f"{n}. {title}" in text, title
        assert f"Korte uitleg bij {title[:17]}." in text
    assert "Inloggen" not in text and "Open data" not in text
