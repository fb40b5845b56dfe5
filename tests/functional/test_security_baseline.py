"""Headers, CSRF on every POST, rate limits, secret-key refusal, error pages."""

from __future__ import annotations

import pytest
from flask import Flask

from pb import create_app
from pb.config import ConfigError


def test_security_headers(client):
    resp = client.get("/")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"


def test_no_inline_scripts_or_styles(client):
    body = client.get("/register").get_data(as_text=True)
    assert "<script>" not in body and "style=" not in body and "onclick" not in body


def test_every_post_route_without_token_is_400(app: Flask, client):
    post_rules = [r for r in app.url_map.iter_rules() if "POST" in (r.methods or set())]
    assert post_rules
    for rule in post_rules:
        url = rule.rule
        for arg in rule.arguments:
            url = url.replace(f"<{arg}>", "1").replace(f"<int:{arg}>", "1")
        url = url.replace("<int:", "<").replace("<path:", "<")
        import re

        url = re.sub(r"<[^>]+>", "1", url)
        resp = client.post(url, data={}, csrf=False)
        assert resp.status_code in (400, 302, 401, 404), f"{rule.rule}: {resp.status_code}"
        if resp.status_code == 302:  # redirected to login before the CSRF check
            assert "/login" in resp.headers["Location"], rule.rule


def test_refuses_default_secret_outside_debug(tmp_path):
    with pytest.raises(ConfigError):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite", "SECRET_KEY": "insecure-development-key"})


def test_cookie_secure_in_production(tmp_path):
    app = create_app({"DATABASE_URL": "postgresql+psycopg://pb@db.example/pb", "SECRET_KEY": "s" * 32,
                      "MAIL_BACKEND": "smtp", "RATELIMIT_STORAGE_URL": "redis://redis.example:6379/0",
                      "JOBS_URL": "redis://redis.example:6379/1", "PUBLIC_BASE_URL": "https://bb.example.nl"})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_error_pages_in_dutch(client):
    resp = client.get("/bestaat-niet")
    assert resp.status_code == 404 and "Deze pagina bestaat niet" in resp.get_data(as_text=True)
    resp = client.get("/api/nothing", headers={"Accept": "application/json"})
    assert resp.status_code == 404 and resp.is_json and resp.json["status"] == 404


def test_too_large_request_is_413(client, app):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    resp = client.post("/register", data={"name": "x" * 5000})
    assert resp.status_code == 413


@pytest.fixture
def limited_app(migrated_url, tmp_path, app_config):
    from tests.conftest import CSRFClient, _fresh_url

    app = create_app({**app_config, "DATABASE_URL": _fresh_url(migrated_url, tmp_path),
                      "RATELIMIT_ENABLED": True, "RATELIMIT_AUTH": "3 per minute"})
    app.test_client_class = CSRFClient
    return app


def test_login_is_rate_limited_per_ip_but_others_pass(limited_app):
    client = limited_app.test_client()
    codes = [client.post("/login", data={"login": "x@example.test", "password": "fout"}).status_code
             for _ in range(4)]
    assert codes[:3] == [200, 200, 200] and codes[3] == 429
    fresh_cookie_same_ip = limited_app.test_client()
    assert fresh_cookie_same_ip.post("/login", data={"login": "x@example.test", "password": "f"}).status_code == 429
    other_ip = limited_app.test_client()
    resp = other_ip.post("/login", data={"login": "x@example.test", "password": "f"},
                         environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert resp.status_code == 200


def test_language_switch_to_english_and_back(client):
    resp = client.post("/language", data={"lang": "en", "next": "/login"})
    assert resp.headers["Location"] == "/login"
    assert '<html lang="en">' in client.get("/login").get_data(as_text=True)
    client.post("/language", data={"lang": "nl", "next": "/"})
    assert '<html lang="nl">' in client.get("/").get_data(as_text=True)
