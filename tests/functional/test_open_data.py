"""Open data: the /api/v1 resources, caching (ETag, 304), CORS, paging stable under inserts, the
index of everything published and its archive, rate limits, and the widgets' frame policy."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
from sqlalchemy import select

from pb.models.audit import AuditEntry
from pb.models.result import RoundResult
from pb.models.user import Role
from pb.models.widget import WidgetOrigin
from pb.services import results as result_service
from pb.services.ballot_files import chain_head
from tests.factories import make_area, make_proposal, make_results_ballot, make_round, make_round_with_proposals
from tests.factories import make_user

API = "/api/v1"


def _published_round(session, area, *, votes=((0, 1), (0, 2), (1,))):
    round_ = make_round_with_proposals(session, area)
    ids = [p.id for p in round_.proposals]
    for chosen in votes:
        make_results_ballot(session, round_, dict.fromkeys(ids[i] for i in chosen))
    result_service.publish_results(session, round_, actor=None)
    session.commit()
    return round_


def _json(response):
    assert response.headers["Content-Type"].startswith("application/json"), response.headers["Content-Type"]
    return json.loads(response.get_data(as_text=True))


def _walk(client, url):
    """Every item of a paged list, following the ``next`` links."""
    items, pages = [], 0
    while url:
        body = _json(client.get(url))
        items.extend(body["items"])
        url = body["_links"].get("next", {}).get("href")
        pages += 1
    return items, pages


# --- resources ------------------------------------------------------------------------------------

def test_rounds_show_phases_budget_ballot_and_counting_rule_with_labels(client, session, area):
    round_ = make_round(session, area, phase="support", budget_cents=1_234_500, counting_rule="equalshares",
                           ballot_type="k_approval", max_projects=3)
    session.commit()
    body = _json(client.get(f"{API}/rounds/{round_.id}"))
    assert body["phase"]["id"] == "support" and body["phase"]["label"] == {"nl": "Steun verzamelen",
                                                                          "en": "Collecting support"}
    assert body["budget"] == {"amount_cents": 1_234_500, "currency": "EUR"}
    assert body["counting_rule"]["id"] == "equalshares"
    assert body["counting_rule"]["label"]["nl"].startswith("Gelijke delen")
    assert body["ballot"]["type"]["id"] == "k_approval" and body["ballot"]["max_projects"] == 3
    assert [p["phase"]["id"] for p in body["phases"]] == ["proposals", "support", "review", "voting", "results"]
    assert body["voting_open_at"].endswith("+00:00") and body["links"]["results"] is None
    assert any("U kiest maximaal 3 projecten." == s for s in body["rules_text"]["nl"])
    assert body["rules_text"]["en"] != body["rules_text"]["nl"]
    listed = _json(client.get(f"{API}/rounds", query_string={"area": "ulft"}))["items"]
    assert [r["id"] for r in listed] == [round_.id]
    assert _json(client.get(f"{API}/rounds", query_string={"area": "elders"}))["items"] == []


def test_proposals_show_public_fields_cost_and_history_but_no_drafts_or_hidden(client, session, area, auth):
    round_ = make_round(session, area, phase="review")
    author = make_user(session, name="Auteur")
    public = make_proposal(session, round_, author=author, status="in_review", title="Speeltuin")
    draft = make_proposal(session, round_, author=author, status="draft", title="Geheim concept")
    hidden = make_proposal(session, round_, author=author, status="hidden", title="Verborgen plan")
    manager = make_user(session, role=Role.MANAGER, areas=[area])
    session.commit()
    from pb.services import proposals as proposal_service

    proposal_service.review_proposal(session, public, actor=manager, feasible=True, reason="Past in het park.")
    session.commit()
    listed = _json(client.get(f"{API}/proposals", query_string={"round": round_.id}))["items"]
    assert [p["title"] for p in listed] == ["Speeltuin"]
    body = _json(client.get(f"{API}/proposals/{public.id}"))
    assert body["status"]["id"] == "feasible" and body["review_reason"] == "Past in het park."
    assert body["cost_lines"] == [{"description": "Materiaal", "amount_cents": 100_000}]
    assert body["ballot_cost_cents"] == 100_000
    assert [h["action"]["id"] for h in body["history"]] == ["proposal.review"]
    assert body["history"][0]["after"]["status"] == "feasible"
    assert "Auteur" not in json.dumps(body)  # no personal names in bulk data
    for p in (draft, hidden):
        response = client.get(f"{API}/proposals/{p.id}")
        assert response.status_code == 404 and response.headers["Content-Type"] == "application/problem+json"
    assert _json(client.get(f"{API}/proposals", query_string={"status": "feasible"}))["items"][0]["id"] == public.id


def test_result_version_is_the_same_content_as_results_json(client, session, area):
    round_ = _published_round(session, area)
    api = _json(client.get(f"{API}/rounds/{round_.id}/results/1"))
    assert api == _json(client.get(f"/rounds/{round_.id}/results.json"))
    assert api == _json(client.get(f"/rounds/{round_.id}/results/v1/results.json"))
    versions = _json(client.get(f"{API}/rounds/{round_.id}/results"))
    assert [v["version"] for v in versions["versions"]] == [1]
    assert client.get(f"{API}/rounds/{round_.id}/results/2").status_code == 404


# --- errors: problem+json, bad query parameters (THREAT #15) ---------------------------------------

@pytest.mark.parametrize("params", [
    {"limit": "abc"}, {"limit": "0"}, {"limit": "101"}, {"after": "-1"}, {"after": "99999999999999"},
    {"round": "1 OR 1=1"}, {"round": "0"}, {"status": "draft"}, {"status": "hidden"},
    {"status": "' OR ''='"}, {"after": "1; DROP TABLE areas"},
])
def test_bad_query_parameters_are_400_problems_never_500(client, session, area, params):
    path = f"{API}/proposals" if set(params) & {"round", "status"} else f"{API}/areas"
    response = client.get(path, query_string=params)
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = json.loads(response.get_data(as_text=True))
    assert problem["status"] == 400 and problem["invalidParams"][0]["name"] in params


def test_injection_in_filters_and_paths_is_harmless(client, session, area):
    for value in ("ulft' OR '1'='1", "%", "_", "ulft--", "a" * 500):
        response = client.get(f"{API}/rounds", query_string={"area": value})
        assert response.status_code in (200, 400)
        if response.status_code == 200:
            assert _json(response)["items"] == []
    for path in ("/areas/ulft'--", "/areas/%25", "/rounds/99999999999", "/proposals/0", "/nope"):
        response = client.get(API + path)
        assert response.status_code == 404 and response.headers["Content-Type"] == "application/problem+json"
    response = client.post(f"{API}/areas", csrf=False)
    assert response.status_code == 405 and "GET" in response.headers["Allow"]
    assert response.headers["Content-Type"] == "application/problem+json"


# --- caching: strong ETags, lifetimes, 304 -------------------------------------------------------

def test_etags_and_304_on_api_and_published_downloads(client, session, area):
    round_ = _published_round(session, area)
    result = session.scalars(select(RoundResult)).one()
    cases = [
        (f"{API}/areas", "public, max-age=60", None),
        (f"{API}/rounds/{round_.id}", "public, max-age=60", None),
        (f"{API}/results", "public, max-age=60", None),
        (f"{API}/rounds/{round_.id}/results/1", "public, max-age=31536000, immutable", None),
        (f"/rounds/{round_.id}/ballots.pb", "public, max-age=300", result.ballots_sha256),
        (f"/rounds/{round_.id}/results/v1/ballots.pb", "public, max-age=31536000, immutable", result.ballots_sha256),
        (f"/rounds/{round_.id}/results.json", "public, max-age=300", None),
        (f"/rounds/{round_.id}/results/v1/results.json", "public, max-age=31536000, immutable", None),
        (f"/rounds/{round_.id}/results.csv", "public, max-age=300", None),
        ("/open-data/ballots.zip", "public, max-age=300", None),
    ]
    for url, cache_control, sha in cases:
        first = client.get(url)
        assert first.status_code == 200, url
        assert first.headers["Cache-Control"] == cache_control, url
        etag = first.headers["ETag"]
        assert not etag.startswith("W/"), url  # strong
        expected = sha or (hashlib.sha256(first.get_data()).hexdigest() if "zip" not in url else None)
        if expected:
            assert etag == f'"{expected}"', url
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.get_data() == b"", url
        assert again.headers["ETag"] == etag
        assert client.get(url, headers={"If-None-Match": '"stale"'}).status_code == 200, url
    # Pages that are not published content keep no-store.
    assert client.get(f"/rounds/{round_.id}/results").headers["Cache-Control"] == "no-store"
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_api_responses_set_no_cookie_and_do_not_vary_by_cookie(client, auth, session, area):
    make_user(session, email="bewoner@example.test")
    session.commit()
    auth.login("bewoner@example.test")
    for url in (f"{API}/areas", f"{API}/areas/ulft", f"{API}/nope"):
        response = client.get(url)
        assert "Set-Cookie" not in response.headers, url
        assert "Cookie" not in response.headers.get("Vary", ""), url
        assert response.headers["API-Version"] == "1.0.0", url  # NLGov /core/version-header


# --- CORS -----------------------------------------------------------------------------------------

def test_cors_for_get_without_credentials(client, session, area):
    round_ = _published_round(session, area)
    origin = {"Origin": "https://data.example.org"}
    for url in (f"{API}/areas", f"{API}/nope", f"/rounds/{round_.id}/ballots.pb", f"/rounds/{round_.id}/results.json",
                "/open-data/ballots.zip"):
        response = client.get(url, headers=origin)
        assert response.headers["Access-Control-Allow-Origin"] == "*", url
        assert "Access-Control-Allow-Credentials" not in response.headers, url
        exposed = response.headers["Access-Control-Expose-Headers"]
        assert "ETag" in exposed and "Link" in exposed and "RateLimit-Remaining" in exposed
    preflight = client.options(f"{API}/areas", headers={**origin, "Access-Control-Request-Method": "GET",
                                                        "Access-Control-Request-Headers": "If-None-Match"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert set(preflight.headers["Access-Control-Allow-Methods"].replace(" ", "").split(",")) == {"GET", "HEAD",
                                                                                                  "OPTIONS"}
    assert "if-none-match" in preflight.headers["Access-Control-Allow-Headers"].lower()
    # Pages with forms and accounts are not shared with other origins.
    for url in ("/", "/login", f"/rounds/{round_.id}/results", "/admin/"):
        assert "Access-Control-Allow-Origin" not in client.get(url, headers=origin).headers, url


# --- paging ---------------------------------------------------------------------------------------

def test_paging_is_stable_under_inserts(client, session, area):
    round_ = make_round(session, area)
    first_ids = [make_proposal(session, round_, title=f"Plan {i}").id for i in range(7)]
    session.commit()
    seen, url, pages = [], f"{API}/proposals?limit=3&round={round_.id}", 0
    while url:
        response = client.get(url)
        body = _json(response)
        seen.extend(p["id"] for p in body["items"])
        assert 'rel="self"' in response.headers["Link"] and 'rel="first"' in response.headers["Link"]
        url = body["_links"].get("next", {}).get("href")
        if url:
            assert f'<{url}>; rel="next"' in response.headers["Link"]
        pages += 1
        if pages == 1:
            # Inserts while the client pages: new rows come after the cursor, never shift a page.
            make_proposal(session, round_, title="Later plan")
            make_proposal(session, round_, title="Nog later")
            session.commit()
    assert len(seen) == len(set(seen)) == 9
    assert seen[:7] == first_ids and seen == sorted(seen)
    assert pages == 3


# --- one index of everything published ------------------------------------------------------------

def test_index_lists_exactly_the_published_rounds_and_the_archive_holds_their_files(client, auth, session, area):
    other = make_area(session, slug="gendringen", name="Gendringen")
    published = [_published_round(session, area), _published_round(session, other)]
    corrected = _published_round(session, other)
    manager = make_user(session, role=Role.MANAGER, areas=[other])
    session.commit()
    result_service.correct_results(session, corrected, actor=manager, reason="Twee papieren stembiljetten vergeten.")
    session.commit()
    closed = make_round_with_proposals(session, area)  # counted nowhere, not published
    make_round(session, other)  # voting now
    session.commit()

    items, pages = _walk(client, f"{API}/results?limit=1")
    assert pages == 3
    assert sorted(i["round_id"] for i in items) == sorted(r.id for r in [*published, corrected])
    by_round = {i["round_id"]: i for i in items}
    assert by_round[corrected.id]["version"] == 2
    for item in items:
        newest = session.scalars(select(RoundResult).where(RoundResult.round_id == item["round_id"])
                                 .order_by(RoundResult.version.desc())).first()
        assert item["ballots_sha256"] == newest.ballots_sha256 and item["chain_head"] == newest.chain_head
        pb_text = client.get(item["links"]["ballots_pb_version"].removeprefix("http://buurtbudget.test")).get_data()
        assert hashlib.sha256(pb_text).hexdigest() == item["ballots_sha256"]
        assert chain_head(pb_text.decode()) == item["chain_head"]
        assert client.get(item["links"]["results_json"].removeprefix("http://buurtbudget.test")).status_code == 200

    page = client.get("/open-data/").get_data(as_text=True)
    for round_ in [*published, corrected]:
        assert f"/rounds/{round_.id}/results/v" in page
    assert f"/rounds/{closed.id}/" not in page
    for result in session.scalars(select(RoundResult).where(RoundResult.round_id == corrected.id)):
        assert (result.version == 2) == (result.ballots_sha256 in page)

    archive = zipfile.ZipFile(io.BytesIO(client.get("/open-data/ballots.zip").get_data()))
    names = archive.namelist()
    assert names[-2:] == ["SHA256SUMS", "index.json"]
    assert len(names) == 2 + 4  # every published version: 1 + 1 + 2
    sums = dict(reversed(line.split("  ")) for line in archive.read("SHA256SUMS").decode().splitlines())
    for name in names[:-2]:
        assert hashlib.sha256(archive.read(name)).hexdigest() == sums[name]
    assert {e["round_id"] for e in json.loads(archive.read("index.json"))} == {r.id for r in [*published, corrected]}


def test_api_docs_page_lists_every_operation(client, app):
    page = client.get("/open-data/api").get_data(as_text=True)
    document = _json(client.get(f"{API}/openapi.json"))
    assert document["openapi"] == "3.1.0"
    for path in document["paths"]:
        assert f"GET {path}" in page
    assert "Rondes, met fases, data, budget, stemregels en telregel" in page


# --- rate limits (THREAT #18) ---------------------------------------------------------------------

@pytest.fixture
def limited_app(migrated_url, tmp_path, app_config):
    from pb import create_app
    from tests.conftest import CSRFClient, _fresh_url

    app = create_app({**app_config, "DATABASE_URL": _fresh_url(migrated_url, tmp_path),
                      "RATELIMIT_ENABLED": True, "RATELIMIT_API": "3 per minute"})
    app.test_client_class = CSRFClient
    yield app
    app.extensions["pb_db"].kw["bind"].dispose()


def test_api_rate_limit_per_client_address_with_ratelimit_headers(limited_app):
    client = limited_app.test_client()
    here = {"REMOTE_ADDR": "192.0.2.10"}
    remaining = []
    for _ in range(3):
        response = client.get(f"{API}/areas", environ_base=here)
        assert response.status_code == 200
        assert response.headers["RateLimit-Limit"] == "3"
        assert response.headers["RateLimit-Policy"] == "3;w=60"
        remaining.append(int(response.headers["RateLimit-Remaining"]))
    assert remaining == [2, 1, 0]
    refused = client.get(f"{API}/rounds", environ_base=here,  # one budget for the whole API
                         headers={"Origin": "https://data.example.org"})
    assert refused.status_code == 429
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert 0 < int(refused.headers["Retry-After"]) <= 60 and refused.headers["RateLimit-Remaining"] == "0"
    assert refused.headers["Access-Control-Allow-Origin"] == "*"  # a script elsewhere can read why
    assert client.get(f"{API}/areas", environ_base={"REMOTE_ADDR": "192.0.2.11"}).status_code == 200
    assert client.get("/login", environ_base=here).status_code == 200  # the site itself is not limited by this


# --- widgets --------------------------------------------------------------------------------------

@pytest.fixture
def admin(session):
    return make_user(session, role=Role.ADMIN, email="beheer@example.test")


def _frame_ancestors(response):
    policy = response.headers["Content-Security-Policy"]
    return next(d for d in policy.split("; ") if d.startswith("frame-ancestors")).split()[1:]


def test_admin_allow_lists_origins_and_only_widgets_may_be_framed(client, auth, session, area, admin):
    round_ = _published_round(session, area)
    make_round(session, area, phase="voting", title="Buurtbudget Ulft 2027")
    session.commit()
    assert _frame_ancestors(client.get("/widgets/areas/ulft")) == ["'none'"]  # empty list: nobody

    auth.login(admin.email)
    assert "Widgets op andere websites" in client.get("/admin/widgets").get_data(as_text=True)
    for bad in ("https://a.nl; script-src *", "*", "https://*.gemeente.nl", "https://a.nl/pagina", "javascript:x",
                "https://a.nl'", "'none'", "ftp://a.nl", "https://user@a.nl", "https://a.nl\nX: y"):
        response = client.post("/admin/widgets", data={"origin": bad})
        assert response.status_code == 400, bad
    assert session.scalars(select(WidgetOrigin)).all() == []
    assert client.post("/admin/widgets", data={"origin": "HTTPS://www.Gemeente.nl/"}).status_code == 302
    assert client.post("/admin/widgets", data={"origin": "http://127.0.0.1:8080"}).status_code == 302
    assert client.post("/admin/widgets", data={"origin": "https://www.gemeente.nl"}).status_code == 400  # twice
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "widget_origin.add")) is not None
    auth.logout()

    allowed = ["http://127.0.0.1:8080", "https://www.gemeente.nl"]
    for url in ("/widgets/areas/ulft", f"/widgets/rounds/{round_.id}/results"):
        response = client.get(url)
        assert response.status_code == 200
        assert _frame_ancestors(response) == allowed, url
        assert "X-Frame-Options" not in response.headers
        assert "Set-Cookie" not in response.headers
        assert "https://evil.example" not in response.headers["Content-Security-Policy"]
    widget = client.get("/widgets/areas/ulft").get_data(as_text=True)
    assert "Buurtbudget Ulft 2027" in widget and 'target="_top"' in widget and "<form" not in widget
    assert 'aria-current="step"' in widget
    for url in ("/", "/open-data/", f"/rounds/{round_.id}/results", f"{API}/areas", "/login"):
        response = client.get(url)
        assert _frame_ancestors(response) == ["'none'"], url
        assert response.headers["X-Frame-Options"] == "DENY", url

    auth.login(admin.email)
    origin_id = session.scalar(select(WidgetOrigin.id).where(WidgetOrigin.origin == "https://www.gemeente.nl"))
    assert client.post(f"/admin/widgets/{origin_id}/remove").status_code == 302
    auth.logout()
    assert _frame_ancestors(client.get("/widgets/areas/ulft")) == ["http://127.0.0.1:8080"]


def test_widget_pages_refuse_others_and_only_admins_edit_the_list(client, auth, session, area):
    round_ = make_round(session, area)
    session.add(WidgetOrigin(origin="https://www.gemeente.nl"))
    users = [make_user(session, email="bewoner@example.test"),
             make_user(session, role=Role.STAFF, email="staf@example.test"),
             make_user(session, role=Role.MANAGER, email="regie@example.test", areas=[area])]
    session.commit()
    origin_id = session.scalar(select(WidgetOrigin.id))
    assert client.get(f"/widgets/rounds/{round_.id}/results").status_code == 404  # not published: no numbers
    assert client.get("/widgets/areas/nergens").status_code == 404
    assert client.get("/admin/widgets").status_code == 302  # to the login page
    for user in users:
        auth.login(user.email)
        assert client.get("/admin/widgets").status_code == 403, user.role
        assert client.post("/admin/widgets", data={"origin": "https://evil.example"}).status_code == 403
        assert client.post(f"/admin/widgets/{origin_id}/remove").status_code == 403
        auth.logout()
    assert [o.origin for o in session.scalars(select(WidgetOrigin))] == ["https://www.gemeente.nl"]


def test_widget_speaks_english_on_request(client, session, area):
    make_round(session, area, phase="proposals")
    session.commit()
    body = client.get("/widgets/areas/ulft", query_string={"lang": "en"}).get_data(as_text=True)
    assert '<html lang="en">' in body and "Submit plans" in body


# --- the small-grants register and implementation tracking ---------------------------------------------

@pytest.fixture
def grants_world(session, area):
    """Ulft: a published round (tracking of its chosen projects) and three small grant applications:
    one granted and tracked, one refused, one waiting; a granted one in another area."""
    from pb.services import grant_decisions
    from tests.factories import make_resident
    from tests.grant_factories import make_application, make_mandate, make_pot, make_settings

    rnd = _published_round(session, area)
    manager = make_user(session, role=Role.MANAGER, areas=[area], email="regisseur-api@example.test")
    other = make_area(session, slug="gendringen", name="Gendringen")
    other_manager = make_user(session, role=Role.MANAGER, areas=[other])
    for a, m in ((area, manager), (other, other_manager)):
        make_settings(session, a, min_backing=0)
        make_pot(session, a)
        make_mandate(session, m, 100_000)
    applicant = make_resident(session, area, user=make_user(session, email="geheim@example.test", name="Geheim"))
    granted = make_application(session, area, applicant, cents=40_000, title="Buurtfeest",
                               organisation_name="Buurtvereniging Ulft")
    grant_decisions.grant(session, granted, actor=manager)
    refused = make_application(session, area, applicant, cents=10_000, title="Vuurwerk")
    grant_decisions.refuse(session, refused, actor=manager, reason="Dat past niet bij de gebiedsagenda.")
    waiting = make_application(session, area, applicant, cents=5_000, title="Bloembakken")
    elsewhere = make_application(session, other, make_resident(session, other), cents=20_000, title="Jeu de boules")
    grant_decisions.grant(session, elsewhere, actor=other_manager)
    session.commit()
    return {"round": rnd, "granted": granted, "refused": refused, "waiting": waiting, "elsewhere": elsewhere,
            "manager": manager}


def test_grants_register_in_the_api_is_the_public_register(client, session, area, grants_world):
    from pb.services import grant_register, implementations

    w = grants_world
    items, _pages = _walk(client, f"{API}/grants?area=ulft&limit=2")
    assert [g["id"] for g in items] == sorted(a.id for a in (w["granted"], w["refused"], w["waiting"]))
    by_title = {g["title"]: g for g in items}
    feest = by_title["Buurtfeest"]
    assert feest["status"]["id"] == "granted" and feest["status"]["label"]["en"]
    assert feest["granted_cents"] == 40_000 and feest["requested_cents"] == 40_000 and feest["currency"] == "EUR"
    assert feest["applicant"] == "Buurtvereniging Ulft" and feest["accountability"]["id"] == "due"
    tracking = implementations.of_grant(session, w["granted"])
    assert feest["links"]["implementation"].endswith(f"{API}/implementations/{tracking.id}")
    assert feest["links"]["html"].endswith(f"/grants/{w['granted'].id}")
    vuurwerk = by_title["Vuurwerk"]
    assert vuurwerk["decision_reason"] == "Dat past niet bij de gebiedsagenda."
    assert vuurwerk["accountability"] is None and vuurwerk["links"]["implementation"] is None
    # the same applications and figures as the register's own JSON download
    register = {r["id"]: r for r in grant_register.register_json(session, area)["applications"]}
    assert set(register) == {g["id"] for g in items}
    for g in items:
        assert register[g["id"]]["backing"] == g["backing"] and register[g["id"]]["status"] == g["status"]["id"]
    # never what the applicant did not make public
    everything = client.get(f"{API}/grants").get_data(as_text=True)
    assert "geheim@example.test" not in everything and "Geheim" not in everything
    assert len(_json(client.get(f"{API}/grants"))["items"]) == 4
    one = _json(client.get(f"{API}/grants/{w['granted'].id}"))
    assert one == feest
    assert client.get(f"{API}/grants/999999").headers["Content-Type"] == "application/problem+json"
    assert _json(client.get(f"{API}/grants?area=bestaat-niet"))["items"] == []


def test_implementations_in_the_api_match_the_money_page(client, auth, session, area, grants_world):
    from pb.models.implementation import ImplementationStatus
    from pb.services import implementations

    w = grants_world
    tracking = implementations.of_grant(session, w["granted"])
    implementations.update_implementation(session, tracking, actor=w["manager"],
                                          status=ImplementationStatus.IN_PROGRESS, actual_cents=12_345, reason="")
    import datetime as dt

    implementations.add_milestone(session, tracking, actor=w["manager"], happened_on=dt.date(2026, 6, 13),
                                  text="Tenten besteld")
    session.commit()
    report = implementations.money_report(session, area, tracking.year)
    items, _pages = _walk(client, f"{API}/implementations?area=ulft&year={tracking.year}&limit=1")
    assert {i["id"] for i in items} == {i.id for i in report.items}
    assert sum(i["budgeted_cents"] for i in items if i["status"]["id"] != "cancelled") \
        == report.total.budgeted_cents
    feest = next(i for i in items if i["kind"]["id"] == "small_grant")
    assert feest["title"] == "Buurtfeest" and feest["status"]["id"] == "in_progress"
    assert feest["status"]["label"] == {"nl": "in uitvoering", "en": "in progress"}
    assert feest["budgeted_cents"] == 40_000 and feest["actual_cents"] == 12_345
    assert feest["milestones"] == [{"date": "2026-06-13", "text": "Tenten besteld", "photo": None}]
    assert feest["links"]["grant"].endswith(f"{API}/grants/{w['granted'].id}") and feest["links"]["proposal"] is None
    assert feest["links"]["html"].endswith(f"/areas/ulft/geld/{tracking.year}")
    projects = _json(client.get(f"{API}/implementations?kind=project"))["items"]
    assert projects and all(p["kind"]["id"] == "project" and p["links"]["proposal"] for p in projects)
    assert {p["id"] for p in projects} == {i.id for i in report.projects}
    grants_only = _json(client.get(f"{API}/implementations?kind=small_grant"))["items"]
    assert {g["title"] for g in grants_only} == {"Buurtfeest", "Jeu de boules"}
    assert _json(client.get(f"{API}/implementations/{tracking.id}")) == feest
    assert client.get(f"{API}/implementations?kind=other").status_code == 400
    assert client.get(f"{API}/implementations?year=abc").headers["Content-Type"] == "application/problem+json"


def test_grants_and_implementations_have_etags_304_and_stable_paging(client, session, area, grants_world):
    for url in (f"{API}/grants", f"{API}/grants/{grants_world['granted'].id}", f"{API}/implementations"):
        first = client.get(url)
        assert first.status_code == 200 and first.headers["Cache-Control"] == "public, max-age=60", url
        etag = first.headers["ETag"]
        assert etag == f'"{hashlib.sha256(first.get_data()).hexdigest()}"', url
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304, url
    seen, url = [], f"{API}/grants?limit=2"
    while url:
        body = _json(client.get(url))
        seen.extend(g["id"] for g in body["items"])
        if len(seen) == 2:
            from tests.factories import make_resident
            from tests.grant_factories import make_application

            make_application(session, area, make_resident(session, area), title="Later")
            session.commit()
        url = body["_links"].get("next", {}).get("href")
    assert len(seen) == len(set(seen)) == 5 and seen == sorted(seen)


def test_login_required_under_api_answers_401_problem_json(app, client):
    from flask_login import login_required

    app.add_url_rule("/api/v1/_private", "private_probe", login_required(lambda: "geheim"))
    app.add_url_rule("/private-page", "private_page", login_required(lambda: "geheim"))
    response = client.get("/api/v1/_private")
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
    body = json.loads(response.get_data(as_text=True))
    assert body["status"] == 401 and body["title"] == "Unauthorized" and body["instance"] == "/api/v1/_private"
    assert body["detail"]
    # pages still send visitors to the login page
    assert client.get("/private-page").status_code == 302
