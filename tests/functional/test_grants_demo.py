"""The demo: each village has a pot, an agenda and applications in every state; every grant page of the
demo renders for every demo role without a server error; loading twice adds nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from pb.demo import results as demo_results
from pb.models.agenda import AgendaItem
from pb.models.area import Area
from pb.models.grant import ApplicationStatus, GrantApplication, GrantPot, GrantReport, ReportStatus

DEMO_LOGINS = ["admin@buurtbudget.test", "regisseur@buurtbudget.test", "infopunt@buurtbudget.test",
               "bewoner@buurtbudget.test", None]


def test_every_area_has_pot_agenda_and_every_state(app, runner, session):
    assert runner.invoke(args=["pb", "demo"]).exit_code == 0
    session.commit()
    counts = session.scalar(select(func.count()).select_from(GrantApplication))
    assert runner.invoke(args=["pb", "demo"]).exit_code == 0  # idempotent
    session.commit()
    assert session.scalar(select(func.count()).select_from(GrantApplication)) == counts
    # Every demo village; the Assen example (a published round from another town) has no grants.
    for area in session.scalars(select(Area).where(Area.slug != demo_results.DEMO_AREA)):
        pot = session.scalar(select(GrantPot).where(GrantPot.area_id == area.id))
        assert pot is not None and 0 <= pot.available_cents <= pot.grants_cents, area.slug
        assert session.scalar(select(func.count()).select_from(AgendaItem).where(AgendaItem.area_id == area.id)) >= 3
        statuses = set(session.scalars(select(GrantApplication.status).where(GrantApplication.area_id == area.id)))
        assert statuses == set(ApplicationStatus), (area.slug, statuses)
        reports = set(session.scalars(select(GrantReport.status).join(GrantApplication)
                                      .where(GrantApplication.area_id == area.id)))
        assert reports == set(ReportStatus), (area.slug, reports)


def test_demo_grant_pages_render_for_every_role(app, client, runner, session):
    assert runner.invoke(args=["pb", "demo"]).exit_code == 0
    session.commit()
    slugs = list(session.scalars(select(Area.slug)))
    ids = list(session.scalars(select(GrantApplication.id)))
    items = [(i.id, session.get(Area, i.area_id).slug) for i in session.scalars(select(AgendaItem))]
    for login in DEMO_LOGINS:
        if login:
            client.post("/login", data={"login": login, "password": "buurtbudget-demo"})
        urls = [f"/areas/{s}/buurtbudget" for s in slugs] + [f"/grants/{i}" for i in ids]
        urls += [f"/areas/{s}/agenda/{i}" for i, s in items]
        urls += [f"/manage/areas/{s}/grants" for s in slugs] + [f"/manage/grants/{i}" for i in ids]
        urls += ["/infopunt/grants", "/admin/mandates"] + [f"/admin/areas/{s}/buurtbudget" for s in slugs]
        for url in urls:
            resp = client.get(url)
            assert resp.status_code in (200, 302, 403), (login, url, resp.status_code)
        client.post("/logout")
    resp = client.get("/areas/ulft")
    assert "/areas/ulft/buurtbudget" in resp.get_data(as_text=True)
