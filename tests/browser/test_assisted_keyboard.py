"""An information-point worker files a plan for a resident with the keyboard only (Tab, typing,
Space, Enter), first forgetting the consent box (a Dutch error tied to the box), then with it;
the assisted pages are axe clean."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pb.models.assistance import Assistance
from pb.models.proposal import Proposal, ProposalStatus
from pb.models.user import Role
from tests.browser.conftest import screenshot
from tests.browser.test_accessibility import _violations
from tests.browser.test_voting_keyboard import _tab_to, _tab_to_button
from tests.factories import PASSWORD, make_area, make_resident, make_round, make_user

pytestmark = pytest.mark.browser


def test_assisted_proposal_by_keyboard_only(live_server, page, session):
    area = make_area(session, name="Ulft")
    round_ = make_round(session, area, phase="proposals", title="Buurtbudget Ulft")
    resident = make_resident(session, area, user=make_user(session, email="toos@example.test", name="Toos Balie"))
    make_user(session, role=Role.STAFF, email="balie@example.test", name="Bea Balie", areas=[area])
    round_id, resident_id = round_.id, resident.id
    session.commit()

    page.goto(f"{live_server}/login?next=/infopunt/assist")
    _tab_to(page, "login")
    page.keyboard.type("balie@example.test")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("h1:has-text('Helpen meedoen')")

    # Follow the link with the keyboard: Tab to it, Enter.
    for _ in range(60):
        page.keyboard.press("Tab")
        href = page.evaluate("document.activeElement && document.activeElement.getAttribute('href')") or ""
        if href.endswith(f"/infopunt/rounds/{round_id}/assisted-proposal"):
            break
    else:
        raise AssertionError("Tab never reached the link to file a plan")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/infopunt/rounds/{round_id}/assisted-proposal")

    _tab_to(page, "login")
    page.keyboard.type("toos@example.test")
    _tab_to(page, "title")
    page.keyboard.type("Moestuin aan de IJssel")
    page.keyboard.press("Tab")
    page.keyboard.type("Samen groenten kweken.")
    _tab_to(page, "cost_lines-0-item")
    page.keyboard.type("Moestuinbakken")
    page.keyboard.press("Tab")
    page.keyboard.type("1.250,00")
    _tab_to_button(page, "Plan indienen voor de bewoner")
    page.keyboard.press("Enter")
    page.wait_for_selector("#consent-error")
    assert "Vink aan dat de bewoner toestemming geeft." in page.locator("#consent-error").inner_text()
    assert page.locator("#consent").get_attribute("aria-describedby") == "consent-error"
    session.rollback()
    assert session.scalar(select(Proposal).where(Proposal.title == "Moestuin aan de IJssel")) is None
    session.rollback()  # release SQLite's read lock before the page writes
    screenshot(page, "assisted-1-consent-missing")
    assert _violations(page) == []

    # What was typed is still there; tick the box with Space and send.
    assert page.locator("#title").input_value() == "Moestuin aan de IJssel"
    _tab_to(page, "consent")
    page.keyboard.press("Space")
    assert page.locator("#consent").is_checked()
    _tab_to_button(page, "Plan indienen voor de bewoner")
    page.keyboard.press("Enter")
    page.wait_for_selector("h1:has-text('Moestuin aan de IJssel')")
    body = page.locator("main").inner_text()
    assert "met hulp van het informatiepunt" in body and "Toos Balie" in body
    screenshot(page, "assisted-2-filed")
    for path in ("/infopunt/assist", f"/infopunt/rounds/{round_id}/assisted-support"):
        page.goto(live_server + path)
        assert _violations(page) == [], path

    session.rollback()
    made = session.scalars(select(Proposal).where(Proposal.title == "Moestuin aan de IJssel")).one()
    assert made.author_id == resident_id and made.status == ProposalStatus.SUBMITTED
    assert session.scalars(select(Assistance).where(Assistance.proposal_id == made.id)).one().resident_id == resident_id
