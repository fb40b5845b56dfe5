"""After the vote: results linked everywhere, outcomes per proposal, a public history without
internal keys, implementation tracking, following, notifications (exactly once, opt-out, no ballot
secrets), the voting reminder, Mijn buurtbudget and the area's Atom feed."""

from __future__ import annotations

import datetime as dt
import io
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from pb.db import utcnow
from pb.models.audit import AuditEntry
from pb.models.ballot import Channel, Participation
from pb.models.stored_file import StoredFile
from pb.models.implementation import Implementation, ImplementationStatus, Milestone
from pb.models.notification import Follow, NotificationKind, NotificationSent
from pb.models.user import Role
from pb.services import counting, follows, implementations, notifications, results
from pb.services import rounds as round_service
from tests.concurrency import run_at_once
from tests.factories import (
    make_area,
    make_proposal,
    make_resident,
    make_results_ballot,
    make_round,
    make_round_with_proposals,
    make_user,
)

ATOM = "{http://www.w3.org/2005/Atom}"


def _vote(session, round_, voter, choices):
    """A participation (who) and a ballot (what), as the casting service stores them."""
    session.add(Participation(round_id=round_.id, voter_id=voter.id, channel=Channel.ONLINE))
    make_results_ballot(session, round_, choices)


@pytest.fixture
def world(session, area, manager, resident):
    """A closed round in Ulft with five proposals and three voters; Jan follows project A."""
    round_ = make_round_with_proposals(session, area, phase="closed", titles=["Speeltuin", "Bankjes", "Bomen",
                                                                              "Fietsenrek", "Moestuin"])
    a, b, c, d, e = round_.proposals
    author = make_resident(session, area, user=make_user(session, email="auteur@example.test", name="Auteur"))
    supporter = make_resident(session, area, user=make_user(session, email="steun@example.test", name="Steun"))
    voter = make_resident(session, area, user=make_user(session, email="kiezer@example.test", name="Kiezer"))
    bystander = make_resident(session, area, user=make_user(session, email="buur@example.test", name="Buur"))
    a.author_id = author.id
    from pb.models.proposal import Support

    session.add(Support(proposal_id=b.id, user_id=supporter.id))
    follows.follow(session, resident, proposal=a)
    _vote(session, round_, voter, {a.id: None, e.id: None})
    _vote(session, round_, author, {a.id: None, b.id: None})
    _vote(session, round_, make_resident(session, area), {c.id: None})
    session.commit()
    return {"round": round_, "a": a, "b": b, "c": c, "author": author, "supporter": supporter, "voter": voter,
            "bystander": bystander}


def _publish(session, round_, manager):
    results.publish_results(session, round_, actor=manager)
    session.commit()


def _mails_to(outbox, address):
    return [m for m in outbox.messages() if m["To"] == address]


# --- results everywhere ---------------------------------------------------------------------------


def test_published_round_is_linked_from_round_area_and_home_pages(client, session, world, manager):
    round_ = world["round"]
    link = f'href="/rounds/{round_.id}/results"'
    assert link not in client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    _publish(session, round_, manager)
    for url in (f"/rounds/{round_.id}", "/areas/ulft", "/"):
        assert link in client.get(url).get_data(as_text=True), url
    results_page = client.get(f"/rounds/{round_.id}/results").get_data(as_text=True)
    year = round_.results_published_at.astimezone(dt.timezone(dt.timedelta(hours=1))).year
    assert f'href="/areas/ulft/geld/{year}"' in results_page


def test_each_proposal_shows_the_published_outcome_and_reason(client, session, world, manager):
    round_ = world["round"]
    _publish(session, round_, manager)
    record = counting.outcome_record(results.latest_result(session, round_))
    assert {p.selected for p in record.projects} == {True, False}
    for project in record.projects:
        page = client.get(f"/proposals/{project.proposal_id}").get_data(as_text=True)
        verdict = "Uitslag: gekozen" if project.selected else "Uitslag: niet gekozen"
        assert verdict in page, project.name
        assert project.reason_nl in page
    listing = client.get(f"/rounds/{round_.id}/proposals").get_data(as_text=True)
    assert listing.count("<strong>gekozen</strong>") == sum(p.selected for p in record.projects)
    assert listing.count("<strong>niet gekozen</strong>") == sum(not p.selected for p in record.projects)
    client.post("/language", data={"lang": "en", "next": "/"})
    project = record.projects[0]
    page = client.get(f"/proposals/{project.proposal_id}").get_data(as_text=True)
    assert project.reason_en in page


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href") or ""
            parts = urlsplit(href)
            if not parts.netloc and href.startswith("/") and not href.startswith("//"):
                self.links.append(parts.path)


def _all_actions() -> set[str]:
    from pathlib import Path

    found = set()
    for path in Path("pb/services").glob("*.py"):
        found |= set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', path.read_text()))
    return found


def _history_world(client, session, world, manager):
    """Publish, move a phase elsewhere, track and update a project: a history full of actions."""
    round_ = world["round"]
    _publish(session, round_, manager)
    later = make_round(session, round_.area, phase="proposals")
    round_service.move_phase(session, later, actor=manager, boundary="voting_close_at",
                             new_at=later.voting_close_at + dt.timedelta(days=1), reason="Meer tijd om te stemmen")
    project = implementations.of_proposal(session, world["a"])
    implementations.update_implementation(session, project, actor=manager, status=ImplementationStatus.IN_PROGRESS,
                                          actual_cents=12_345_00, reason="")
    implementations.add_milestone(session, project, actor=manager, happened_on=dt.date(2026, 11, 20),
                                  text="De grond is klaar")
    # A small grant with its tracking updated: its history is public too.
    from pb.services import grant_decisions
    from tests.grant_factories import make_application, make_mandate, make_pot, make_settings

    make_settings(session, round_.area, min_backing=0)
    make_pot(session, round_.area)
    make_mandate(session, manager, 100_000)
    grant = make_application(session, round_.area, world["bystander"], cents=25_000, title="Buurtfeest")
    grant_decisions.grant(session, grant, actor=manager)
    tracking = implementations.of_grant(session, grant)
    implementations.update_implementation(session, tracking, actor=manager, status=ImplementationStatus.CANCELLED,
                                          actual_cents=None, reason="Het regende")
    implementations.add_milestone(session, tracking, actor=manager, happened_on=dt.date(2026, 6, 1),
                                  text="Tent geannuleerd")
    session.commit()
    world["grant"] = grant
    return round_


def test_no_audit_key_or_hash_in_any_public_page_in_both_languages(client, session, world, manager):
    round_ = _history_world(client, session, world, manager)
    actions = _all_actions()
    assert "round.results_publish" in actions and "implementation.milestone" in actions
    hashes = {results.latest_result(session, round_).ballots_sha256, results.latest_result(session, round_).chain_head}
    keys = re.compile(r"\b(?:%s)\b" % "|".join(re.escape(a) for a in actions))
    raw_fields = re.compile(r"\b[a-z]+_(?:cents|sha256|at|id|status)\b|\bchain_head\b")
    for lang in ("nl", "en"):
        client.post("/language", data={"lang": lang, "next": "/"})
        seen, queue = set(), ["/"]
        while queue:
            url = queue.pop()
            if url in seen or url.startswith(("/static", "/login", "/signup", "/register")) or url.endswith(
                    (".pb", ".txt", ".json", ".csv", ".atom", "/photo")):
                continue
            seen.add(url)
            resp = client.get(url)
            assert resp.status_code < 500, url
            if resp.status_code != 200 or not resp.mimetype.startswith("text/html"):
                continue
            body = resp.get_data(as_text=True)
            text = re.sub(r"<[^>]+>", " ", body)
            assert not keys.search(text), (lang, url, keys.search(text))
            if not url.startswith("/open-data/api"):  # the API's documentation names its fields
                assert not raw_fields.search(text), (lang, url, raw_fields.search(text))
            if not url.endswith("/results") and not url.startswith("/open-data"):
                # Hashes belong on the results page and in the open-data index of published files.
                assert not any(h in body for h in hashes), (lang, url)
            parser = _Links()
            parser.feed(body)
            queue.extend(parser.links)
        assert f"/rounds/{round_.id}/results" in seen and "/areas/ulft/geld" in "".join(seen)
        assert f"/grants/{world['grant'].id}" in seen
        assert len(seen) > 15
    # the history speaks: one label per action
    page = client.get(f"/rounds/{round_.id}").get_data(as_text=True)
    assert "Result published" in page or "Uitslag gepubliceerd" in page


def test_hashes_on_results_page_can_wrap(client, session, world, manager):
    _publish(session, world["round"], manager)
    from pathlib import Path

    css = Path("static/css/site.css").read_text()
    assert re.search(r"\.hashes code[^{]*\{[^}]*(break-all|anywhere)", css)
    page = client.get(f"/rounds/{world['round'].id}/results").get_data(as_text=True)
    assert '<dl class="hashes">' in page


# --- implementation tracking ------------------------------------------------------------------------


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 40)).save(out, "PNG")
    return out.getvalue()


def test_publishing_tracks_every_funded_project(session, world, manager):
    round_ = world["round"]
    _publish(session, round_, manager)
    record = counting.outcome_record(results.latest_result(session, round_))
    chosen = {p.proposal_id for p in record.projects if p.selected}
    tracked = session.scalars(select(Implementation)).all()
    assert {t.proposal_id for t in tracked} == chosen
    assert all(t.status == ImplementationStatus.PLANNED and t.area_id == round_.area_id for t in tracked)
    by_id = {p.id: p for p in round_.proposals}
    assert all(t.budgeted_cents == by_id[t.proposal_id].ballot_cost_cents for t in tracked)


def test_manager_updates_and_adds_milestone_shown_on_money_page_and_history(client, auth, session, world, manager,
                                                                             outbox):
    round_ = world["round"]
    _publish(session, round_, manager)
    project = implementations.of_proposal(session, world["a"])
    auth.login(manager.email)
    page = client.get("/manage/implementations").get_data(as_text=True)
    assert project.title in page
    url = f"/manage/implementations/{project.id}"
    resp = client.post(url, data={"status": "cancelled", "actual_cost": "", "reason": ""})
    assert resp.status_code == 400 and "vervalt" in resp.get_data(as_text=True)
    session.refresh(project)
    assert project.status == ImplementationStatus.PLANNED
    resp = client.post(url, data={"status": "in_progress", "actual_cost": "12.500,00", "reason": "Gestart"})
    assert resp.status_code == 302
    resp = client.post(f"{url}/milestones", data={"happened_on": "2026-11-20", "text": "De speeltoestellen staan er",
                                                   "photo": (io.BytesIO(_png()), "foto.png")},
                       content_type="multipart/form-data")
    assert resp.status_code == 302
    session.refresh(project)
    assert project.status == ImplementationStatus.IN_PROGRESS and project.actual_cents == 12_500_00
    milestone = session.scalar(select(Milestone))
    assert milestone.text == "De speeltoestellen staan er" and milestone.photo_filename
    assert client.get(f"/milestones/{milestone.id}/photo").mimetype == "image/png"
    year = project.year
    money = client.get(f"/areas/ulft/geld/{year}").get_data(as_text=True)
    assert "De speeltoestellen staan er" in money and "in uitvoering" in money and "12.500,00" in money
    assert client.get("/areas/ulft/geld").headers["Location"].endswith(f"/areas/ulft/geld/{year}")
    history = client.get(f"/proposals/{world['a'].id}").get_data(as_text=True)
    assert "Uitvoering bijgewerkt" in history and "Nieuwe stap in de uitvoering" in history
    entries = session.scalars(select(AuditEntry).where(AuditEntry.action.like("implementation.%"))).all()
    assert {e.action for e in entries} == {"implementation.update", "implementation.milestone"}
    assert all(e.public and e.actor_id == manager.id for e in entries)
    # Jan follows project A: one status mail and one milestone mail
    jan = _mails_to(outbox, "jan@example.test")
    subjects = [m["Subject"] for m in jan]
    assert sum("Nieuwe stap" in s for s in subjects) == 1
    assert any("in uitvoering" in m.get_content() for m in jan)


def test_a_refused_milestone_photo_is_a_form_error_and_stores_nothing(client, auth, session, world, manager):
    _publish(session, world["round"], manager)
    project = implementations.of_proposal(session, world["a"])
    session.commit()
    files_before = session.scalar(select(func.count()).select_from(StoredFile))
    auth.login(manager.email)
    resp = client.post(f"/manage/implementations/{project.id}/milestones",
                       data={"happened_on": "2026-11-20", "text": "Foto erbij",
                             "photo": (io.BytesIO(b"<svg xmlns='http://www.w3.org/2000/svg'/>"), "foto.png")},
                       content_type="multipart/form-data")
    assert resp.status_code == 400
    assert session.scalar(select(func.count()).select_from(Milestone)) == 0
    assert session.scalar(select(func.count()).select_from(StoredFile)) == files_before


def test_manager_of_another_area_cannot_update(client, auth, session, world, manager):
    _publish(session, world["round"], manager)
    project = implementations.of_proposal(session, world["a"])
    other = make_user(session, role=Role.MANAGER, areas=[make_area(session)])
    session.commit()
    before = session.scalar(select(func.count()).select_from(AuditEntry))
    auth.login(other.email)
    assert client.post(f"/manage/implementations/{project.id}", data={"status": "done"}).status_code == 403
    assert client.post(f"/manage/implementations/{project.id}/milestones",
                       data={"happened_on": "2026-11-20", "text": "x"}).status_code == 403
    assert client.get(f"/manage/implementations/{project.id}").status_code == 403
    session.refresh(project)
    assert project.status == ImplementationStatus.PLANNED and not project.milestones
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == before


# --- notifications ---------------------------------------------------------------------------------


def test_results_mail_once_to_authors_supporters_voters_followers_only(session, world, manager, outbox):
    round_ = world["round"]
    _publish(session, round_, manager)
    record = counting.outcome_record(results.latest_result(session, round_))
    outcomes = {p.proposal_id: (p.selected, p.reason_nl, p.reason_en) for p in record.projects}
    # running the announcement again sends nothing new
    assert notifications.results_published(session, round_, outcomes) == 0
    session.commit()
    for who in ("auteur@example.test", "steun@example.test", "kiezer@example.test", "jan@example.test"):
        assert len(_mails_to(outbox, who)) == 1, who
    assert _mails_to(outbox, "buur@example.test") == []
    sent = session.scalars(select(NotificationSent).where(NotificationSent.kind == NotificationKind.RESULTS)).all()
    assert len(sent) == len({s.user_id for s in sent}) == 5  # four above and the anonymous third voter
    # the author hears about their own plan; the voter only that results are out
    a = world["a"]
    author_body = _mails_to(outbox, "auteur@example.test")[0].get_content()
    assert a.title in author_body and ("gekozen" in author_body)
    voter_body = _mails_to(outbox, "kiezer@example.test")[0].get_content()
    for p in round_.proposals:
        assert p.title not in voter_body
    from pb.models.ballot import Ballot

    for code in session.scalars(select(Ballot.receipt_code)):
        assert code not in voter_body


def test_opted_out_resident_gets_nothing_and_one_click_unsubscribe_works(client, session, world, manager, outbox):
    voter = world["voter"]
    token = notifications.unsubscribe_token(voter, NotificationKind.RESULTS)
    before = session.scalar(select(func.count()).select_from(NotificationSent))
    page = client.get(f"/unsubscribe/{token}")
    assert page.status_code == 200 and "Ja, zet deze berichten uit" in page.get_data(as_text=True)
    assert notifications.choices_of(session, voter).wanted[NotificationKind.RESULTS] is True  # GET wrote nothing
    # RFC 8058: the mail program posts List-Unsubscribe=One-Click without any CSRF token
    resp = client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"}, csrf=False)
    assert resp.status_code == 200
    session.expire_all()
    assert notifications.choices_of(session, voter).wanted[NotificationKind.RESULTS] is False
    assert notifications.choices_of(session, voter).wanted[NotificationKind.REMINDER] is True
    assert client.post("/unsubscribe/forged-token", csrf=False).status_code == 404
    _publish(session, world["round"], manager)
    assert _mails_to(outbox, "kiezer@example.test") == []
    assert len(_mails_to(outbox, "auteur@example.test")) == 1
    assert session.scalar(select(func.count()).select_from(NotificationSent)) > before


def test_mail_has_list_unsubscribe_headers_and_speaks_the_residents_language(session, world, manager, outbox):
    notifications.update_choices(session, world["author"], language="en",
                                 wanted={k: True for k in NotificationKind})
    session.commit()
    _publish(session, world["round"], manager)
    mail = _mails_to(outbox, "auteur@example.test")[0]
    assert mail["Subject"].startswith("The results are out")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = re.fullmatch(r"<(http://buurtbudget\.test/unsubscribe/[^>]+)>", mail["List-Unsubscribe"]).group(1)
    assert link in mail.get_content()
    dutch = _mails_to(outbox, "steun@example.test")[0]
    assert dutch["Subject"].startswith("De uitslag is bekend")


def test_phase_start_announced_once_per_resident_via_advance_phases_and_phase_move(runner, session, area, manager,
                                                                                     resident, outbox):
    round_ = make_round(session, area, phase="waiting")
    make_proposal(session, round_)  # a ballot that can be filled in, so voting may open
    follower = make_user(session, email="volger@example.test")
    follows.follow(session, follower, area=area)
    notifications.update_choices(session, resident, language="nl", wanted={k: True for k in NotificationKind})
    outsider = make_resident(session, make_area(session), user=make_user(session, email="ander@example.test"))
    notifications.update_choices(session, outsider, language="nl", wanted={k: True for k in NotificationKind})
    session.commit()
    # the manager opens voting now (a manual phase move)
    round_service.move_phase(session, round_, actor=manager, boundary="voting_open_at", new_at=utcnow(),
                             reason="We beginnen eerder")
    session.commit()
    assert [m["Subject"] for m in _mails_to(outbox, "jan@example.test")] == [f"Het stemmen is begonnen: {round_.title}"]
    assert _mails_to(outbox, "volger@example.test") == []  # phase messages are off by default
    for _ in range(2):
        result = runner.invoke(args=["pb", "advance-phases"])
        assert result.exit_code == 0, result.output
    assert len(_mails_to(outbox, "jan@example.test")) == 1
    assert _mails_to(outbox, "ander@example.test") == []


def test_notifications_sent_is_unique_per_recipient_and_event(session, resident):
    session.add(NotificationSent(user_id=resident.id, kind=NotificationKind.PHASE, event_key="phase:1:voting"))
    session.flush()
    session.add(NotificationSent(user_id=resident.id, kind=NotificationKind.PHASE, event_key="phase:1:voting"))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_reminder_only_to_verified_residents_without_participation(runner, session, area, outbox):
    round_ = make_round(session, area, phase="voting")
    round_.voting_close_at = utcnow() + dt.timedelta(days=2)
    voted = make_resident(session, area, user=make_user(session, email="gestemd@example.test"))
    waiting = make_resident(session, area, user=make_user(session, email="wacht@example.test"))
    make_user(session, email="geen-bewoner@example.test")
    elsewhere = make_resident(session, make_area(session), user=make_user(session, email="elders@example.test"))
    unconfirmed = make_resident(session, area, user=make_user(session, email="onbevestigd@example.test",
                                                               confirmed=False))
    session.add(Participation(round_id=round_.id, voter_id=voted.id, channel=Channel.ONLINE))
    session.commit()
    for _ in range(2):
        result = runner.invoke(args=["pb", "remind-voters", "--days", "3"])
        assert result.exit_code == 0, result.output
    assert [m["To"] for m in outbox.messages()] == ["wacht@example.test"]
    body = outbox.messages()[0].get_content()
    assert "U heeft nog niet gestemd" in body
    assert waiting and elsewhere and unconfirmed
    # a round closing later than the window is not reminded
    later = make_round(session, area, phase="voting")
    later.voting_close_at = utcnow() + dt.timedelta(days=10)
    session.commit()
    assert runner.invoke(args=["pb", "remind-voters", "--days", "3"]).exit_code == 0
    assert len(outbox.messages()) == 1


def test_status_change_goes_to_followers_once(session, area, manager, resident, outbox):
    from pb.services import proposals as proposal_service

    round_ = make_round(session, area, phase="review")
    proposal = make_proposal(session, round_, status="in_review")
    follows.follow(session, resident, proposal=proposal)
    session.commit()
    proposal_service.review_proposal(session, proposal, actor=manager, feasible=True, reason="Dit kan.")
    session.commit()
    mails = _mails_to(outbox, "jan@example.test")
    assert len(mails) == 1 and "Haalbaar" in mails[0].get_content()


# --- following, Mijn buurtbudget, feed -------------------------------------------------------------------


def test_follow_and_unfollow_through_the_pages(client, auth, session, world, resident):
    b = world["b"]
    auth.login("jan@example.test")
    page = client.get(f"/proposals/{b.id}").get_data(as_text=True)
    assert "Volg dit plan" in page
    assert client.post(f"/follow/proposal/{b.id}", data={"next": f"/proposals/{b.id}"}).status_code == 302
    assert client.post(f"/follow/proposal/{b.id}").status_code == 302  # twice: still one row
    assert client.post("/follow/area/%d" % world["round"].area_id).status_code == 302
    rows = session.scalars(select(Follow).where(Follow.user_id == resident.id)).all()
    assert {(r.proposal_id, r.area_id) for r in rows} == {(world["a"].id, None), (b.id, None),
                                                          (None, world["round"].area_id)}
    mine = client.get("/mijn").get_data(as_text=True)
    assert b.title in mine and "Ulft" in mine
    assert client.post(f"/unfollow/proposal/{b.id}").status_code == 302
    assert b.title not in client.get("/mijn").get_data(as_text=True).split("Wat ik volg")[1].split("Berichten")[0]


def test_mijn_buurtbudget_shows_proposals_supports_votes_and_saves_choices(client, auth, session, world, manager):
    round_ = world["round"]
    author = world["author"]
    auth.login("auteur@example.test")
    page = client.get("/mijn").get_data(as_text=True)
    assert world["a"].title in page and "U heeft gestemd." in page
    _publish(session, round_, manager)
    page = client.get("/mijn").get_data(as_text=True)
    record = counting.outcome_record(results.latest_result(session, round_))
    chosen = next(p.selected for p in record.projects if p.proposal_id == world["a"].id)
    assert ("gekozen</strong>" in page) and (("niet gekozen" in page) != chosen)
    assert f"/rounds/{round_.id}/receipt" in page
    resp = client.post("/mijn", data={"language": "en", "status": "y", "results": "y"})
    assert resp.status_code == 302
    session.expire_all()
    choices = notifications.choices_of(session, author)
    assert choices.language == "en"
    assert choices.wanted[NotificationKind.RESULTS] and not choices.wanted[NotificationKind.REMINDER]
    resp = client.post("/mijn", data={"language": "xx"})
    assert resp.status_code == 200 and notifications.choices_of(session, author).language == "en"
    # a resident who did not vote sees that, from participations only
    auth.logout()
    auth.login("buur@example.test")
    assert "U heeft niet gestemd." in client.get("/mijn").get_data(as_text=True)


def test_area_atom_feed_is_valid_and_lists_what_happened(client, session, world, manager):
    round_ = _history_world(client, session, world, manager)
    resp = client.get("/areas/ulft/feed.atom")
    assert resp.status_code == 200 and resp.mimetype == "application/atom+xml"
    feed = ET.fromstring(resp.data)
    assert feed.tag == f"{ATOM}feed"
    for tag in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{tag}") is not None, tag
    assert feed.find(f"{ATOM}link[@rel='self']") is not None
    entries = feed.findall(f"{ATOM}entry")
    assert entries
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(ids) == len(set(ids))
    for entry in entries:
        for tag in ("id", "title", "updated"):
            assert entry.findtext(f"{ATOM}{tag}"), tag
        dt.datetime.fromisoformat(entry.findtext(f"{ATOM}updated"))
        assert entry.find(f"{ATOM}link[@rel='alternate']").get("href").startswith("http://buurtbudget.test/")
    titles = " | ".join(e.findtext(f"{ATOM}title") for e in entries)
    assert "Uitslag gepubliceerd" in titles and "Nieuwe stap in de uitvoering" in titles
    assert "Stemmen begint" in titles and "Fase verschoven" in titles
    assert round_.title in titles
    assert "round.results_publish" not in resp.get_data(as_text=True)
    assert client.get("/areas/bestaat-niet/feed.atom").status_code == 404


def test_parallel_reminder_runs_send_each_message_once(app, session, area, outbox):
    """Two workers (or a cron run and a retry) at the same moment: each resident gets one reminder."""
    round_ = make_round(session, area, phase="voting")
    round_.voting_close_at = utcnow() + dt.timedelta(days=1)
    residents = [make_resident(session, area, user=make_user(session, email=f"r{i}@example.test")) for i in range(5)]
    session.commit()
    errors = run_at_once(app, 4, lambda s: notifications.remind_non_voters(s, days=3))
    assert not [e for e in errors if "locked" not in str(e)], errors  # SQLite may refuse a writer outright
    sent = sorted(m["To"] for m in outbox.messages())
    assert sent == sorted(u.email for u in residents)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(NotificationSent)) == len(residents)
