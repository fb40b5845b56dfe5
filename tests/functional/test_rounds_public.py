"""Public round pages and the residents' side: proposing with cost lines, photos, support (also
under concurrency), mass assignment, XSS in every text field, query parameter abuse, the CLI."""

from __future__ import annotations

import io
import re
import threading

import pytest
from PIL import Image
from sqlalchemy import func, select

from pb.db import db_session
from pb.errors import InvalidState
from pb.models.audit import AuditEntry
from pb.models.proposal import Proposal, ProposalStatus, Support
from pb.models.user import Role, User
from pb.services import proposals as ps
from tests.factories import make_area, make_proposal, make_resident, make_round, make_user


def _proposal_post(**overrides) -> dict:
    data = {
        "title": "Speeltuin opknappen", "summary": "Nieuwe schommels", "description": "Een mooi plan.",
        "location": "Rozenstraat", "theme_id": "", "neighbourhood_id": "",
        "cost_lines-0-item": "Schommels", "cost_lines-0-amount": "1.234,50",
        "cost_lines-1-item": "Hek", "cost_lines-1-amount": "765.50",
        "coinitiators": "",
    }
    data.update(overrides)
    return data


def test_home_and_area_show_current_rounds(client, session, area):
    round_ = make_round(session, area, phase="support", title="Buurtbudget Ulft")
    home = client.get("/").get_data(as_text=True)
    assert "Buurtbudget Ulft" in home and f"/rounds/{round_.id}" in home and "Steun verzamelen" in home
    assert "Buurtbudget Ulft" in client.get("/areas/ulft").get_data(as_text=True)


def test_round_page_shows_timeline_rules_budget(client, session, area):
    round_ = make_round(session, area, phase="proposals", budget_cents=2_500_000, support_threshold=5, min_age=16)
    page = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    assert "€ 25.000" in page or "€\xa025.000" in page
    assert 'aria-current="step"' in page and "Plannen indienen" in page
    assert "5 steunbetuigingen" in page and "vanaf 16 jaar" in page and "liggen het budget" in page


def test_resident_proposes_with_two_cost_lines_and_submits(client, session, area, resident, auth, outbox):
    round_ = make_round(session, area, phase="proposals")
    auth.login(resident.email)
    resp = client.post(f"/rounds/{round_.id}/proposals/new", data=_proposal_post())
    assert resp.status_code == 302, resp.get_data(as_text=True)
    p = session.scalar(select(Proposal))
    assert p.status == ProposalStatus.DRAFT and p.estimated_cost_cents == 200_000
    assert [(c.description, c.amount_cents) for c in p.cost_lines] == [("Schommels", 123_450), ("Hek", 76_550)]
    assert client.get(f"/proposals/{p.id}").status_code == 200
    client.post(f"/proposals/{p.id}/submit")
    assert p.status == ProposalStatus.SUBMITTED
    page = client.get(f"/proposals/{p.id}").get_data(as_text=True)
    assert "Plan ingediend" in page and "2.000,00" in page
    assert "Ingediend, zoekt steun" in outbox.last_body()


def test_draft_hidden_from_others(client, session, area, resident, auth):
    round_ = make_round(session, area, phase="proposals")
    p = make_proposal(session, round_, author=resident, status="draft", title="Geheim plan")
    assert client.get(f"/proposals/{p.id}").status_code == 404
    assert "Geheim plan" not in client.get(f"/rounds/{round_.id}/proposals").get_data(as_text=True)
    auth.login(resident.email)
    assert client.get(f"/proposals/{p.id}").status_code == 200


def test_proposal_mass_assignment_ignored(client, session, area, resident, auth):
    round_ = make_round(session, area, phase="proposals")
    other_round = make_round(session, make_area(session), phase="proposals")
    other = make_user(session)
    auth.login(resident.email)
    extra = {"status": "feasible", "cost_cents": "1", "estimated_cost_cents": "1", "author_id": str(other.id),
             "round_id": str(other_round.id), "review_reason": "x", "merged_into_id": "1", "photo_filename": "../x"}
    client.post(f"/rounds/{round_.id}/proposals/new", data=_proposal_post(**extra))
    p = session.scalar(select(Proposal))
    assert (p.status, p.cost_cents, p.estimated_cost_cents, p.author_id, p.round_id, p.review_reason,
            p.merged_into_id, p.photo_filename) == (ProposalStatus.DRAFT, None, 200_000, resident.id, round_.id, "",
                                                    None, None)
    client.post(f"/proposals/{p.id}/edit", data=_proposal_post(title="Nieuw", **extra))
    assert (p.title, p.status, p.author_id, p.cost_cents) == ("Nieuw", ProposalStatus.DRAFT, resident.id, None)


def test_bad_amount_shows_error(client, session, area, resident, auth):
    round_ = make_round(session, area, phase="proposals")
    auth.login(resident.email)
    resp = client.post(f"/rounds/{round_.id}/proposals/new", data=_proposal_post(**{"cost_lines-1-amount": "veel"}))
    assert resp.status_code == 200 and "bedrag in euro" in resp.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Proposal)) == 0


def test_non_resident_cannot_open_the_form(client, session, area, auth):
    round_ = make_round(session, area, phase="proposals")
    outsider = make_resident(session, make_area(session))
    auth.login(outsider.email)
    assert client.get(f"/rounds/{round_.id}/proposals/new").status_code == 403
    assert client.post(f"/rounds/{round_.id}/proposals/new", data=_proposal_post()).status_code == 403
    assert session.scalar(select(func.count()).select_from(Proposal)) == 0


def test_support_and_unsupport_through_pages(client, session, area, resident, auth):
    round_ = make_round(session, area, phase="support", support_threshold=2)
    p = make_proposal(session, round_, author=make_resident(session, area), status="submitted")
    auth.login(resident.email)
    assert "Steun dit plan" in client.get(f"/proposals/{p.id}").get_data(as_text=True)
    client.post(f"/proposals/{p.id}/support")
    client.post(f"/proposals/{p.id}/support")
    assert session.scalar(select(func.count()).select_from(Support)) == 1
    page = client.get(f"/proposals/{p.id}").get_data(as_text=True)
    assert "1 bewoner steunt dit plan" in page and "Steun intrekken" in page
    client.post(f"/proposals/{p.id}/unsupport")
    assert session.scalar(select(func.count()).select_from(Support)) == 0


def test_author_page_counts_no_own_support(client, session, area, resident, auth):
    """The author gets no support button; support from before (a merge) is not shown as counting."""
    round_ = make_round(session, area, phase="support", support_threshold=1)
    p = make_proposal(session, round_, author=resident, status="submitted")
    auth.login(resident.email)
    page = client.get(f"/proposals/{p.id}").get_data(as_text=True)
    assert "Uw eigen steun telt niet mee" in page and "Steun dit plan" not in page
    client.post(f"/proposals/{p.id}/support")
    assert session.scalar(select(func.count()).select_from(Support)) == 0
    session.add(Support(proposal_id=p.id, user_id=resident.id))
    session.commit()
    assert "0 bewoners steunen dit plan" in client.get(f"/proposals/{p.id}").get_data(as_text=True)


def test_concurrent_support_one_row(app, session, area):
    """N threads support the same proposal for the same resident at once: one row, the rest told."""
    round_ = make_round(session, area, phase="support")
    p = make_proposal(session, round_, author=make_resident(session, area), status="submitted")
    supporter = make_resident(session, area)
    proposal_id, supporter_id = p.id, supporter.id  # read before the threads: the test session is not shared
    session.commit()
    n = 8
    barrier = threading.Barrier(n)
    results: list[str] = []

    def worker() -> None:
        with app.app_context():
            s = db_session()
            barrier.wait()
            try:
                ps.support_proposal(s, s.get(Proposal, proposal_id), actor=s.get(User, supporter_id))
                s.commit()
                results.append("ok")
            except InvalidState as exc:
                s.rollback()
                results.append(exc.message)

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results.count("ok") == 1, results
    assert results.count("U steunt dit plan al.") == n - 1
    assert session.scalar(select(func.count()).select_from(Support).where(Support.proposal_id == proposal_id)) == 1


def test_withdraw_after_voting_opened_409(client, session, area, resident, auth):
    round_ = make_round(session, area, phase="voting")
    p = make_proposal(session, round_, author=resident, status="feasible")
    auth.login(resident.email)
    assert client.post(f"/proposals/{p.id}/withdraw").status_code == 409
    assert p.status == ProposalStatus.FEASIBLE
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "proposal.withdraw.refused")) is not None


@pytest.mark.parametrize("query", [
    "sort=title;DROP TABLE proposals", "sort=1 OR 1=1", "theme=1'--", "theme=-1", "status=feasible' OR '1",
    "status[]=x", "q=%27%22%3B--", "q=" + "a" * 5000, "sort=__class__", "q=%25%25%25_", "theme=99999999999999999999",
])
def test_query_parameter_abuse_never_500(client, session, area, resident, query):
    round_ = make_round(session, area, phase="support")
    make_proposal(session, round_, author=resident, status="submitted", title="Bankjes")
    resp = client.get(f"/rounds/{round_.id}/proposals?{query}")
    assert resp.status_code in (200, 400)
    assert session.scalar(select(func.count()).select_from(Proposal)) == 1


@pytest.mark.parametrize("url", ["/rounds/99999999999999999999", "/proposals/99999999999999999999",
                                 "/proposals/99999999999999999999/photo", "/rounds/0/proposals"])
def test_huge_ids_are_404(client, url):
    assert client.get(url).status_code == 404


def test_filters_and_search(client, session, area, resident):
    round_ = make_round(session, area, phase="review")
    a = make_proposal(session, round_, author=resident, title="Bankjes aan de dijk", status="in_review")
    b = make_proposal(session, round_, author=resident, title="AED bij de kerk", status="not_enough_support")
    theme_id = round_.themes[0].id
    a.theme_id = theme_id
    page = client.get(f"/rounds/{round_.id}/proposals?q=dijk").get_data(as_text=True)
    assert a.title in page and b.title not in page
    page = client.get(f"/rounds/{round_.id}/proposals?status=not_enough_support").get_data(as_text=True)
    assert b.title in page and a.title not in page
    page = client.get(f"/rounds/{round_.id}/proposals?theme={theme_id}").get_data(as_text=True)
    assert a.title in page and b.title not in page


# --- photos ----------------------------------------------------------------------------------------


def _image(fmt: str, size=(40, 30), exif: bool = False) -> bytes:
    img = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    kwargs = {}
    if exif:
        ex = Image.Exif()
        ex[0x010F] = "GeheimeCamera"  # Make
        ex[0x8825] = {1: "N", 2: (52.0, 0.0, 0.0)}  # GPS
        kwargs["exif"] = ex.tobytes()
    img.save(out, fmt, **kwargs)
    return out.getvalue()


@pytest.fixture
def proposing(client, session, area, resident, auth):
    round_ = make_round(session, area, phase="proposals")
    auth.login(resident.email)
    return round_


def _files(app, session) -> list:
    """The stored photos (in the database: app hosts keep no files)."""
    from pathlib import Path

    from pb.models.stored_file import StoredFile

    folder = Path(app.config["UPLOAD_DIR"])
    assert not folder.exists() or not any(folder.rglob("*.*"))  # nothing on the app host's disk
    session.commit()  # see what the requests committed
    return list(session.scalars(select(StoredFile.name).where(StoredFile.kind == "photo")))


def test_jpeg_photo_reencoded_without_exif(app, client, session, proposing):
    data = _image("JPEG", exif=True)
    assert b"GeheimeCamera" in data
    resp = client.post(f"/rounds/{proposing.id}/proposals/new", content_type="multipart/form-data",
                       data=_proposal_post(photo=(io.BytesIO(data), "vakantie.jpg")))
    assert resp.status_code == 302
    p = session.scalar(select(Proposal))
    assert re.fullmatch(r"[0-9a-f]{32}\.jpg", p.photo_filename)
    served = client.get(f"/proposals/{p.id}/photo")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert b"GeheimeCamera" not in served.data and not Image.open(io.BytesIO(served.data)).getexif()
    assert len(_files(app, session)) == 1


def test_png_photo_accepted(client, session, proposing):
    resp = client.post(f"/rounds/{proposing.id}/proposals/new", content_type="multipart/form-data",
                       data=_proposal_post(photo=(io.BytesIO(_image("PNG")), "plan.png")))
    assert resp.status_code == 302
    p = session.scalar(select(Proposal))
    assert p.photo_filename.endswith(".png")
    assert client.get(f"/proposals/{p.id}/photo").mimetype == "image/png"


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>'


@pytest.mark.parametrize(("content", "name"), [
    (SVG, "foto.png"),
    (SVG, "foto.svg"),
    (b"gewoon tekst, geen plaatje", "foto.png"),
    (b"\x89PNG\r\n\x1a\n" + b"kapot" * 10, "foto.png"),
    (b"GIF89a" + b"\x00" * 40, "foto.jpg"),
    (b"<html><script>alert(1)</script></html>", "foto.jpg"),
])
def test_disguised_uploads_refused(app, client, session, proposing, content, name):
    resp = client.post(f"/rounds/{proposing.id}/proposals/new", content_type="multipart/form-data",
                       data=_proposal_post(photo=(io.BytesIO(content), name)))
    assert resp.status_code == 200 and "JPEG- of PNG-formaat" in resp.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Proposal)) == 0
    assert _files(app, session) == []


def test_photo_over_5mb_refused(app, client, session, proposing):
    big = _image("PNG") + b"\x00" * (6 * 1024 * 1024)
    resp = client.post(f"/rounds/{proposing.id}/proposals/new", content_type="multipart/form-data",
                       data=_proposal_post(photo=(io.BytesIO(big), "groot.png")))
    assert resp.status_code == 200 and "te groot" in resp.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Proposal)) == 0


def test_upload_of_11mb_is_413(app, client, session, proposing):
    big = b"\xff\xd8\xff" + b"\x00" * (11 * 1024 * 1024)
    resp = client.post(f"/rounds/{proposing.id}/proposals/new", content_type="multipart/form-data",
                       data=_proposal_post(photo=(io.BytesIO(big), "groot.jpg")))
    assert resp.status_code == 413
    assert session.scalar(select(func.count()).select_from(Proposal)) == 0 and _files(app, session) == []


# --- XSS -------------------------------------------------------------------------------------------

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "'><iframe src=javascript:alert(1)>",
    "<a href=\"javascript:alert(1)\">klik</a>",
    "</title><script>alert(1)</script>",
    "<body onload=alert(1)>",
    "{{7*7}}<b>vet</b>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "&lt;script&gt;<script>x</script>",
    "<svg><script>alert&#40;1&#41;</script>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<object data=\"javascript:alert(1)\">",
    "<embed src=javascript:alert(1)>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    "<base href=//evil.example/>",
    "<meta http-equiv=refresh content=0;url=//evil.example>",
    "<link rel=stylesheet href=//evil.example/x.css>",
    "<style>@import'//evil.example'</style>",
    "\"><img src=x onerror=alert(1)>",
    "' onmouseover='alert(1)",
    "\" autofocus onfocus=\"alert(1)",
    "<textarea></textarea><script>alert(1)</script>",
    "<!--<script>alert(1)//-->",
    "<scr<script>ipt>alert(1)</script>",
    "<video><source onerror=alert(1)>",
    "<marquee onstart=alert(1)>",
    "javascript:alert(1)//<b>",
    "<iframe srcdoc='&lt;script&gt;alert(1)&lt;/script&gt;'>",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_xss_escaped_everywhere(app, client, session, area, auth, outbox, payload):
    from tests.factories import make_user as mk

    author = make_resident(session, area, user=mk(session, name=f"Naam {payload}"))
    manager = mk(session, role=Role.MANAGER, areas=[area], email="m@example.test")
    round_ = make_round(session, area, phase="review", title=f"Ronde {payload}", description=f"Uitleg {payload}",
                     themes=[f"Thema {payload}"])
    p = make_proposal(session, round_, author=author, status="in_review", title=f"Plan {payload}")
    p.summary, p.description, p.location = f"Kort {payload}", f"Lang {payload}", f"Plek {payload}"
    p.photo_filename, p.photo_alt = "ab" * 16 + ".jpg", f"Foto {payload}"  # alt text on the card and the page
    p.latitude, p.longitude = 51.8936, 6.3806  # the title also goes to the map (read from the list by the script)
    p.cost_lines[0].description = f"Regel {payload}"
    p.theme_id = round_.themes[0].id
    other = make_proposal(session, round_, author=author, status="in_review", title=f"Dubbel {payload}")
    ps.adjust_cost(session, p, actor=manager, cost_cents=5000, reason=f"Kosten {payload}")
    ps.review_proposal(session, p, actor=manager, feasible=True, reason=f"Oordeel {payload}")
    ps.merge_proposals(session, other, p, actor=manager, reason=f"Samen {payload}")
    session.commit()
    auth.login(manager.email)
    urls = ["/", "/areas/ulft", f"/rounds/{round_.id}", f"/rounds/{round_.id}/proposals", f"/proposals/{p.id}",
            f"/proposals/{other.id}", f"/manage/rounds/{round_.id}/review", f"/manage/rounds/{round_.id}/edit",
            "/manage/areas/ulft/rounds", f"/rounds/{round_.id}/proposals?q={payload}"]
    for url in urls:
        body = client.get(url).get_data(as_text=True)
        assert payload not in body, url
        assert "<script>alert" not in body and "onerror=alert" not in body.replace("onerror=alert(1)&gt;", "")
    for msg in outbox.messages():
        assert msg.get_content_type() == "text/plain" and not msg.is_multipart()


def test_edit_form_prefilled_and_photo_removed(app, client, session, proposing):
    client.post(f"/rounds/{proposing.id}/proposals/new", content_type="multipart/form-data",
                data=_proposal_post(photo=(io.BytesIO(_image("PNG")), "plan.png")))
    p = session.scalar(select(Proposal))
    page = client.get(f"/proposals/{p.id}/edit").get_data(as_text=True)
    assert 'value="Schommels"' in page and "1.234,50" in page and "Foto verwijderen" in page
    client.post(f"/proposals/{p.id}/edit", data=_proposal_post(remove_photo="y"))
    assert p.photo_filename is None and _files(app, session) == []
    assert client.get(f"/proposals/{p.id}/photo").status_code == 404


def test_other_resident_cannot_edit(client, session, area, resident, auth):
    round_ = make_round(session, area, phase="proposals")
    p = make_proposal(session, round_, author=resident, status="submitted", title="Van Jan")
    neighbour = make_resident(session, area)
    auth.login(neighbour.email)
    assert client.get(f"/proposals/{p.id}/edit").status_code == 403
    assert client.post(f"/proposals/{p.id}/edit", data=_proposal_post(title="Gekaapt")).status_code == 403
    client.post(f"/proposals/{p.id}/withdraw")
    assert (p.title, p.status) == ("Van Jan", ProposalStatus.SUBMITTED)


def test_hidden_proposal_photo_not_served(app, client, session, proposing, resident):
    client.post(f"/rounds/{proposing.id}/proposals/new", content_type="multipart/form-data",
                data=_proposal_post(photo=(io.BytesIO(_image("PNG")), "plan.png")))
    p = session.scalar(select(Proposal))
    p.status = ProposalStatus.HIDDEN
    session.commit()
    client.post("/logout")
    assert client.get(f"/proposals/{p.id}/photo").status_code == 404
    assert client.get(f"/proposals/{p.id}").status_code == 404


def test_title_cannot_inject_mail_headers(client, session, area, resident, auth, outbox):
    round_ = make_round(session, area, phase="proposals")
    auth.login(resident.email)
    client.post(f"/rounds/{round_.id}/proposals/new", data=_proposal_post(title="Plan\r\nBcc: evil@example.test"))
    p = session.scalar(select(Proposal))
    assert p.title == "Plan Bcc: evil@example.test"
    client.post(f"/proposals/{p.id}/submit")
    msg = outbox.messages()[-1]
    assert msg["Bcc"] is None and msg["To"] == resident.email


@pytest.fixture
def limited_app(migrated_url, tmp_path, app_config):
    from pb import create_app
    from tests.conftest import CSRFClient, _fresh_url, _wipe_postgres, is_postgres

    app = create_app({**app_config, "DATABASE_URL": _fresh_url(migrated_url, tmp_path), "RATELIMIT_ENABLED": True,
                      "RATELIMIT_PROPOSALS": "2 per minute"})
    app.test_client_class = CSRFClient
    yield app
    if is_postgres():
        _wipe_postgres(app)
    app.extensions["pb_db"].kw["bind"].dispose()


def test_proposal_flood_is_429_per_ip(limited_app):
    from pb.db import db_session as current_session

    with limited_app.app_context():
        s = current_session()
        area = make_area(s)
        round_ = make_round(s, area, phase="proposals")
        user = make_resident(s, area)
        rnd_id, email = round_.id, user.email
        s.commit()
    client = limited_app.test_client()
    client.post("/login", data={"login": email, "password": "correct horse battery"})
    codes = [client.post(f"/rounds/{rnd_id}/proposals/new", data=_proposal_post()).status_code for _ in range(3)]
    assert codes == [302, 302, 429]
    other_ip = limited_app.test_client()
    other_ip.post("/login", data={"login": email, "password": "correct horse battery"},
                  environ_base={"REMOTE_ADDR": "10.9.9.9"})
    resp = other_ip.post(f"/rounds/{rnd_id}/proposals/new", data=_proposal_post(), environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert resp.status_code == 302
    with limited_app.app_context():
        assert current_session().scalar(select(func.count()).select_from(Proposal)) == 3


def test_round_page_links_to_the_ballot_while_voting(client, session, area):
    voting = make_round(session, area, phase="voting")
    review = make_round(session, area, phase="review")
    assert f"/rounds/{voting.id}/vote" in client.get(f"/rounds/{voting.id}").get_data(as_text=True)
    assert f"/rounds/{review.id}/vote" not in client.get(f"/rounds/{review.id}").get_data(as_text=True)
