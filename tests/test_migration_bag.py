"""Migration 0010 on a register with data: toevoeging split into the BAG's parts, nothing lost.

SQLite rebuilds the table for the new unique index; with foreign keys on, that rebuild would
cascade into letter codes and residencies (``pb.migrate`` turns them off while migrating).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from pb import migrate
from pb.db import make_engine


def test_upgrade_splits_toevoeging_and_keeps_codes_and_residencies(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    try:
        migrate.upgrade(engine, "0005")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO areas (id, slug, name, description, created_at) "
                              "VALUES (1, 'ulft', 'Ulft', '', CURRENT_TIMESTAMP)"))
            for entry_id, toevoeging in ((1, "A"), (2, "2"), (3, ""), (4, "BIS")):
                conn.execute(text(
                    "INSERT INTO register_entries (id, area_id, postcode, huisnummer, toevoeging, eligible_count, "
                    "verified_count, imported_at) VALUES (:id, 1, '7071AB', 12, :t, 1, 0, CURRENT_TIMESTAMP)"),
                    {"id": entry_id, "t": toevoeging})
                conn.execute(text(
                    "INSERT INTO letter_codes (register_entry_id, code_hmac, batch, valid_until, created_at) "
                    "VALUES (:id, :h, 'b', '2030-01-01', CURRENT_TIMESTAMP)"), {"id": entry_id, "h": f"{entry_id:064d}"})
        migrate.upgrade(engine)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, huisletter, huisnummertoevoeging, street, woonplaats "
                                     "FROM register_entries ORDER BY id")).all()
            codes = conn.execute(text("SELECT count(*) FROM letter_codes")).scalar()
            fk_on = conn.exec_driver_sql("PRAGMA foreign_keys").scalar()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [(1, "A", "", "", ""), (2, "", "2", "", ""), (3, "", "", "", ""),
                                        (4, "", "BIS", "", "")]
    assert codes == 4 and fk_on == 1
