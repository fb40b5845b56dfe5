"""Health checks for the load balancer and the orchestrator: ``/healthz`` and ``/readyz``."""

from __future__ import annotations

from functools import cache
from typing import Any

from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from pb import migrate
from pb.db import engine
from pb.extensions import limiter

bp = Blueprint("health", __name__)


@cache
def _migration_heads() -> frozenset[str]:
    return frozenset(ScriptDirectory.from_config(migrate.alembic_config()).get_heads())


def _redis_urls() -> list[str]:
    cfg = current_app.config
    urls = [cfg["RATELIMIT_STORAGE_URL"] if cfg["RATELIMIT_ENABLED"] else "", cfg["JOBS_URL"]]
    return sorted({u for u in urls if u.startswith(("redis://", "rediss://", "unix://"))})


def _check_database() -> tuple[bool, str]:
    try:
        with engine().connect() as conn:
            conn.execute(text("SELECT 1"))
            current = {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
    except SQLAlchemyError as exc:
        return False, f"database unreachable or not migrated: {type(exc).__name__}"
    if current != _migration_heads():
        return False, f"migrations not at head (database {sorted(current)}, code {sorted(_migration_heads())})"
    return True, "ok"


def _check_redis(url: str) -> tuple[bool, str]:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        try:
            client.ping()
        finally:
            client.close()
    except redis.RedisError as exc:
        return False, f"unreachable: {type(exc).__name__}"
    return True, "ok"


@bp.get("/healthz")
@limiter.exempt
def healthz() -> Any:
    """The process answers (liveness)."""
    return jsonify(status="ok")


@bp.get("/readyz")
@limiter.exempt
def readyz() -> Any:
    """The database is reachable with all migrations applied, and Redis answers when configured."""
    checks: dict[str, dict[str, Any]] = {}
    ok, detail = _check_database()
    checks["database"] = {"ok": ok, "detail": detail}
    for n, url in enumerate(_redis_urls()):
        ok, detail = _check_redis(url)
        checks[f"redis{n + 1 if n else ''}"] = {"ok": ok, "detail": detail}
    ready = all(c["ok"] for c in checks.values())
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503
