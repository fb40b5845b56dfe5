"""Database plumbing: declarative base, one engine per app, one session per app context.

Views, CLI commands and tests commit; services only flush. Outgoing mail queued on a session is
delivered after that session commits (see :mod:`pb.services.mail`).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, TypeVar, cast

from flask import Flask, current_app, g
from sqlalchemy import CursorResult, DateTime, Engine, Enum, MetaData, Result, create_engine, event
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime on every database (SQLite stores no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        """Refuse naive datetimes and store UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; use pb.db.utcnow() or an aware datetime")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        """Return an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


class Base(DeclarativeBase):
    """Declarative base for every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime()}


def str_enum(cls: type[enum.StrEnum], length: int = 24) -> Enum:
    """A column type storing a StrEnum as its text value (no native database enum)."""
    return Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


_Row = TypeVar("_Row")
MAX_ID = 2**31 - 1  # ids are the database's 32-bit integers; a larger one overflows PostgreSQL


def by_id(session: Session, model: type[_Row], ident: int) -> _Row | None:
    """``session.get(model, ident)``, or None for an id no row can have (outside 1..MAX_ID).

    Ids typed by people (CLI arguments) go through here; URL ids are already limited by the
    app's ``int`` converter.
    """
    return session.get(model, ident) if 0 < ident <= MAX_ID else None


def require_row(session: Session, model: type[_Row], ident: int, missing: str) -> _Row:
    """The row of ``model`` with id ``ident`` (see :func:`by_id`).

    Raises:
        NotFound: no such row; ``missing`` is the message a reader sees ("Dit plan bestaat niet.").
    """
    from pb.errors import NotFound

    row = by_id(session, model, ident)
    if row is None:
        raise NotFound(missing)
    return row


def rowcount(result: Result[Any]) -> int:
    """The number of rows an UPDATE or DELETE matched (``Session.execute`` types it as a plain Result)."""
    return cast(CursorResult[Any], result).rowcount or 0


def utcnow() -> dt.datetime:
    """Return the current time, timezone-aware UTC."""
    return dt.datetime.now(dt.timezone.utc)


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine; SQLite gets foreign keys, WAL, a busy timeout and immediate writes."""
    if not url.startswith("sqlite"):
        return create_engine(url, echo=echo, pool_pre_ping=True)
    engine = create_engine(url, echo=echo, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, start transactions (see the "begin" hook below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn: Any) -> None:
        # BEGIN IMMEDIATE takes the write lock up front, so concurrent writers queue on the busy
        # timeout instead of failing halfway with "database is locked".
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def init_app(app: Flask) -> None:
    """Create the app's engine and session factory; close the session at teardown."""
    engine = make_engine(app.config["DATABASE_URL"], echo=app.config["DATABASE_ECHO"])
    app.extensions["pb_db"] = sessionmaker(bind=engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def engine() -> Engine:
    """Return the current app's engine."""
    factory: sessionmaker[Session] = current_app.extensions["pb_db"]
    bind = factory.kw["bind"]
    assert isinstance(bind, Engine)
    return bind


def db_session() -> Session:
    """Return the session of the current app context, creating it on first use."""
    if "pb_session" not in g:
        g.pb_session = current_app.extensions["pb_db"]()
    session: Session = g.pb_session
    return session


def _close_session(_exc: BaseException | None) -> None:
    session: Session | None = g.pop("pb_session", None)
    if session is not None:
        session.close()
