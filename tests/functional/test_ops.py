"""Operations: the mail outbox (THREAT #25), dependency outages (THREAT #26), production defaults,
health checks, request ids, the real worker process and the migration lock."""

from __future__ import annotations

import datetime as dt
import email
import json
import logging
import os
import socket
import subprocess
import sys
import time
from email import policy
from pathlib import Path

import pytest
from sqlalchemy import event, func, select, text

from pb import create_app, job_runner
from pb.config import ConfigError
from pb.db import db_session, make_engine
from pb.logs import JsonFormatter, RequestIdFilter
from pb.models.job import Job, JobStatus
from pb.models.outbox import OutboxMessage
from pb.services import jobs, mail
from tests.conftest import PG_URL, CSRFClient, _fresh_url, is_postgres
from tests.factories import make_user, without_csrf_token

ROOT = Path(__file__).resolve().parents[2]
SAFE_PRODUCTION = {
    "SECRET_KEY": "s" * 32,
    "DATABASE_URL": "postgresql+psycopg://pb@db.example/pb",
    "MAIL_BACKEND": "smtp",
    "RATELIMIT_STORAGE_URL": "redis://redis.example:6379/0",
    "JOBS_URL": "redis://redis.example:6379/1",
    "PUBLIC_BASE_URL": "https://buurtbudget.example.nl",
}


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again: nothing listens there


# --- The outbox -----------------------------------------------------------------------------------

def test_queue_writes_a_row_in_the_transaction_and_the_worker_sends_it(session, outbox, app):
    mail.queue(session, to="a@example.test", subject="Hallo", body="Tekst",
               headers={"List-Unsubscribe": "<https://buurtbudget.test/afmelden>"})
    row = session.scalar(select(OutboxMessage))
    assert row.sent_at is None and outbox.messages() == []  # nothing leaves before the commit
    session.rollback()
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0 and outbox.messages() == []

    mail.queue(session, to="a@example.test", subject="Hallo", body="Tekst",
               headers={"List-Unsubscribe": "<https://buurtbudget.test/afmelden>"})
    session.commit()
    (msg,) = outbox.messages()
    assert msg["Date"] and msg["Message-ID"].endswith("@buurtbudget.nl>")
    assert msg["List-Unsubscribe"] == "<https://buurtbudget.test/afmelden>"
    row = session.scalar(select(OutboxMessage))
    assert row.sent_at is not None and row.message is None and row.attempts == 1  # text gone once sent
    assert row.message_id == msg["Message-ID"]


def test_a_released_savepoint_sends_nothing_before_the_commit(session, outbox):
    with session.begin_nested():
        mail.queue(session, to="a@example.test", subject="Na de commit", body="Tekst")
    with session.begin_nested():
        mail.queue(session, to="b@example.test", subject="Na de commit", body="Tekst")
    assert outbox.messages() == []
    session.commit()
    assert sorted(m["To"] for m in outbox.messages()) == ["a@example.test", "b@example.test"]


@pytest.fixture
def queued_app(migrated_url, tmp_path, app_config):
    """An app whose mail goes to an SMTP server that is down, through a real queue (no worker)."""
    config = {**app_config, "DATABASE_URL": _fresh_url(migrated_url, tmp_path),
              "JOBS_URL": f"sqlite:///{tmp_path / 'jobs.sqlite'}", "MAIL_BACKEND": "smtp",
              "MAIL_SMTP_HOST": "127.0.0.1", "MAIL_SMTP_PORT": _dead_port()}
    application = create_app(config)
    application.test_client_class = CSRFClient
    yield application
    if is_postgres():
        with application.app_context():
            with make_engine(PG_URL).begin() as conn:
                conn.execute(text("TRUNCATE users, outbox_messages, jobs RESTART IDENTITY CASCADE"))


def _statements(app, fn):
    """Run ``fn`` and count the SQL statements the app's engine executed."""
    engine = app.extensions["pb_db"].kw["bind"]
    seen: list[str] = []

    def count(*_args):
        seen.append(_args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        result = fn()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return result, seen


def test_known_and_unknown_address_same_answer_and_same_work_with_smtp_down(queued_app):
    """THREAT #25/#26: reset and registration answer alike, do the same database work, and an
    SMTP outage changes neither; the worker records the failed attempt for a later retry."""
    with queued_app.app_context():
        make_user(db_session(), email="bekend@example.test")
        db_session().commit()
    client = queued_app.test_client()
    client.get("/forgot-password")  # the page's footer reads the municipality's face once per 30 s: warm it
    known, known_sql = _statements(queued_app, lambda: client.post(
        "/forgot-password", data={"email": "bekend@example.test"}))
    unknown, unknown_sql = _statements(queued_app, lambda: client.post(
        "/forgot-password", data={"email": "onbekend@example.test"}))
    assert known.status_code == unknown.status_code == 200
    assert without_csrf_token(known.get_data(as_text=True)) == without_csrf_token(unknown.get_data(as_text=True))
    assert [s.split()[0] for s in known_sql] == [s.split()[0] for s in unknown_sql]  # same statements

    taken, _ = _statements(queued_app, lambda: client.post(
        "/register", data={"name": "A", "email": "bekend@example.test", "password": "lang genoeg wachtwoord",
                           "password_confirm": "lang genoeg wachtwoord"}))
    fresh, _ = _statements(queued_app, lambda: client.post(
        "/register", data={"name": "B", "email": "nieuw@example.test", "password": "lang genoeg wachtwoord",
                           "password_confirm": "lang genoeg wachtwoord"}))
    assert taken.status_code == fresh.status_code == 302 and taken.location == fresh.location

    with queued_app.app_context():
        s = db_session()
        ids = list(s.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)))
        assert len(ids) == 4  # one message for each of the four requests
        with pytest.raises(mail.DeliveryFailed):
            job_runner.send_outbox_message(s, ids[0])  # the worker's attempt while SMTP is down
        row = s.get(OutboxMessage, ids[0], populate_existing=True)
        assert row.sent_at is None and row.attempts == 1 and "Connection" in row.last_error
        assert row.message is not None  # kept for the next attempt


def test_smtp_down_in_immediate_mode_is_no_error_page(app, client, session):
    app.config.update(MAIL_BACKEND="smtp", MAIL_SMTP_HOST="127.0.0.1", MAIL_SMTP_PORT=_dead_port())
    response = client.post("/register", data={"name": "C", "email": "c@example.test",
                                              "password": "lang genoeg wachtwoord",
                                              "password_confirm": "lang genoeg wachtwoord"})
    assert response.status_code == 302
    row = session.scalar(select(OutboxMessage))
    assert row.sent_at is None and row.last_error


# --- Production defaults ------------------------------------------------------------------------

@pytest.mark.parametrize("setting,value,named", [
    ("MAIL_BACKEND", "outbox", "PB_MAIL_BACKEND"),
    ("RATELIMIT_STORAGE_URL", "memory://", "PB_RATELIMIT_STORAGE_URL"),
    ("DATABASE_URL", "sqlite:////tmp/x.sqlite", "PB_DATABASE_URL"),
    ("JOBS_URL", "sqlite:////tmp/jobs.sqlite", "PB_JOBS_URL"),
    ("PUBLIC_BASE_URL", "http://127.0.0.1:5000", "PB_PUBLIC_BASE_URL"),
])
def test_production_refuses_development_settings(setting, value, named):
    create_app(SAFE_PRODUCTION)  # the safe set starts (no I/O in create_app)
    with pytest.raises(ConfigError) as refused:
        create_app({**SAFE_PRODUCTION, setting: value})
    assert named in str(refused.value)
    create_app({**SAFE_PRODUCTION, setting: value, "ENV": "development"})  # fine for a trial run


def test_production_refusal_from_the_command_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PB_")}
    env.update(PB_SECRET_KEY="s" * 32, PB_ENV="production")
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "pb", "init-db"], cwd=tmp_path,
                          env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "PB_MAIL_BACKEND" in done.stderr and "PB_DATABASE_URL" in done.stderr and "PB_PUBLIC_BASE_URL" in done.stderr


# --- Redis outage: the limiter falls back to memory ---------------------------------------------

def test_dead_redis_login_still_answers_and_is_still_limited(migrated_url, tmp_path, app_config):
    """THREAT #26: with the limiter's Redis down, login answers (no 500) and the in-memory fallback
    still counts attempts."""
    app = create_app({**app_config, "DATABASE_URL": _fresh_url(migrated_url, tmp_path), "RATELIMIT_ENABLED": True,
                      "RATELIMIT_STORAGE_URL": f"redis://127.0.0.1:{_dead_port()}/0",
                      "RATELIMIT_AUTH": "3 per minute"})
    app.test_client_class = CSRFClient
    client = app.test_client()
    codes = [client.post("/login", data={"login": "x@example.test", "password": "fout"}).status_code
             for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert client.get("/login").status_code == 200


# --- Health checks ------------------------------------------------------------------------------

def test_healthz_and_readyz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["checks"]["database"]["ok"] is True


def test_readyz_503_when_redis_is_down_or_migrations_are_behind(app, client, tmp_path, app_config):
    app.config.update(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URL=f"redis://127.0.0.1:{_dead_port()}/0")
    down = client.get("/readyz")
    assert down.status_code == 503 and down.get_json()["checks"]["redis"]["ok"] is False
    empty = create_app({**app_config, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite'}"})
    behind = empty.test_client().get("/readyz")
    assert behind.status_code == 503 and behind.get_json()["checks"]["database"]["ok"] is False


def test_readyz_with_the_real_redis(app, client):
    app.config.update(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URL="redis://127.0.0.1:6379/15")
    ready = client.get("/readyz")
    if ready.get_json()["checks"]["redis"]["detail"].startswith("unreachable"):
        pytest.skip("no Redis on 127.0.0.1:6379")
    assert ready.status_code == 200


# --- Request ids and JSON logs ------------------------------------------------------------------

def test_request_id_in_and_out_and_on_log_lines(client, app):
    given = client.get("/healthz", headers={"X-Request-ID": "proxy-1234abcd"})
    assert given.headers["X-Request-ID"] == "proxy-1234abcd"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id <script>"})
    assert made.headers["X-Request-ID"] != "bad id" and len(made.headers["X-Request-ID"]) == 32
    with app.test_request_context():
        from flask import g

        g.request_id = "req-abcdef12"
        record = logging.makeLogRecord({"name": "pb.test", "levelno": logging.INFO, "levelname": "INFO",
                                        "msg": "publish %s", "args": (12,), "duration_ms": 3.5})
        RequestIdFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "req-abcdef12" and line["message"] == "publish 12" and line["duration_ms"] == 3.5


# --- A real worker process ----------------------------------------------------------------------

def test_a_real_worker_process_runs_jobs_and_sends_mail(migrated_url, tmp_path, app_config):
    """The committed job and mail go through the queue file to ``flask pb worker`` in another process."""
    url = _fresh_url(migrated_url, tmp_path)
    jobs_url = f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    app = create_app({**app_config, "DATABASE_URL": url, "JOBS_URL": jobs_url})
    env = {k: v for k, v in os.environ.items() if not k.startswith("PB_")}
    env.update(PB_ENV="development", PB_SECRET_KEY="test-secret", PB_DATABASE_URL=url, PB_JOBS_URL=jobs_url,
               PB_OUTBOX_DIR=app_config["OUTBOX_DIR"], PB_PUBLIC_BASE_URL="http://buurtbudget.test",
               PYTHONPATH=str(ROOT))
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "pb", "worker"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        with app.app_context(), app.test_request_context():
            s = db_session()
            user = make_user(s, email="eigenaar@example.test")
            row = jobs.enqueue(s, "address_register.purge", {"area_id": 999999}, owner=user)  # no such area: fails
            mail.queue(s, to="a@example.test", subject="Via de worker", body="Hallo")
            job_id = row.id
            s.commit()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with app.app_context():
                ended = db_session().get(Job, job_id)
                sent = db_session().scalar(select(OutboxMessage.sent_at))
                if ended.finished and sent is not None:
                    break
            time.sleep(0.3)
        assert ended.status == JobStatus.FAILED and ended.attempts == 1, ended.error
        assert sent is not None
        (eml,) = Path(app_config["OUTBOX_DIR"]).glob("*.eml")
        assert email.message_from_bytes(eml.read_bytes(), policy=policy.default)["Subject"] == "Via de worker"
    finally:
        worker.terminate()
        out = worker.communicate(timeout=30)[0].decode(errors="replace")
        if is_postgres():
            with make_engine(PG_URL).begin() as conn:
                conn.execute(text("TRUNCATE users, outbox_messages, jobs RESTART IDENTITY CASCADE"))
    assert "Traceback" not in out.replace("Unhandled exception in task", ""), out


# --- Two hosts migrating at once (PostgreSQL) ---------------------------------------------------

@pytest.mark.skipif(not is_postgres(), reason="the migration lock is a PostgreSQL advisory lock")
def test_two_processes_migrate_one_after_the_other():
    """Two `pb init-db` on a fresh database at once both succeed; while one holds the lock the
    other waits."""
    from pb.migrate import MIGRATION_LOCK_KEY

    base, _, _name = PG_URL.rpartition("/")
    fresh = f"pb_lock_{os.getpid()}"
    admin = make_engine(f"{base}/postgres").execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {fresh}"))
        conn.execute(text(f"CREATE DATABASE {fresh}"))
    url = f"{base}/{fresh}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PB_")}
    env.update(PB_ENV="development", PB_SECRET_KEY="test-secret", PB_DATABASE_URL=url, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "flask", "--app", "wsgi", "pb", "init-db"]
    holder = make_engine(url)
    try:
        with holder.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
            procs = [subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                     for _ in range(2)]
            time.sleep(3)
            assert [p.poll() for p in procs] == [None, None]  # both wait for the lock
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
            conn.commit()
        results = [p.communicate(timeout=120) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], results
        with holder.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
            assert conn.execute(text("SELECT count(*) FROM jobs")).scalar() == 0
    finally:
        holder.dispose()
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {fresh} WITH (FORCE)"))
        admin.dispose()


def test_dead_job_queue_is_no_error_page_and_the_sweep_finds_the_work(migrated_url, tmp_path, app_config):
    """THREAT #26: with the queue's Redis down the committed request still answers; the message
    waits in the outbox for the sweep."""
    app = create_app({**app_config, "DATABASE_URL": _fresh_url(migrated_url, tmp_path),
                      "JOBS_URL": f"redis://127.0.0.1:{_dead_port()}/1"})
    app.test_client_class = CSRFClient
    client = app.test_client()
    response = client.post("/register", data={"name": "D", "email": "d@example.test",
                                              "password": "lang genoeg wachtwoord",
                                              "password_confirm": "lang genoeg wachtwoord"})
    assert response.status_code == 302
    with app.app_context():
        row = db_session().scalar(select(OutboxMessage))
        assert row.sent_at is None and row.attempts == 0
        assert mail.unsent(db_session(), older_than=dt.timedelta(0)) == [row.id]
    if is_postgres():
        with make_engine(PG_URL).begin() as conn:
            conn.execute(text("TRUNCATE users, outbox_messages, jobs RESTART IDENTITY CASCADE"))
