"""The jobs service: enqueue on commit only, outcomes recorded, retries, progress."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from pb.errors import InvalidState
from pb.models.job import Job, JobStatus
from pb import job_runner
from pb.services import jobs
from tests.factories import make_user

CALLS: list[dict[str, Any]] = []


@jobs.job("test.echo")
def _echo(ctx: jobs.JobContext) -> dict[str, Any]:
    CALLS.append(ctx.payload)
    ctx.progress(1, 2)
    if ctx.payload.get("refuse"):
        raise InvalidState("Dit kan nu niet.")
    if ctx.payload.get("crash"):
        raise RuntimeError("boom")
    return {"echo": ctx.payload["value"], "owner": ctx.owner.email if ctx.owner else None}


@pytest.fixture(autouse=True)
def _reset_calls() -> None:
    CALLS.clear()


def test_job_runs_only_after_commit_and_records_outcome(session):
    owner = make_user(session, email="eigenaar@example.test")
    row = jobs.enqueue(session, "test.echo", {"value": 7}, owner=owner, subject="round:1")
    assert CALLS == [] and row.status == JobStatus.QUEUED  # not before the commit
    session.commit()
    assert CALLS == [{"value": 7}]
    session.refresh(row)
    assert row.status == JobStatus.DONE and row.attempts == 1 and row.finished_at is not None
    assert json.loads(row.result_json) == {"echo": 7, "owner": "eigenaar@example.test"}
    assert (row.progress_done, row.progress_total) == (2, 2)
    assert jobs.latest(session, "test.echo", "round:1").id == row.id


def test_rolled_back_job_is_never_run(session):
    jobs.enqueue(session, "test.echo", {"value": 1})
    session.rollback()
    session.commit()
    assert CALLS == [] and session.scalar(select(func.count()).select_from(Job)) == 0


def test_domain_error_fails_the_job_with_its_message(session):
    row = jobs.enqueue(session, "test.echo", {"value": 1, "refuse": True})
    session.commit()
    session.refresh(row)
    assert row.status == JobStatus.FAILED and row.error == "Dit kan nu niet." and row.result_json is None


def test_unexpected_error_is_retried_then_fails_without_traceback(session, app):
    row = jobs._record(session, "test.echo", {"value": 1, "crash": True}, owner=None, subject="")
    job_id = row.id
    session.commit()
    with app.app_context(), app.test_request_context():
        from pb.db import db_session

        with pytest.raises(RuntimeError):
            job_runner.execute(db_session(), job_id, final=False)  # the runner retries later
    session.refresh(row)
    assert row.status == JobStatus.QUEUED and row.attempts == 1
    session.commit()  # release SQLite's lock for the worker's session
    with app.app_context(), app.test_request_context():
        from pb.db import db_session

        job_runner.execute(db_session(), job_id, final=True)
    session.refresh(row)
    assert row.status == JobStatus.FAILED and row.attempts == 2
    assert "boom" not in row.error and "Traceback" not in row.error


def test_a_job_runs_once_even_when_dispatched_twice(session, app):
    row = jobs._record(session, "test.echo", {"value": 3}, owner=None, subject="")
    job_id = row.id
    session.commit()
    with app.app_context(), app.test_request_context():
        from pb.db import db_session

        assert job_runner.execute(db_session(), job_id) is not None
        assert job_runner.execute(db_session(), job_id) is None
    assert CALLS == [{"value": 3}]


def test_unknown_kind_is_refused(session):
    with pytest.raises(ValueError):
        jobs.enqueue(session, "no.such.kind", {})


def test_job_page_only_for_its_owner(client, auth, session):
    owner = make_user(session, email="eigenaar@example.test")
    other = make_user(session, email="ander@example.test")
    row = jobs.enqueue(session, "test.echo", {"value": 5}, owner=owner)
    session.commit()
    auth.login(other.email)
    assert client.get(f"/jobs/{row.id}").status_code == 404
    assert f"/jobs/{row.id}" not in client.get("/jobs/").get_data(as_text=True)
    auth.logout()
    auth.login(owner.email)
    page = client.get(f"/jobs/{row.id}").get_data(as_text=True)
    # The page works without JavaScript: no script of its own (only the site menu's, on every page).
    assert "Klaar" in page and page.count("<script") == page.count('<script src="/static/js/nav.js" defer>') == 1
    assert f"/jobs/{row.id}" in client.get("/jobs/").get_data(as_text=True)
