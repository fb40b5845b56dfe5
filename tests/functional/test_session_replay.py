"""Threat 24: a login cookie captured before logout is refused afterwards, whatever
X-Forwarded-For says; session protection uses only the proxy-derived client address."""

from __future__ import annotations

import pytest

from tests.factories import make_user

VICTIM = {"REMOTE_ADDR": "198.51.100.7"}
ATTACKER = {"REMOTE_ADDR": "203.0.113.9"}


def _session_cookie(client) -> str:
    cookie = client.get_cookie("session", domain=client.application.config["SERVER_NAME"])
    assert cookie is not None
    return cookie.value


def _account_page(app, cookie: str, environ: dict[str, str], headers: dict[str, str] | None = None):
    other = app.test_client()
    other.set_cookie("session", cookie, domain=app.config["SERVER_NAME"])
    return other.get("/account", environ_base=environ, headers=headers or {})


@pytest.mark.parametrize("xff", [None, "198.51.100.7", "198.51.100.7, 10.0.0.1", "127.0.0.1"])
def test_cookie_captured_before_logout_is_refused_after_logout(app, client, session, xff):
    user = make_user(session)
    session.commit()
    client.environ_base.update(VICTIM)
    assert client.post("/login", data={"login": user.email, "password": "correct horse battery"}).status_code == 302
    captured = _session_cookie(client)
    # The stolen cookie works for the victim's own address before logout (sanity: the test can fail).
    assert _account_page(app, captured, VICTIM).status_code == 200
    client.post("/logout")
    headers = {"X-Forwarded-For": xff} if xff else {}
    for environ in (VICTIM, ATTACKER):
        resp = _account_page(app, captured, environ, headers)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_spoofed_forwarded_for_does_not_pass_strong_session_protection(app, client, session):
    user = make_user(session)
    session.commit()
    client.environ_base.update(VICTIM)
    client.post("/login", data={"login": user.email, "password": "correct horse battery"})
    captured = _session_cookie(client)
    # The victim is still logged in; the attacker replays the cookie from elsewhere, claiming the
    # victim's address in X-Forwarded-For (no proxy is configured, so the header counts for nothing).
    resp = _account_page(app, captured, ATTACKER, {"X-Forwarded-For": "198.51.100.7"})
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_each_login_gets_a_new_server_side_token(app, client, session):
    user = make_user(session)
    session.commit()
    client.post("/login", data={"login": user.email, "password": "correct horse battery"})
    first = _session_cookie(client)
    token = user.session_token
    client.post("/login", data={"login": user.email, "password": "correct horse battery"})
    session.refresh(user)
    assert user.session_token != token
    assert _account_page(app, first, {}).status_code == 302


def test_behind_one_proxy_only_the_address_the_proxy_saw_counts(app, session, app_config):
    from pb import create_app

    proxied = create_app({"DATABASE_URL": app.config["DATABASE_URL"], **app_config, "PROXY_FIX": 1})
    email = make_user(session).email
    session.commit()
    session.close()  # the second app has its own connection: release SQLite's lock
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    victim = proxied.test_client()
    token_page = victim.get("/login", environ_base=proxy, headers={"X-Forwarded-For": "198.51.100.7"})
    assert token_page.status_code == 200
    from tests.conftest import CSRFClient

    victim.__class__ = CSRFClient
    victim.post("/login", data={"login": email, "password": "correct horse battery"},
                environ_base=proxy, headers={"X-Forwarded-For": "198.51.100.7"})
    captured = _session_cookie(victim)
    ok = proxied.test_client()
    ok.set_cookie("session", captured, domain=proxied.config["SERVER_NAME"])
    assert ok.get("/account", environ_base=proxy, headers={"X-Forwarded-For": "198.51.100.7"}).status_code == 200
    # The attacker writes the victim's address first; the proxy appends the attacker's real one.
    thief = proxied.test_client()
    thief.set_cookie("session", captured, domain=proxied.config["SERVER_NAME"])
    resp = thief.get("/account", environ_base=proxy, headers={"X-Forwarded-For": "198.51.100.7, 203.0.113.9"})
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
