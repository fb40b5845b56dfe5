"""Shared fixtures: app, client, runner, session, factories; SQLite by default, PostgreSQL when
PB_TEST_DATABASE_URL points at an (empty, migrated here) database."""

from __future__ import annotations

import contextvars
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import email_validator
import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import text
from sqlalchemy.orm import Session

from pb import create_app, migrate
from pb.db import Base, db_session, make_engine

# Accept the reserved .test domain that the tests use for addresses.
email_validator.TEST_ENVIRONMENT = True

PG_URL = os.environ.get("PB_TEST_DATABASE_URL", "")


def is_postgres() -> bool:
    """Whether this run uses PostgreSQL."""
    return PG_URL.startswith("postgresql")


@pytest.fixture(scope="session")
def migrated_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Migrate once per run: the PostgreSQL test database, or a SQLite template file."""
    if is_postgres():
        url = PG_URL
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('template') / 'template.sqlite'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


def _fresh_url(migrated_url: str, tmp_path: Path) -> str:
    if is_postgres():
        return migrated_url
    template = Path(migrated_url.removeprefix("sqlite:///"))
    target = tmp_path / "pb.sqlite"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


def _wipe_postgres(app: Flask) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with app.app_context():
        from pb.db import engine

        with engine().begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


def _sync_test_session(app: Flask) -> None:
    """Commit the test's session before a request: it writes what the test set up, releases
    SQLite's lock, and expires loaded objects so the test afterwards reads what the request did."""
    test_session: Session | None = app.extensions.get("pb_test_session")
    if test_session is not None:
        test_session.commit()


class CSRFClient(FlaskClient):
    """A test client whose POSTs carry a valid CSRF token unless ``csrf=False`` is passed."""

    def csrf_token(self) -> str:
        """Return a signed token for this client's session (creating the raw one if needed)."""
        with self.session_transaction() as sess:
            raw = sess.setdefault("csrf_token", os.urandom(20).hex())
        serializer = URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token")
        return str(serializer.dumps(raw))

    def open(self, *args: Any, **kwargs: Any) -> Any:
        """Run each request in a fresh context, with its own app context and db session,
        even while a test holds an app context of its own (as a real server would)."""
        _sync_test_session(self.application)
        return contextvars.Context().run(super().open, *args, **kwargs)

    def post(self, *args: Any, csrf: bool = True, **kwargs: Any) -> Any:
        """POST, adding ``csrf_token`` to form data."""
        if csrf and "json" not in kwargs:
            data = dict(kwargs.pop("data", None) or {})
            data.setdefault("csrf_token", self.csrf_token())
            kwargs["data"] = data
        return super().post(*args, **kwargs)


class IsolatedCliRunner(FlaskCliRunner):
    """Invoke commands in a fresh context, so they use their own session like a real CLI run."""

    def invoke(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """Invoke a CLI command."""
        _sync_test_session(self.app)
        return contextvars.Context().run(super().invoke, *args, **kwargs)


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    """Test configuration; override in a test module to change settings."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "OUTBOX_DIR": str(tmp_path / "outbox"),
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        # Jobs and mail run at once when the request commits (Huey's immediate mode).
        "JOBS_URL": "immediate://",
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": "buurtbudget.test",
        "PUBLIC_BASE_URL": "http://buurtbudget.test",
    }


@pytest.fixture
def app(migrated_url: str, tmp_path: Path, app_config: dict[str, Any]) -> Iterator[Flask]:
    """A fresh application on a clean, migrated database."""
    config = {"DATABASE_URL": _fresh_url(migrated_url, tmp_path), **app_config}
    application = create_app(config)
    application.test_client_class = CSRFClient
    application.test_cli_runner_class = IsolatedCliRunner
    yield application
    if is_postgres():
        _wipe_postgres(application)
    application.extensions["pb_db"].kw["bind"].dispose()


@pytest.fixture
def client(app: Flask) -> CSRFClient:
    """A test client that adds CSRF tokens to POSTs."""
    return app.test_client()  # type: ignore[return-value]


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """A CLI runner for ``flask pb ...`` commands."""
    return app.test_cli_runner()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """The test's own session, also used by services called in the test's request context.

    It expires on commit, so after a request the test reads what the request stored.
    """
    with app.test_request_context():
        from flask import g

        g.pb_session = app.extensions["pb_db"](expire_on_commit=True)
        app.extensions["pb_test_session"] = g.pb_session
        yield db_session()
        app.extensions.pop("pb_test_session", None)


@pytest.fixture
def outbox(app: Flask) -> "Outbox":
    """Read the mails the app wrote to its outbox."""
    return Outbox(Path(app.config["OUTBOX_DIR"]))


class Outbox:
    """The development mail outbox as a list of messages."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def messages(self) -> list[Any]:
        """All messages, oldest first."""
        import email
        from email import policy

        if not self.path.exists():
            return []
        return [
            email.message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted(self.path.glob("*.eml"))
        ]

    def last_body(self) -> str:
        """The text of the newest message."""
        msgs = self.messages()
        assert msgs, "no mail was sent"
        return str(msgs[-1].get_content())


class AuthActions:
    """Log the test client in and out."""

    def __init__(self, client: CSRFClient) -> None:
        self.client = client

    def login(self, login: str, password: str = "correct horse battery") -> Any:
        """Log in through the form."""
        return self.client.post("/login", data={"login": login, "password": password})

    def logout(self) -> Any:
        """Log out through the form."""
        return self.client.post("/logout")


@pytest.fixture
def auth(client: CSRFClient) -> AuthActions:
    """Login helper for the client fixture."""
    return AuthActions(client)


@pytest.fixture
def area(session: Session) -> Any:
    """The area Ulft (slug ``ulft``)."""
    from tests.factories import make_area

    return make_area(session, slug="ulft", name="Ulft")


@pytest.fixture
def manager(session: Session, area: Any) -> Any:
    """A gebiedsregisseur of ``area`` (not logged in)."""
    from pb.models.user import Role
    from tests.factories import make_user

    return make_user(session, role=Role.MANAGER, areas=[area])


@pytest.fixture
def resident(session: Session, area: Any) -> Any:
    """Jan, a verified resident of ``area`` (jan@example.test)."""
    from tests.factories import make_resident, make_user

    return make_resident(session, area, user=make_user(session, email="jan@example.test", name="Jan"))
