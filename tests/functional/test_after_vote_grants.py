"""After the vote, the rest: small grants are tracked like chosen projects (status, milestones,
actual cost, money page, history); the voters' reminder runs as a job for residents who may vote;
unsubscribe links cannot be forged and expire; phases running before the first announcement run
are never announced."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from sqlalchemy import func, select

from pb.db import utcnow
from pb.models.audit import AuditEntry
from pb.models.ballot import Channel, Participation
from pb.models.implementation import Implementation, ImplementationStatus
from pb.models.job import Job, JobStatus
from pb.models.notification import NotificationKind, NotificationSent, NotificationWatermark
from pb.models.residency import Residency
from pb.models.user import Role
from pb.services import accountability, backings, grant_decisions, implementations, notifications
from pb.worker import get_worker
from tests.factories import make_area, make_proposal, make_resident, make_round, make_user
from tests.grant_factories import make_application, make_mandate, make_pot, make_settings, png_bytes

# --- small grants are tracked ---------------------------------------------------------------------------


@pytest.fixture
def granted(session, area, manager):
    """A small grant of 400 euro in Ulft, granted by the manager within the mandate."""
    make_mandate(session, manager, 100_000)
    make_settings(session, area, min_backing=1)
    pot = make_pot(session, area)
    applicant = make_resident(session, area, user=make_user(session, email="aanvrager@example.test"))
    application = make_application(session, area, applicant, cents=40_000, title="Buurtfeest in het park")
    backings.back(session, application, actor=make_resident(session, area))
    grant_decisions.grant(session, application, actor=manager)
    session.commit()
    return {"application": application, "pot": pot, "applicant": applicant}


def test_a_grant_starts_its_tracking_with_the_granted_amount(session, granted):
    application = granted["application"]
    tracking = implementations.of_grant(session, application)
    assert tracking is not None and tracking.is_small_grant and tracking.proposal_id is None
    assert tracking.status == ImplementationStatus.PLANNED and tracking.budgeted_cents == 40_000
    assert tracking.year == granted["pot"].year and tracking.area_id == application.area_id
    # tracking twice changes nothing
    assert implementations.track_grant(session, application, year=granted["pot"].year).id == tracking.id
    assert session.scalar(select(func.count()).select_from(Implementation)) == 1


def test_manager_tracks_a_grant_on_the_same_pages_audited_in_its_history_and_money_page(
        client, auth, session, granted, manager):
    application = granted["application"]
    tracking = implementations.of_grant(session, application)
    auth.login(manager.email)
    listing = client.get("/manage/implementations").get_data(as_text=True)
    assert "Buurtfeest in het park" in listing and "kleine aanvraag" in listing
    url = f"/manage/implementations/{tracking.id}"
    assert client.post(url, data={"status": "in_progress", "actual_cost": "380,50", "reason": ""}).status_code == 302
    resp = client.post(f"{url}/milestones", data={"happened_on": "2026-06-13", "text": "Het feest was een succes",
                                                   "photo": (io.BytesIO(png_bytes()), "feest.png")},
                       content_type="multipart/form-data")
    assert resp.status_code == 302
    session.refresh(tracking)
    assert tracking.status == ImplementationStatus.IN_PROGRESS and tracking.actual_cents == 38_050
    entries = session.scalars(select(AuditEntry).where(AuditEntry.action.like("implementation.%"))).all()
    assert {(e.action, e.object_type, e.object_id) for e in entries} == {
        ("implementation.update", "grant_application", str(application.id)),
        ("implementation.milestone", "grant_application", str(application.id))}
    assert all(e.public and e.actor_id == manager.id for e in entries)
    auth.logout()
    page = client.get(f"/grants/{application.id}").get_data(as_text=True)
    assert "Uitvoering bijgewerkt" in page and "Nieuwe stap in de uitvoering" in page
    assert "in uitvoering" in page and "Het feest was een succes" in page and "380,50" in page
    assert "implementation." not in page
    money = client.get(f"/areas/{application.area.slug}/geld/{tracking.year}").get_data(as_text=True)
    grants_part = money.split("Kleine aanvragen uit het buurtbudget")[1]
    assert f'href="/grants/{application.id}"' in grants_part
    assert "400,00" in grants_part and "380,50" in grants_part and "Totaal" in grants_part
    assert "Het feest was een succes" in money
    assert "Toegekende kleine aanvragen</dt><dd>1</dd>" in money
    # On phones the table stacks: each amount names its column, so none is scrolled out of sight.
    assert 'class="table stack-table"' in grants_part
    assert re.search(r'data-label="Toegekend">[^<]*400,00', grants_part)
    assert re.search(r'data-label="Werkelijk">[^<]*380,50', grants_part)


def test_money_page_totals_cover_projects_and_grants_and_skip_cancelled(session, granted, manager, area):
    application = granted["application"]
    tracking = implementations.of_grant(session, application)
    applicant = granted["applicant"]
    second = make_application(session, area, applicant, cents=20_000, title="Bloembakken")
    backings.back(session, second, actor=make_resident(session, area))
    grant_decisions.grant(session, second, actor=manager)
    implementations.update_implementation(session, tracking, actor=manager, status=ImplementationStatus.DONE,
                                          actual_cents=35_000, reason="")
    implementations.update_implementation(session, implementations.of_grant(session, second), actor=manager,
                                          status=ImplementationStatus.CANCELLED, actual_cents=None,
                                          reason="Geen vrijwilligers gevonden")
    report = implementations.money_report(session, area, tracking.year)
    assert [i.title for i in report.grants] == ["Bloembakken", "Buurtfeest in het park"] and report.projects == []
    assert report.grants_total.budgeted_cents == 40_000 and report.grants_total.actual_cents == 35_000
    assert report.total == report.grants_total and report.cancelled == 1 and report.done == 1


def test_accepted_report_marks_the_grant_done_with_the_reported_cost(session, granted, manager):
    application = granted["application"]
    grant_decisions.mark_paid(session, application, actor=manager)
    accountability.submit_report(session, application, actor=granted["applicant"], text="Het feest was leuk.",
                                 actual_cents=36_000, photos=[], receipts=[])
    accountability.accept_report(session, application, actor=manager, note="Mooi verslag")
    tracking = implementations.of_grant(session, application)
    assert tracking.status == ImplementationStatus.DONE and tracking.actual_cents == 36_000
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "implementation.update"))
    assert entry.object_type == "grant_application" and entry.reason == "Mooi verslag"


def test_another_areas_manager_cannot_track_a_grant(client, auth, session, granted):
    tracking = implementations.of_grant(session, granted["application"])
    other = make_user(session, role=Role.MANAGER, areas=[make_area(session)])
    session.commit()
    auth.login(other.email)
    assert client.post(f"/manage/implementations/{tracking.id}", data={"status": "done"}).status_code == 403
    session.refresh(tracking)
    assert tracking.status == ImplementationStatus.PLANNED


# --- the reminder: a job, only to residents who may vote --------------------------------------------------


def _closing_round(session, area, **overrides):
    round_ = make_round(session, area, phase="voting", **overrides)
    round_.voting_close_at = utcnow() + dt.timedelta(days=2)
    return round_


def _born(session, user, area, year):
    residency = session.scalar(select(Residency).where(Residency.user_id == user.id, Residency.area_id == area.id))
    residency.birth_year = year
    return user


def test_reminder_respects_the_rounds_age_limits(session, area, outbox):
    this_year = utcnow().year
    _closing_round(session, area, min_age=16, max_age=30)
    too_young = _born(session, make_resident(session, area, user=make_user(session, email="jong@example.test")),
                      area, this_year - 12)
    too_old = _born(session, make_resident(session, area, user=make_user(session, email="oud@example.test")),
                    area, this_year - 60)
    unknown_age = make_resident(session, area, user=make_user(session, email="onbekend@example.test"))
    fits = _born(session, make_resident(session, area, user=make_user(session, email="past@example.test")),
                 area, this_year - 20)
    session.commit()
    assert notifications.remind_non_voters(session, days=3) == 1
    session.commit()
    assert [m["To"] for m in outbox.messages()] == ["past@example.test"]
    assert too_young and too_old and unknown_age and fits


def test_worker_runs_the_reminder_daily_as_a_recorded_job_exactly_once_per_resident(app, session, area, outbox):
    round_ = _closing_round(session, area)
    make_proposal(session, round_, title="Speeltuin aan de Dijk")
    make_proposal(session, round_, title="Bankjes bij de kerk")
    voted = make_resident(session, area, user=make_user(session, email="gestemd@example.test"))
    make_resident(session, area, user=make_user(session, email="wacht@example.test"))
    session.add(Participation(round_id=round_.id, voter_id=voted.id, channel=Channel.ONLINE))
    session.commit()
    worker = get_worker(app)
    worker.huey  # noqa: B018 - build the tasks
    schedule = worker.remind_voters.task_class()
    assert [h for h in range(24) if schedule.validate_datetime(dt.datetime(2026, 11, 30, h, 0))] == [9]
    for _ in range(2):  # the periodic task, as the consumer calls it (immediate mode runs the job at commit)
        worker.remind_voters.call_local()
    session.expire_all()
    rows = session.scalars(select(Job).where(Job.kind == "notifications.remind_voters")).all()
    assert len(rows) == 2 and all(r.status == JobStatus.DONE for r in rows)
    assert sorted(r.result_json for r in rows) == sorted(['{"days": 3, "sent": 1}', '{"days": 3, "sent": 0}'])
    assert [m["To"] for m in outbox.messages()] == ["wacht@example.test"]
    body = outbox.messages()[0].get_content()
    assert "U heeft nog niet gestemd" in body and len(round_.proposals) == 2
    for proposal in round_.proposals:  # the reminder says nothing about the ballot or the plans
        assert proposal.title not in body


def test_remind_voters_command_runs_the_job(runner, session, area, outbox):
    _closing_round(session, area)
    make_resident(session, area, user=make_user(session, email="wacht@example.test"))
    session.commit()
    result = runner.invoke(args=["pb", "remind-voters", "--days", "3"])
    assert result.exit_code == 0, result.output
    assert "1 reminders sent" in result.output
    assert session.scalar(select(func.count()).select_from(Job).where(
        Job.kind == "notifications.remind_voters", Job.status == JobStatus.DONE)) == 1
    assert runner.invoke(args=["pb", "remind-voters", "--days", "0"]).exit_code != 0


# --- unsubscribe links --------------------------------------------------------------------------------------


def test_unsubscribe_tokens_cannot_be_forged_or_moved_to_another_account(client, session, resident):
    other = make_user(session, email="ander@example.test")
    session.commit()
    token = notifications.unsubscribe_token(resident, NotificationKind.RESULTS)
    assert notifications.read_unsubscribe_token(session, token) == (resident, NotificationKind.RESULTS)
    payload, stamp, signature = token.split(".")
    # another account's id in the payload, with the original signature
    from itsdangerous import URLSafeTimedSerializer

    forged_payload = URLSafeTimedSerializer("x").dump_payload([other.id, "results"]).decode()
    for forged in (f"{forged_payload}.{stamp}.{signature}", f"{payload}.{stamp}.{signature[:-2]}AA",
                   "bm9uc2Vuc2U", "", "..", token + "x"):
        assert notifications.read_unsubscribe_token(session, forged) is None, forged
        assert client.post(f"/unsubscribe/{forged}", csrf=False).status_code in (404, 405), forged
    # a token signed with another key (or salt) is refused
    foreign = URLSafeTimedSerializer("another-secret", salt="pb-unsubscribe").dumps([resident.id, "results"])
    assert notifications.read_unsubscribe_token(session, foreign) is None
    session.expire_all()
    assert notifications.choices_of(session, other).wanted[NotificationKind.RESULTS] is True


def test_unsubscribe_links_expire_and_die_with_a_changed_address(app, client, session, resident):
    token = notifications.unsubscribe_token(resident, NotificationKind.REMINDER)
    days = app.config["UNSUBSCRIBE_MAX_AGE_DAYS"]
    assert days >= 60  # mail is read late
    later = utcnow() + dt.timedelta(days=days - 1)
    assert notifications.read_unsubscribe_token(session, token, now=later) is not None
    assert notifications.read_unsubscribe_token(session, token, now=utcnow() + dt.timedelta(days=days + 1)) is None
    resident.email = "nieuw-adres@example.test"
    session.commit()
    assert notifications.read_unsubscribe_token(session, token) is None
    page = client.get(f"/unsubscribe/{token}")
    assert page.status_code == 404 and "Mijn buurtbudget" in page.get_data(as_text=True)
    fresh = notifications.unsubscribe_token(resident, NotificationKind.REMINDER)
    assert client.post(f"/unsubscribe/{fresh}", data={"List-Unsubscribe": "One-Click"}, csrf=False).status_code == 200
    session.expire_all()
    assert notifications.choices_of(session, resident).wanted[NotificationKind.REMINDER] is False


def test_mail_link_is_the_header_link_and_works_one_click(client, session, area, outbox):
    _closing_round(session, area)
    make_resident(session, area, user=make_user(session, email="wacht@example.test"))
    session.commit()
    notifications.remind_non_voters(session, days=3)
    session.commit()
    mail = outbox.messages()[0]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = re.fullmatch(r"<http://buurtbudget\.test(/unsubscribe/[^>]+)>", mail["List-Unsubscribe"]).group(1)
    assert link in mail.get_content()
    assert client.post(link, data={"List-Unsubscribe": "One-Click"}, csrf=False).status_code == 200
    # opted out: the next round's reminder does not come
    _closing_round(session, area)
    session.commit()
    assert notifications.remind_non_voters(session, days=3) == 0
    session.commit()
    assert len(outbox.messages()) == 1


# --- phase announcements start at the first run -----------------------------------------------------------


def test_phases_running_before_the_first_run_are_never_announced(session, area, resident, outbox):
    notifications.update_choices(session, resident, language="nl", wanted={k: True for k in NotificationKind})
    already = make_round(session, area, phase="voting")  # voting opened before the first run
    make_proposal(session, already)
    session.commit()
    assert session.get(NotificationWatermark, notifications.PHASE_WATERMARK) is None
    assert notifications.announce_phases(session) == 0
    session.commit()
    since = session.get(NotificationWatermark, notifications.PHASE_WATERMARK).since
    assert notifications.announce_phases(session, since + dt.timedelta(hours=1)) == 0
    # a round whose voting opens after the first run is announced, once
    later = make_round(session, area, phase="waiting")
    make_proposal(session, later)
    later.voting_open_at = since + dt.timedelta(minutes=30)
    later.voting_close_at = since + dt.timedelta(days=7)
    session.commit()
    for _ in range(2):
        assert notifications.announce_phases(session, since + dt.timedelta(hours=1)) in (0, 1)
        session.commit()
    subjects = [m["Subject"] for m in outbox.messages()]
    assert subjects == [f"Het stemmen is begonnen: {later.title}"]
    assert session.scalar(select(func.count()).select_from(NotificationSent).where(
        NotificationSent.event_key.like("phase:%"))) == 1
    # the watermark is set once and stays
    assert session.get(NotificationWatermark, notifications.PHASE_WATERMARK).since == since


def test_a_milestone_with_a_bad_photo_is_a_form_error_and_stores_nothing(client, auth, session, granted, manager):
    from pb.models.implementation import Milestone
    from pb.models.stored_file import StoredFile

    tracking = implementations.of_grant(session, granted["application"])
    auth.login(manager.email)
    stored_before = session.scalar(select(func.count()).select_from(StoredFile))
    resp = client.post(f"/manage/implementations/{tracking.id}/milestones",
                       data={"happened_on": "2026-06-13", "text": "Feest",
                             "photo": (io.BytesIO(b"<svg xmlns='http://www.w3.org/2000/svg'/>"), "feest.png")},
                       content_type="multipart/form-data")
    assert resp.status_code == 400 and "JPEG" in resp.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Milestone)) == 0
    assert session.scalar(select(func.count()).select_from(StoredFile)) == stored_before


def test_a_grants_milestone_is_in_the_areas_feed_linking_to_the_grant(client, session, granted, manager):
    from xml.etree import ElementTree as ET

    application = granted["application"]
    implementations.add_milestone(session, implementations.of_grant(session, application), actor=manager,
                                  happened_on=dt.date(2026, 6, 13), text="Het feest was een succes")
    session.commit()
    feed = ET.fromstring(client.get(f"/areas/{application.area.slug}/feed.atom").data)
    atom = "{http://www.w3.org/2005/Atom}"
    entry = next(e for e in feed.findall(f"{atom}entry") if "Nieuwe stap" in e.findtext(f"{atom}title"))
    assert "Buurtfeest in het park" in entry.findtext(f"{atom}title")
    assert "Het feest was een succes" in entry.findtext(f"{atom}summary")
    assert entry.find(f"{atom}link[@rel='alternate']").get("href") == f"http://buurtbudget.test/grants/{application.id}"
