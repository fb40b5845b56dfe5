"""A resident votes on a knapsack ballot with the keyboard only (Tab, Space, Enter)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from pb.models.ballot import Ballot, Participation
from pb.models.round import BudgetRound
from tests.browser.conftest import screenshot
from tests.factories import PASSWORD, make_area, make_proposal, make_resident, make_round, make_user, mix_now

pytestmark = pytest.mark.browser


def _tab_to(page, element_id: str, limit: int = 80) -> None:
    """Press Tab until the element with ``element_id`` has focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"Tab never reached #{element_id}")


def _tab_to_button(page, text: str, limit: int = 80) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement && document.activeElement.tagName === 'BUTTON'"
                                " ? document.activeElement.textContent.trim() : ''")
        if focused == text:
            return
    raise AssertionError(f"Tab never reached the button {text!r}")


def test_knapsack_ballot_by_keyboard_only(live_server, page, session):
    area = make_area(session)
    round_ = make_round(session, area, budget_cents=3_000_000)
    bench = make_proposal(session, round_, title="Bankjes bij de IJssel", estimated_cost_cents=1_200_000)
    trees = make_proposal(session, round_, title="Bomen op het plein", estimated_cost_cents=900_000)
    make_proposal(session, round_, title="Speeltuin Oost", estimated_cost_cents=2_500_000)
    voter = make_resident(session, area, user=make_user(session, email="toetsenbord@example.test", name="Toos Toets"))
    ids = (round_.id, bench.id, trees.id, voter.id)
    session.commit()
    round_id, bench_id, trees_id, voter_id = ids

    page.goto(f"{live_server}/login?next=/rounds/{round_id}/vote")
    _tab_to(page, "login")
    page.keyboard.type("toetsenbord@example.test")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/rounds/{round_id}/vote")
    meter = page.locator("#meter-text")
    assert meter.get_attribute("aria-live") == "polite"
    assert "0,00 gekozen" in meter.inner_text().replace("\xa0", " ")

    _tab_to(page, f"project-{bench_id}")
    page.keyboard.press("Space")
    expect(meter).to_contain_text("12.000")
    assert "18.000,00" in meter.inner_text().replace("\xa0", " ")  # remaining budget
    _tab_to(page, f"project-{trees_id}")
    page.keyboard.press("Space")
    expect(meter).to_contain_text("21.000")
    assert "9.000,00 over" in meter.inner_text().replace("\xa0", " ")
    screenshot(page, "voting-1-knapsack-keyboard")

    _tab_to_button(page, "Controleer uw keuze")
    page.keyboard.press("Enter")
    page.wait_for_selector("h1:has-text('Controleer uw keuze')")
    review = page.locator("main").inner_text()
    assert "Bankjes bij de IJssel" in review and "Bomen op het plein" in review and "Speeltuin Oost" not in review
    screenshot(page, "voting-2-review")

    _tab_to_button(page, "Stem uitbrengen")
    page.keyboard.press("Enter")
    page.wait_for_selector("#receipt-code")
    code = page.locator("#receipt-code").inner_text().strip()
    screenshot(page, "voting-3-receipt")

    session.commit()
    participation = session.scalars(select(Participation)).one()
    mix_now(session, session.get(BudgetRound, round_id))  # the ballot row comes from the mix
    ballot = session.scalars(select(Ballot)).one()
    assert participation.voter_id == voter_id
    assert ballot.receipt_code == code
    assert sorted(i.proposal_id for i in ballot.items) == sorted([bench_id, trees_id])
    session.commit()
