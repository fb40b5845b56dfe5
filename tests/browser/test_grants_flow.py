"""The whole small-grant path in a browser: a resident applies, two neighbours back it, the
gebiedsregisseur grants within the mandate, a larger one needs a second decision-maker, the applicant
reports back, the public register shows it; axe finds no violation on any of these pages; screenshots
at 1280 and 375 pixels wide."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from pb.models.grant import ApplicationStatus, GrantApplication, GrantPot
from pb.models.user import Role
from tests.browser.conftest import screenshot
from tests.factories import PASSWORD, make_area, make_resident, make_user
from tests.grant_factories import make_mandate, make_pot, make_settings, png_bytes

pytestmark = pytest.mark.browser
DEMO = "buurtbudget-demo"


def _login(page, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(base + "/login")
    page.get_by_label("E-mailadres of gebruikersnaam").fill(email)
    page.get_by_label("Wachtwoord").fill(password)
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("button", name="Uitloggen")).to_be_visible()


def _logout(page) -> None:
    page.get_by_role("button", name="Uitloggen").click()
    expect(page.get_by_role("link", name="Inloggen")).to_be_visible()


def _violations(page) -> list[tuple[str, str, list]]:
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in found]


class Checker:
    """Runs axe on each page it is given and keeps screenshots at two widths."""

    def __init__(self, page) -> None:
        self.page = page
        self.problems: dict[str, list] = {}

    def check(self, name: str) -> None:
        if found := _violations(self.page):
            self.problems[f"{name} {self.page.url}"] = found
        screenshot(self.page, f"grants-{name}-1280")
        self.page.set_viewport_size({"width": 375, "height": 800})
        screenshot(self.page, f"grants-{name}-375")
        if found := _violations(self.page):
            self.problems[f"{name} 375px {self.page.url}"] = found
        self.page.set_viewport_size({"width": 1280, "height": 900})


def _apply(page, base: str, title: str, lines: list[tuple[str, str]], photo: str | None = None) -> str:
    page.goto(base + "/areas/ulft")
    page.get_by_role("link", name="Naar het buurtbudget van Ulft").click()
    page.get_by_role("link", name="Vraag geld aan").click()
    page.get_by_label("Titel van uw aanvraag").fill(title)
    page.get_by_label("Wat wilt u doen, en waarom?").fill("Iets moois voor de hele straat.")
    for i, (item, amount) in enumerate(lines, start=1):
        page.get_by_label(f"Kostenregel {i}: omschrijving").fill(item)
        page.get_by_label(f"Kostenregel {i}: bedrag in euro").fill(amount)
    page.get_by_label("Bij welk punt van de gebiedsagenda past het? (niet verplicht)").select_option(label="Groen")
    page.get_by_label("Mijn naam mag op de openbare lijst staan").check()
    if photo:
        page.get_by_label("Foto (niet verplicht)").set_input_files(photo)
    page.get_by_role("button", name="Aanvraag indienen").click()
    expect(page.locator(".flashes")).to_contain_text("Uw aanvraag is ingediend")
    return page.url


def test_apply_back_grant_four_eyes_report_register(live_server, page, session, tmp_path):
    area = make_area(session, slug="ulft", name="Ulft")
    make_resident(session, area, user=make_user(session, email="jan@example.test", name="Jan Jansen"))
    make_resident(session, area, user=make_user(session, email="mien@example.test", name="Mien Hendriks"))
    make_resident(session, area, user=make_user(session, email="kees@example.test", name="Kees Wolters"))
    regisseur = make_user(session, role=Role.MANAGER, areas=[area], email="regisseur@example.test", name="Gerrit")
    admin = make_user(session, role=Role.ADMIN, email="admin@example.test", name="Anne")
    make_mandate(session, regisseur, 1_000_00)
    make_settings(session, area, min_backing=2, receipts_above_cents=2_000_00)
    make_pot(session, area, grants_cents=10_000_00)
    from pb.models.agenda import AgendaItem

    session.add(AgendaItem(area_id=area.id, title="Groen", description="Meer bloemen en bomen.", position=1))
    session.commit()
    del admin
    photo = tmp_path / "bakken.png"
    photo.write_bytes(png_bytes((120, 80)))
    check = Checker(page)
    page.set_viewport_size({"width": 1280, "height": 900})

    # A resident applies (within the mandate) and a second, larger one (above it).
    _login(page, live_server, "jan@example.test")
    page.goto(live_server + "/areas/ulft/buurtbudget")
    check.check("register-empty")
    page.get_by_role("link", name="Vraag geld aan").click()
    check.check("apply")
    small_url = _apply(page, live_server, "Bloembakken Kerkstraat", [("Bakken", "450,00"), ("Planten", "150")],
                       str(photo))
    expect(page.locator("main")).to_contain_text("0 buren steunen deze aanvraag")
    check.check("application")
    large_url = _apply(page, live_server, "Speelplek Bongerd", [("Speeltoestel", "1.500,00")])
    _logout(page)

    # Two neighbours back both.
    for email in ("mien@example.test", "kees@example.test"):
        _login(page, live_server, email)
        for url in (small_url, large_url):
            page.goto(url)
            page.get_by_role("button", name="Ik steun deze aanvraag").click()
            expect(page.locator(".flashes")).to_contain_text("U steunt deze aanvraag")
        _logout(page)
    page.goto(small_url)
    expect(page.locator("main")).to_contain_text("2 buren steunen deze aanvraag")

    # The gebiedsregisseur grants the small one alone, and the large one goes to a second decision-maker.
    _login(page, live_server, "regisseur@example.test")
    page.get_by_role("link", name="Beheer").click()
    page.get_by_role("link", name="Buurtbudget: aanvragen en gebiedsagenda").click()
    check.check("manage-queue")
    page.get_by_role("link", name="Bloembakken Kerkstraat").first.click()
    expect(page.locator("main")).to_contain_text("Online: 2")
    check.check("manage-application")
    page.get_by_label("Toekennen").check()
    page.get_by_label("Voorwaarden (niet verplicht, openbaar)").fill("Stuur na afloop een foto.")
    page.get_by_role("button", name="Besluit opslaan").click()
    expect(page.locator(".flashes")).to_contain_text("Toegekend.")
    page.get_by_role("button", name="Uitbetaald").click()
    expect(page.locator(".flashes")).to_contain_text("kasboek")
    page.goto(large_url.replace("/grants/", "/manage/grants/"))
    page.get_by_label("Toekennen").check()
    page.get_by_role("button", name="Besluit opslaan").click()
    expect(page.locator(".flashes")).to_contain_text("tweede beslisser")
    expect(page.locator("main")).to_contain_text("Een andere gebiedsregisseur of de gemeente moet akkoord geven.")
    _logout(page)

    _login(page, live_server, "admin@example.test")
    page.goto(large_url.replace("/grants/", "/manage/grants/"))
    check.check("manage-second")
    page.get_by_label("Ja, toekennen").check()
    page.get_by_role("button", name="Opslaan").click()
    expect(page.locator(".flashes")).to_contain_text("Toegekend.")
    _logout(page)

    # The applicant reports back with a photo.
    _login(page, live_server, "jan@example.test")
    page.goto(small_url)
    page.get_by_role("link", name="Vertel hoe het ging").click()
    check.check("report")
    page.get_by_label("Wat is er gebeurd?").fill("De bakken staan er en de buren geven water.")
    page.get_by_label("Wat heeft het echt gekost, in euro?").fill("560")
    page.get_by_label("Foto's (niet verplicht)").set_input_files(str(photo))
    page.get_by_role("button", name="Verantwoording versturen").click()
    expect(page.locator(".flashes")).to_contain_text("Uw verantwoording is verstuurd")
    _logout(page)

    # The manager accepts; the unspent 40 euros return to the pot.
    _login(page, live_server, "regisseur@example.test")
    page.goto(small_url.replace("/grants/", "/manage/grants/"))
    page.get_by_label("Goedkeuren").check()
    page.get_by_role("button", name="Beoordeling opslaan").click()
    expect(page.locator(".flashes")).to_contain_text("Uw beoordeling is opgeslagen")
    _logout(page)

    # The public register shows it all.
    page.goto(live_server + "/areas/ulft/buurtbudget")
    register = page.locator("main")
    expect(register).to_contain_text("Bloembakken Kerkstraat")
    expect(register).to_contain_text("Verantwoording goedgekeurd")
    expect(register).to_contain_text("Speelplek Bongerd")
    expect(register).to_contain_text("Jan Jansen")
    expect(register).to_contain_text("7.940,00")  # 10.000 - 600 - 1.500 + 40
    check.check("register")
    page.get_by_role("link", name="Groen").click()
    expect(page.locator("main")).to_contain_text("Bloembakken Kerkstraat")
    check.check("agenda-item")
    page.goto(small_url)
    check.check("application-reported")

    session.rollback()
    statuses = {a.title: a.status for a in session.scalars(select(GrantApplication))}
    assert statuses == {"Bloembakken Kerkstraat": ApplicationStatus.GRANTED,
                        "Speelplek Bongerd": ApplicationStatus.GRANTED}
    assert session.scalar(select(GrantPot.available_cents)) == 7_940_00
    assert not check.problems, check.problems


def test_grant_pages_of_the_demo_are_axe_clean(live_server, live_app, page):
    result = live_app.test_cli_runner().invoke(args=["pb", "demo"])
    assert result.exit_code == 0, result.output
    check = Checker(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    _login(page, live_server, "regisseur@buurtbudget.test", DEMO)
    page.goto(live_server + "/manage/areas/ulft/grants")
    check.check("demo-manage-queue")
    links = page.eval_on_selector_all("main a[href^='/manage/grants/']", "els => els.map(e => e.getAttribute('href'))")
    for href in sorted(set(links))[:4]:
        page.goto(live_server + href)
        check.check("demo-manage-" + href.rsplit("/", 1)[-1])
    _logout(page)
    _login(page, live_server, "admin@buurtbudget.test", DEMO)
    for name, path in (("demo-admin-settings", "/admin/areas/ulft/buurtbudget"), ("demo-mandates", "/admin/mandates")):
        page.goto(live_server + path)
        check.check(name)
    _logout(page)
    _login(page, live_server, "infopunt@buurtbudget.test", DEMO)
    page.goto(live_server + "/infopunt/grants")
    check.check("demo-infopunt")
    page.get_by_role("link", name="Aanvraag invullen voor een bewoner").first.click()
    check.check("demo-infopunt-apply")
    _logout(page)
    page.goto(live_server + "/areas/ulft/buurtbudget")
    check.check("demo-register")
    assert not check.problems, check.problems
