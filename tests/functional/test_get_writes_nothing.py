"""THREAT 12: no GET route writes, for any role (crawl every GET rule of app.url_map)."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from pb.db import MAX_ID, Base

DEMO_LOGINS = ["admin@buurtbudget.test", "regisseur@buurtbudget.test", "infopunt@buurtbudget.test",
               "bewoner@buurtbudget.test", None]


def _row_counts(session) -> dict[str, int]:
    session.rollback()
    counts = {t.name: session.scalar(select(func.count()).select_from(t)) or 0 for t in Base.metadata.sorted_tables}
    session.rollback()
    return counts


def _urls(app) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.endpoint == "static":
            continue
        if not rule.arguments:
            urls.append(rule.rule)
            continue
        for value in ("1", "2", "5", "ulft"):
            url = re.sub(r"<(?:int:)?\w+>", value, rule.rule)
            if "<" not in url:
                urls.append(url)
    return sorted(set(urls))


def test_get_routes_write_nothing_for_any_role(app, client, runner, session):
    assert runner.invoke(args=["pb", "demo"]).exit_code == 0
    urls = _urls(app)
    assert len(urls) > 40
    before = _row_counts(session)
    for login in DEMO_LOGINS:
        if login:
            client.post("/login", data={"login": login, "password": "buurtbudget-demo"})
        for url in urls:
            resp = client.get(url)
            assert resp.status_code < 500, (login, url, resp.status_code)
        client.post("/logout")
    assert _row_counts(session) == before


def test_ids_beyond_the_database_integer_are_not_found(app, client, session):
    """Every GET route with an id: one larger than the database's integer gives 404, not 500."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" in (rule.methods or set()) and "<int:" in rule.rule:
            urls.append(re.sub(r"<(?:int:)?\w+>", str(MAX_ID + 1), re.sub(r"<(?!int:)\w+>", "ulft", rule.rule)))
    assert len(urls) > 20
    for url in urls:
        assert client.get(url).status_code == 404, url
    urls_of = app.url_map.bind("localhost")
    assert urls_of.match(f"/rounds/{MAX_ID}") == ("rounds.round_page", {"round_id": MAX_ID})
