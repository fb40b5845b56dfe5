"""The public results page in a real browser: chart with a text alternative, keyboard-only use."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pb.models.ballot import Ballot
from pb.models.proposal import Proposal

from tests.browser.conftest import screenshot
from tests.factories import make_area, make_results_ballot, make_round_with_proposals
from pb.services import results as result_service

pytestmark = pytest.mark.browser


def _published_round(session):
    area = make_area(session, slug="ulft", name="Ulft")
    round_ = make_round_with_proposals(session, area, counting_rule="equalshares",
                                titles=["Speeltuin Hofpark", "Bankjes langs de IJssel", "Moestuin", "Jeu-de-boules",
                                        "Buurtkast"])
    ids = list(session.scalars(select(Proposal.id).where(Proposal.round_id == round_.id).order_by(Proposal.id)))
    for pattern in [(0, 1), (0, 2, 3), (1, 4), (2, 3, 4), (0,), (3, 1, 0), (4, 2)] * 2:
        make_results_ballot(session, round_, dict.fromkeys(ids[i] for i in pattern),
                            channel="paper" if pattern == (0,) else "online")
    result_service.publish_results(session, round_, actor=None)
    code = session.scalar(select(Ballot.receipt_code).where(Ballot.round_id == round_.id))
    round_id = round_.id
    session.commit()  # and read nothing afterwards: a new transaction would hold SQLite's write lock
    return round_id, code


def test_results_page_chart_has_text_alternative_and_is_keyboard_usable(live_server, live_app, page, session):
    round_id, code = _published_round(session)
    page.goto(f"{live_server}/rounds/{round_id}/results")
    assert page.locator("h1").inner_text().startswith("Uitslag")

    budget_chart = page.locator("svg[role=img]")
    assert budget_chart.count() == 1
    for ident in budget_chart.get_attribute("aria-labelledby").split():
        assert page.locator(f"#{ident}").text_content().strip()
    # The scores chart is an HTML list (names wrap on phones), labelled by its caption.
    scores = page.locator("figure.chart-scores")
    assert page.locator("#" + scores.get_attribute("aria-labelledby")).text_content().strip()
    assert scores.locator("li.bar-row").count() == 5
    table = page.get_by_role("table", name="Per project: kosten, stemmen, gekozen of niet, en waarom.")
    assert table.locator("tbody tr").count() == 5
    assert "Speeltuin Hofpark" in table.inner_text()
    assert page.locator("figcaption a[href='#projecten']").count() == 1
    assert "Ronde voor ronde" in page.content() and "gelijke delen" in page.content()
    assert "14 (12 online en 2 op papier)" in page.locator(".facts").inner_text().replace("\xa0", " ")

    # Accessibility basics (axe-core is not installed): headings in order, named links and fields.
    levels = page.eval_on_selector_all("main h1, main h2, main h3", "els => els.map(e => +e.tagName[1])")
    assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:]))
    assert page.eval_on_selector_all("main a", "els => els.filter(e => !e.textContent.trim()).length") == 0
    screenshot(page, "results-1-page")

    # Keyboard only: tab to the receipt link, follow it, type the code, submit with Enter.
    target = "Controleer of uw stem is meegeteld"
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == target:
            break
    else:
        pytest.fail("the receipt link is not reachable with Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/rounds/{round_id}/receipt")
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "code":
            break
    else:
        pytest.fail("the code field is not reachable with Tab")
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert page.get_by_role("status").inner_text() == "Uw stem is meegeteld."
    screenshot(page, "results-2-receipt")
