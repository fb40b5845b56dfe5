"""Migration 0014 on data: every ``area_staff`` row (0009) moves into ``area_managers``, the one
relation of an area's people; the downgrade gives the staff their own table back."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import inspect, text

from pb import migrate
from pb.db import make_engine


def _user(conn, user_id: int, role: str) -> None:
    conn.execute(text("INSERT INTO users (id, email, name, password_hash, role, created_at, session_token) "
                      "VALUES (:id, :email, :name, 'x', :role, CURRENT_TIMESTAMP, :email)"),
                 {"id": user_id, "email": f"u{user_id}@example.test", "name": f"U{user_id}", "role": role})


def test_staff_areas_move_into_the_one_relation_and_back(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    try:
        migrate.upgrade(engine, "0015")
        with engine.begin() as conn:
            for area_id, slug in ((1, "ulft"), (2, "gendringen")):
                conn.execute(text("INSERT INTO areas (id, slug, name, description, created_at) "
                                  "VALUES (:id, :slug, :slug, '', CURRENT_TIMESTAMP)"), {"id": area_id, "slug": slug})
            _user(conn, 10, "manager")
            _user(conn, 20, "staff")
            _user(conn, 30, "staff")
            conn.execute(text("INSERT INTO area_managers (area_id, user_id) VALUES (1, 10), (1, 20)"))
            # Staff 20 was in both tables for area 1; staff 30 only in the grants' table.
            conn.execute(text("INSERT INTO area_staff (area_id, user_id) VALUES (1, 20), (2, 20), (2, 30)"))
        migrate.upgrade(engine)
        with engine.connect() as conn:
            after = sorted(tuple(r) for r in conn.execute(text("SELECT area_id, user_id FROM area_managers")))
            tables = set(inspect(conn).get_table_names())
        assert after == [(1, 10), (1, 20), (2, 20), (2, 30)]
        assert "area_staff" not in tables

        cfg = migrate.alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0015")
        with engine.connect() as conn:
            staff = sorted(tuple(r) for r in conn.execute(text("SELECT area_id, user_id FROM area_staff")))
        assert staff == [(1, 20), (2, 20), (2, 30)]  # the staff's rows; the manager stays out
    finally:
        engine.dispose()
