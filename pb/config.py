"""Configuration: defaults -> instance/config.py -> PB_* environment -> test_config."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

DEFAULT_SECRET_KEY = "insecure-development-key"  # refused outside debug/testing
DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:5000"  # refused in production


class ConfigError(RuntimeError):
    """The configuration cannot be used to start the application."""


def defaults(instance_path: str) -> dict[str, Any]:
    """Return the built-in defaults; paths point into the instance folder."""
    return {
        "SECRET_KEY": DEFAULT_SECRET_KEY,
        # "production" (default) or "development" (outbox mail, cookies without Secure over http).
        "ENV": "production",
        "DATABASE_URL": f"sqlite:///{Path(instance_path) / 'pb.sqlite'}",
        "DATABASE_ECHO": False,
        "PUBLIC_BASE_URL": DEFAULT_PUBLIC_BASE_URL,
        "MUNICIPALITY_NAME": "Gemeente Oude IJsselstreek",
        # The map of proposals: XYZ tiles ({z}/{x}/{y}) from one host, which the
        # Content-Security-Policy then allows for images (nothing else). Default: the national
        # BRT-Achtergrondkaart of PDOK (Kadaster), free and without a key. Empty: no map.
        "MAP_TILE_URL": "https://service.pdok.nl/brt/achtergrondkaart/wmts/v2_0/standaard/EPSG:3857/{z}/{x}/{y}.png",
        "MAP_TILE_ATTRIBUTION": "Kaartgegevens © Kadaster (PDOK)",
        "MAP_MAX_ZOOM": 19,
        # Where the map opens when no proposal has a point yet: [latitude, longitude], zoom.
        "MAP_CENTER": [51.8936, 6.3806],
        "MAP_ZOOM": 13,
        # Mail: "outbox" writes .eml files to OUTBOX_DIR and prints them; "smtp" sends.
        "MAIL_BACKEND": "outbox",
        "MAIL_SENDER": "Buurtbudget <noreply@buurtbudget.nl>",
        "MAIL_SMTP_HOST": "localhost",
        "MAIL_SMTP_PORT": 587,
        "MAIL_SMTP_USER": None,
        "MAIL_SMTP_PASSWORD": None,
        "MAIL_SMTP_STARTTLS": True,
        "OUTBOX_DIR": str(Path(instance_path) / "outbox"),
        # Job runner (Huey): a SQLite file here by default, redis://... in production,
        # immediate:// in tests (each job runs at once, in the process that enqueued it).
        "JOBS_URL": f"sqlite:///{Path(instance_path) / 'jobs.sqlite'}",
        "JOBS_QUEUE_NAME": "buurtbudget",
        "JOBS_WORKERS": 2,
        # Logs: one JSON object per line (production), or plain text (development).
        "LOG_JSON": None,  # None: JSON unless development/testing
        "LOG_LEVEL": "INFO",
        "UPLOAD_DIR": str(Path(instance_path) / "uploads"),
        # Tokens sent by e-mail.
        "CONFIRM_TOKEN_MAX_AGE": 3 * 24 * 3600,
        "RESET_TOKEN_MAX_AGE": 3600,
        # Rate limits (Flask-Limiter); Redis in production via PB_RATELIMIT_STORAGE_URL.
        "RATELIMIT_STORAGE_URL": "memory://",
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_AUTH": "10 per minute;60 per hour",
        "RATELIMIT_HEADERS_ENABLED": False,
        # When Redis is down, count in this process's memory instead (Flask-Limiter's documented
        # fallback) and try Redis again later: an outage never turns into error pages.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        "MAX_CONTENT_LENGTH": 10 * 1024 * 1024,
        # The register upload only (a city's BAG extract: about 100 bytes per address, streamed).
        "REGISTER_MAX_CONTENT_LENGTH": 512 * 1024 * 1024,
        # Letter codes are stored as HMAC-SHA256 with this key. None: derived from SECRET_KEY
        # (HMAC with a fixed label), so changing SECRET_KEY then invalidates printed codes.
        "CODE_HMAC_KEY": None,
        # Verification throttles: failures per IP per 15 minutes; all failures per 15 minutes
        # that trigger a "verification failures alarm" WARNING in the log.
        "VERIFY_IP_MAX_FAILURES": 10,
        "VERIFY_ALARM_THRESHOLD": 100,
        "BABEL_DEFAULT_LOCALE": "nl",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Amsterdam",
        "LANGUAGES": ["nl", "en"],
        # Which messages residents get until they choose themselves (the municipality's minimum).
        "NOTIFY_DEFAULTS": {"status": True, "phase": False, "reminder": True, "results": True, "milestone": True},
        # An unsubscribe link in an e-mail works this long (one-click, RFC 8058); later, Mijn buurtbudget.
        "UNSUBSCRIBE_MAX_AGE_DAYS": 180,
        # The worker reminds non-voters once a day when voting closes within this many days.
        "REMIND_VOTERS_DAYS": 3,
        "SESSION_COOKIE_SECURE": None,  # None: Secure unless debugging/development/testing
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
    }


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Fill ``app.config`` in order: defaults, instance/config.py, PB_* env vars, test_config."""
    app.config.from_mapping(defaults(app.instance_path))
    secret_file = Path(app.instance_path) / "secret_key"
    if secret_file.is_file():
        app.config["SECRET_KEY"] = secret_file.read_text().strip()
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env(prefix="PB")
    if test_config:
        app.config.from_mapping(test_config)
    _derive(app)


def _derive(app: Flask) -> None:
    """Compute settings that follow from others and refuse unsafe combinations."""
    cfg = app.config
    relaxed = app.debug or cfg.get("TESTING") or cfg["ENV"] == "development"
    if cfg["SECRET_KEY"] == DEFAULT_SECRET_KEY and not (app.debug or cfg.get("TESTING")):
        raise ConfigError(
            "Refusing to start with the default secret key: set PB_SECRET_KEY or write a "
            "random key to instance/secret_key (the README's run command does this)."
        )
    if not relaxed:
        _refuse_unsafe_production(cfg)
    if cfg["LOG_JSON"] is None:
        cfg["LOG_JSON"] = not relaxed
    if cfg["SESSION_COOKIE_SECURE"] is None:
        cfg["SESSION_COOKIE_SECURE"] = not relaxed
    cfg["REMEMBER_COOKIE_SECURE"] = cfg["SESSION_COOKIE_SECURE"]
    cfg["RATELIMIT_STORAGE_URI"] = cfg["RATELIMIT_STORAGE_URL"]
    cfg["MAP_TILE_ORIGIN"] = tile_origin(cfg["MAP_TILE_URL"])
    _check_map_view(cfg)
    cfg["CONTENT_SECURITY_POLICY"] = content_security_policy(cfg["MAP_TILE_ORIGIN"])
    url = cfg["DATABASE_URL"]
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        # psycopg 3 is the PostgreSQL driver.
        cfg["DATABASE_URL"] = "postgresql+psycopg://" + url.split("://", 1)[1]


def tile_origin(url: str | None) -> str | None:
    """The origin (``https://host[:port]``) of the map's tile URL, or None without a map.

    Raises:
        ConfigError: not an http(s) URL with one fixed host and the {z}, {x} and {y} placeholders.
    """
    if not url:
        return None
    parts = urlsplit(url)
    host_ok = parts.hostname is not None and re.fullmatch(r"[A-Za-z0-9.-]+", parts.hostname) is not None
    if parts.scheme not in ("https", "http") or not host_ok or "{" in parts.netloc:
        raise ConfigError(f"PB_MAP_TILE_URL must be an https URL on one fixed host (no {{s}}): {url!r}")
    if not all(name in parts.path + parts.query for name in ("{z}", "{x}", "{y}")):
        raise ConfigError(f"PB_MAP_TILE_URL needs the placeholders {{z}}, {{x}} and {{y}}: {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def _check_map_view(cfg: dict[str, Any]) -> None:
    """Refuse a start view the map script cannot use (it would fail on every page with a map)."""
    center = cfg["MAP_CENTER"]
    numbers = (isinstance(center, (list, tuple)) and len(center) == 2
               and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in center))
    if not numbers or not (-90 <= center[0] <= 90 and -180 <= center[1] <= 180):
        raise ConfigError(f"PB_MAP_CENTER must be [latitude, longitude] in degrees, e.g. [51.8936, 6.3806]: {center!r}")
    for key in ("MAP_ZOOM", "MAP_MAX_ZOOM"):
        if not isinstance(cfg[key], int) or isinstance(cfg[key], bool) or not 0 <= cfg[key] <= 22:
            raise ConfigError(f"PB_{key} must be a whole number from 0 to 22: {cfg[key]!r}")


def content_security_policy(tile_origin: str | None) -> str:
    """The Content-Security-Policy of every page: our own files only, plus the map's tile host for images."""
    images = "'self' data:" + (f" {tile_origin}" if tile_origin else "")
    return (
        f"default-src 'self'; script-src 'self'; style-src 'self'; img-src {images}; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def _refuse_unsafe_production(cfg: dict[str, Any]) -> None:
    """Outside development and testing, refuse settings that only suit one machine."""
    problems = []
    if cfg["MAIL_BACKEND"] != "smtp":
        problems.append("PB_MAIL_BACKEND is 'outbox' (mail to a local folder): set PB_MAIL_BACKEND=smtp "
                        "and PB_MAIL_SMTP_HOST")
    if cfg["RATELIMIT_ENABLED"] and str(cfg["RATELIMIT_STORAGE_URL"]).startswith("memory://"):
        problems.append("PB_RATELIMIT_STORAGE_URL is memory:// (counters per process): set "
                        "PB_RATELIMIT_STORAGE_URL=redis://HOST:6379/0")
    if str(cfg["DATABASE_URL"]).startswith("sqlite"):
        problems.append("PB_DATABASE_URL is SQLite: set PB_DATABASE_URL=postgresql+psycopg://USER@HOST/DB")
    if str(cfg["JOBS_URL"]).startswith(("sqlite", "immediate")):
        problems.append("PB_JOBS_URL is a local file (jobs would stay on this host): set "
                        "PB_JOBS_URL=redis://HOST:6379/1")
    if cfg["PUBLIC_BASE_URL"] == DEFAULT_PUBLIC_BASE_URL:
        problems.append("PB_PUBLIC_BASE_URL is the default http://127.0.0.1:5000: set the site's public "
                        "address, e.g. PB_PUBLIC_BASE_URL=https://buurtbudget.example.nl")
    if problems:
        raise ConfigError(
            "Refusing to start in production (PB_ENV=production) with development settings:\n  - "
            + "\n  - ".join(problems)
            + "\nFor a local trial run set PB_ENV=development."
        )
