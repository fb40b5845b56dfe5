"""Apply Alembic migrations: the only way the schema is created."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, text

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# pg_advisory_xact_lock key (from the bytes "pb-migra"); the same on every host.
MIGRATION_LOCK_KEY = int.from_bytes(b"pb-migra", "big") >> 1


def alembic_config(url: str | None = None) -> Config:
    """Return an Alembic config pointing at pb/migrations (and optionally at a database URL)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def lock_migrations(conn: Connection) -> None:
    """On PostgreSQL, wait for the migration lock (held until the transaction ends).

    Two hosts running ``pb init-db`` at once then migrate one after the other: the second finds
    the schema at head and does nothing. SQLite needs no lock: ``BEGIN IMMEDIATE`` already
    serialises writers, and it runs on one machine.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database behind ``engine`` to ``revision`` (idempotent, safe from several hosts).

    On SQLite, foreign keys are off while migrating: batch mode rebuilds a table by dropping it,
    and with foreign keys on that drop would cascade into the rows that refer to it (SQLite's
    documented procedure for changing a table). The keys are checked before the commit.
    """
    cfg = alembic_config()
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with conn.begin():
                lock_migrations(conn)
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
                if sqlite and conn.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                    raise RuntimeError("migration left rows that violate a foreign key")
        finally:
            if sqlite:
                conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
