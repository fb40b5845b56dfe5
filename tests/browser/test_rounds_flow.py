"""A resident proposes with two cost lines, a neighbour supports, the manager reviews it feasible with
a cost change, and the public round page shows the change history."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from pb.models.proposal import Proposal, ProposalStatus
from pb.models.user import Role
from tests.browser.conftest import screenshot
from tests.factories import PASSWORD, make_area, make_resident, make_round, make_user, round_dates

pytestmark = pytest.mark.browser


def _login(page, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("E-mailadres of gebruikersnaam").fill(email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("button", name="Uitloggen")).to_be_visible()


def _logout(page) -> None:
    page.get_by_role("button", name="Uitloggen").click()
    expect(page.get_by_role("link", name="Inloggen")).to_be_visible()


def test_propose_support_review_history(live_server, page, session, outbox):
    area = make_area(session, slug="ulft", name="Ulft")
    author = make_resident(session, area, user=make_user(session, email="jan@example.test", name="Jan Jansen"))
    make_resident(session, area, user=make_user(session, email="mien@example.test", name="Mien Hendriks"))
    make_user(session, role=Role.MANAGER, areas=[area], email="regisseur@example.test", name="Gerrit")
    round_ = make_round(session, area, phase="proposals", title="Buurtbudget Ulft", support_threshold=1)
    round_id = round_.id
    session.commit()

    # The resident proposes with two cost lines and submits.
    _login(page, live_server, "jan@example.test")
    page.goto(f"{live_server}/rounds/{round_id}")
    page.get_by_role("link", name="Dien een plan in").click()
    page.get_by_label("Titel van uw plan").fill("Speeltuin Bloemenbuurt")
    page.get_by_label("Korte samenvatting").fill("Nieuwe schommels en een klimrek.")
    page.get_by_label("Waar? (straat of plek)").fill("Rozenstraat")
    page.get_by_label("Kostenregel 1: omschrijving").fill("Klimrek")
    page.get_by_label("Kostenregel 1: bedrag in euro").fill("4.500,00")
    page.get_by_label("Kostenregel 2: omschrijving").fill("Twee schommels")
    page.get_by_label("Kostenregel 2: bedrag in euro").fill("1250.50")
    assert page.locator("#cost-total").inner_text().replace("\xa0", " ") == "Totaal: € 5.750,50"
    screenshot(page, "rounds-1-propose")
    page.get_by_role("button", name="Bewaren").click()
    expect(page.locator("table.table tfoot")).to_contain_text("5.750,50")
    page.get_by_role("button", name="Plan indienen").click()
    expect(page.locator(".flashes")).to_contain_text("Uw plan is ingediend")
    proposal_url = page.url
    _logout(page)

    # A neighbour supports it.
    _login(page, live_server, "mien@example.test")
    page.goto(proposal_url)
    page.get_by_role("button", name="Steun dit plan").click()
    expect(page.locator("main")).to_contain_text("1 bewoner steunt dit plan")
    screenshot(page, "rounds-2-supported")
    _logout(page)

    # Time passes: the support phase is over.
    session.rollback()
    round_ = session.get(type(round_), round_id)
    for name, value in round_dates("review").items():
        setattr(round_, name, value)
    session.commit()

    # The manager settles the support phase, reviews it feasible and changes the cost.
    _login(page, live_server, "regisseur@example.test")
    page.goto(f"{live_server}/manage/rounds/{round_id}/review")
    page.get_by_role("button", name="Steunfase verwerken").click()
    expect(page.locator(".flashes")).to_contain_text("1 plan is verwerkt")
    item = page.locator("section.review-item", has_text="Speeltuin Bloemenbuurt")
    item.get_by_label("Haalbaar", exact=True).check()
    item.locator("textarea[name$='-reason']").first.fill("Past in het speelruimteplan.")
    item.get_by_role("button", name="Oordeel opslaan").click()
    expect(page.locator(".flashes")).to_contain_text("Opgeslagen")
    item = page.locator("section.review-item", has_text="Speeltuin Bloemenbuurt")
    item.get_by_label("Nieuwe kosten in euro").fill("6.000")
    item.get_by_label("Uitleg (openbaar)").fill("De valondergrond moet groter.")
    item.get_by_role("button", name="Kosten aanpassen").click()
    expect(page.locator("section.review-item", has_text="Speeltuin Bloemenbuurt")).to_contain_text("6.000,00")
    screenshot(page, "rounds-3-reviewed")
    _logout(page)

    # Anyone sees the change history on the public round page.
    page.goto(f"{live_server}/rounds/{round_id}")
    history = page.locator("ul.history").inner_text()
    assert "Beoordeling" in history and "Past in het speelruimteplan." in history
    assert "Kosten aangepast" in history and "5.750,50" in history and "6.000,00" in history
    assert "De valondergrond moet groter." in history
    assert "Op het stembiljet" in page.content()
    screenshot(page, "rounds-4-history")

    session.rollback()
    p = session.scalars(select(Proposal)).one()
    assert (p.status, p.cost_cents, p.author_id) == (ProposalStatus.FEASIBLE, 600_000, author.id)
    assert any("Haalbaar" in str(m.get_content()) for m in outbox.messages())
