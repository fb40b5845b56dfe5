"""The Alembic migrations create exactly the schema the models describe, on either database."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import pb.models  # noqa: F401  (registers every table)
from pb.db import Base, make_engine


def test_models_match_migrations(migrated_url):
    engine = make_engine(migrated_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_one_head_and_files_in_chain_order() -> None:
    """The chain has one head, and sorting the files by name walks the chain from the base."""
    from alembic.script import ScriptDirectory

    from pb.migrate import MIGRATIONS_DIR, alembic_config

    scripts = ScriptDirectory.from_config(alembic_config())
    assert len(scripts.get_heads()) == 1
    chain = [rev.revision for rev in reversed(list(scripts.walk_revisions()))]
    files = sorted(p.name for p in (MIGRATIONS_DIR / "versions").glob("[0-9]*.py"))
    assert len(files) == len(chain) >= 5
    for name, revision in zip(files, chain, strict=True):
        assert name.startswith(f"{revision}_"), (name, revision)
