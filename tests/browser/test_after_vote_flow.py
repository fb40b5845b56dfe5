"""After the vote in a real browser: a resident follows a plan, the result is published, the resident
sees the outcome on Mijn buurtbudget and gets the e-mail; the manager adds a milestone and the
area's money page shows it, beside a small grant of that year. axe finds nothing at 375 px and 1280 px."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pb.models.ballot import Channel, Participation
from pb.models.implementation import Implementation
from pb.models.user import Role
from pb.services import counting
from pb.services import results as result_service
from tests.browser.conftest import screenshot
from tests.factories import PASSWORD, make_area, make_resident, make_results_ballot, make_round_with_proposals, make_user

pytestmark = pytest.mark.browser

WIDTHS = (375, 1280)


def _violations(page) -> list[tuple[str, str, list]]:
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in found]


def _login(page, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("E-mailadres of gebruikersnaam").fill(email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_load_state()


def _axe_at_both_widths(page, url: str, name: str, problems: dict) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(url)
        if found := _violations(page):
            problems[f"{url} @ {width}"] = found
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{url} is {overflow}px too wide at {width}px"
        screenshot(page, f"after-vote-{name}-{width}")


def test_follow_publish_outcome_mail_milestone_money_page(live_server, live_app, browser, page, session, outbox):
    area = make_area(session, slug="ulft", name="Ulft")
    manager = make_user(session, role=Role.MANAGER, areas=[area], email="regisseur@example.test", name="Regisseur")
    jan = make_resident(session, area, user=make_user(session, email="jan@example.test", name="Jan"))
    round_ = make_round_with_proposals(session, area, phase="closed",
                                       titles=["Speeltuin Hofpark", "Bankjes langs de IJssel", "Moestuin",
                                               "Jeu-de-boules", "Buurtkast"])
    ids = [p.id for p in round_.proposals]
    session.add(Participation(round_id=round_.id, voter_id=jan.id, channel=Channel.ONLINE))
    for pattern in [(0, 1), (0, 2), (1, 4), (0, 3), (2, 4)]:
        make_results_ballot(session, round_, dict.fromkeys(ids[i] for i in pattern))
    round_id, speeltuin = round_.id, ids[0]
    # A small grant given this year: the money page shows it beside the chosen projects.
    from pb.services import grant_decisions
    from tests.grant_factories import make_application, make_mandate, make_pot, make_settings

    make_settings(session, area, min_backing=0)
    make_pot(session, area)
    make_mandate(session, manager, 100_000)
    grant = make_application(session, area, make_resident(session, area), cents=35_000,
                             title="Buurtfeest in het Hofpark")
    grant_decisions.grant(session, grant, actor=manager)
    grant_id = grant.id
    session.commit()

    # Jan follows the playground plan.
    _login(page, live_server, "jan@example.test")
    page.goto(f"{live_server}/proposals/{speeltuin}")
    page.get_by_role("button", name="Volg dit plan").click()
    page.wait_for_load_state()
    assert "U volgt dit plan." in page.content()

    # The result is published (by the manager; the CLI and the manage page call the same service).
    round_ = result_service.publish_results(session, session.get(type(round_), round_id), actor=manager).round
    record = counting.outcome_record(result_service.latest_result(session, round_))
    chosen = next(p.selected for p in record.projects if p.proposal_id == speeltuin)
    session.commit()
    assert chosen, "the test data makes the playground win"

    page.goto(f"{live_server}/mijn")
    followed = page.locator("h2:has-text('Wat ik volg') + ul")
    assert "Speeltuin Hofpark" in followed.inner_text() and "gekozen" in followed.inner_text()
    assert "U heeft gestemd." in page.content()
    mails = [m for m in outbox.messages() if m["To"] == "jan@example.test"]
    assert len(mails) == 1 and mails[0]["Subject"].startswith("De uitslag is bekend")
    assert "Speeltuin Hofpark: gekozen" in mails[0].get_content()
    assert mails[0]["List-Unsubscribe"]

    problems: dict = {}
    _axe_at_both_widths(page, f"{live_server}/mijn", "mijn", problems)
    _axe_at_both_widths(page, f"{live_server}/proposals/{speeltuin}", "proposal", problems)
    _axe_at_both_widths(page, f"{live_server}/rounds/{round_id}/results", "results", problems)

    # The manager adds a milestone.
    project_id = session.scalar(select(Implementation.id).where(Implementation.proposal_id == speeltuin))
    session.commit()
    context = browser.new_context(locale="nl-NL", timezone_id="Europe/Amsterdam")
    manager_page = context.new_page()
    manager_page.set_default_timeout(10_000)
    _login(manager_page, live_server, "regisseur@example.test")
    manager_page.goto(f"{live_server}/manage/implementations")
    manager_page.get_by_role("link", name="Speeltuin Hofpark").click()
    manager_page.get_by_label("Datum").fill("2026-11-20")
    manager_page.get_by_label("Wat is er gebeurd?").fill("De speeltoestellen zijn besteld.")
    manager_page.get_by_role("button", name="Stap toevoegen").click()
    manager_page.wait_for_load_state()
    assert "De stap is toegevoegd." in manager_page.content()
    _axe_at_both_widths(manager_page, f"{live_server}/manage/implementations/{project_id}", "manage", problems)
    context.close()

    # The area's page links to the money page, which shows the milestone.
    page.goto(f"{live_server}/areas/ulft")
    page.get_by_role("link", name="Wat is er met het geld gebeurd").click()
    page.wait_for_load_state()
    assert "De speeltoestellen zijn besteld." in page.content()
    assert "20 november 2026" in page.content()
    grants_table = page.locator("h2:has-text('Kleine aanvragen uit het buurtbudget') + .table-wrap")
    assert "Buurtfeest in het Hofpark" in grants_table.inner_text() and "350,00" in grants_table.inner_text()
    _axe_at_both_widths(page, page.url, "money", problems)
    _axe_at_both_widths(page, f"{live_server}/grants/{grant_id}", "grant", problems)
    _axe_at_both_widths(page, f"{live_server}/areas/ulft", "area", problems)
    session.rollback()
    milestone_mails = [m for m in outbox.messages() if m["To"] == "jan@example.test"]
    assert len(milestone_mails) == 2 and "De speeltoestellen zijn besteld." in milestone_mails[-1].get_content()
    assert not problems, problems
