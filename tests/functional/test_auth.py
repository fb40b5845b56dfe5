"""Every account path, including bad input: register, confirm, login, logout, reset."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import func, select

from pb.models.user import User
from tests.factories import PASSWORD, make_user, without_csrf_token


def _link(body: str, path: str) -> str:
    match = re.search(rf"https?://[^/\s]+(/{path}/[^\s]+)", body)
    assert match, f"no /{path}/ link in mail:\n{body}"
    return match.group(1)


def _register(client, email="anna@example.test", password=PASSWORD, confirm=None, name="Anna"):
    return client.post("/register", data={
        "name": name, "email": email, "password": password,
        "password_confirm": password if confirm is None else confirm,
    })


def test_register_confirm_login_logout(client, session, outbox):
    resp = _register(client, email="Anna@Example.test ")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/register/check-mail")
    user = session.scalar(select(User).where(User.email == "anna@example.test"))
    assert user is not None and user.email_confirmed_at is None
    assert user.password_hash.startswith("scrypt:") and PASSWORD not in user.password_hash

    # Not confirmed yet: login refused with a clear message.
    resp = client.post("/login", data={"login": "anna@example.test", "password": PASSWORD})
    assert "Bevestig eerst uw e-mailadres" in resp.get_data(as_text=True)

    link = _link(outbox.last_body(), "confirm")
    assert client.get(link).status_code == 200  # GET shows a button, writes nothing
    session.expire_all()
    assert session.get(User, user.id).email_confirmed_at is None
    resp = client.post(link)
    assert resp.status_code == 302
    session.expire_all()
    assert session.get(User, user.id).email_confirmed_at is not None

    resp = client.post("/login", data={"login": "anna@example.test", "password": PASSWORD},
                       follow_redirects=True)
    assert "Welkom, Anna" in resp.get_data(as_text=True)
    assert "Anna" in client.get("/account").get_data(as_text=True)

    client.post("/logout")
    assert client.get("/account").status_code == 302


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "email": "a@example.test", "password": PASSWORD, "password_confirm": PASSWORD}, "Vul dit veld in."),
        ({"name": "A", "email": "geen-mail", "password": PASSWORD, "password_confirm": PASSWORD}, "Vul een geldig e-mailadres in."),
        ({"name": "A", "email": "a@example.test", "password": "kort", "password_confirm": "kort"}, "minstens 10 tekens"),
        ({"name": "A", "email": "a@example.test", "password": PASSWORD, "password_confirm": "anders123456"}, "niet hetzelfde"),
    ],
)
def test_register_bad_input_keeps_values_and_writes_nothing(client, session, data, message):
    resp = client.post("/register", data=data)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert message in body
    if data["email"]:
        assert f'value="{data["email"]}"' in body  # what the user typed is kept
    assert PASSWORD not in body and "anders123456" not in body  # passwords are not echoed
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_duplicate_email_same_answer_no_second_account(client, session, outbox):
    existing = make_user(session, email="bestaat@example.test")
    session.commit()
    first = _register(client, email="nieuw@example.test")
    dup = _register(client, email="bestaat@example.test")
    assert first.status_code == dup.status_code == 302
    assert first.headers["Location"] == dup.headers["Location"]
    assert session.scalar(select(func.count()).select_from(User).where(User.email == "bestaat@example.test")) == 1
    msgs = outbox.messages()
    assert msgs[-1]["To"] == existing.email and "al een account" in str(msgs[-1]["Subject"])


def test_login_wrong_password_and_unknown_user_same_message(client, session):
    make_user(session, email="piet@example.test")
    session.commit()
    wrong = client.post("/login", data={"login": "piet@example.test", "password": "fout-wachtwoord"})
    unknown = client.post("/login", data={"login": "niemand@example.test", "password": "fout-wachtwoord"})
    msg = "Het e-mailadres of het wachtwoord klopt niet."
    assert msg in wrong.get_data(as_text=True) and msg in unknown.get_data(as_text=True)
    assert 'value="piet@example.test"' in wrong.get_data(as_text=True)
    assert client.get("/account").status_code == 302


def test_forged_and_expired_confirmation_tokens(client, session, outbox, app):
    _register(client)
    link = _link(outbox.last_body(), "confirm")
    forged = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    resp = client.post(forged)
    assert resp.status_code == 400 and "niet geldig" in resp.get_data(as_text=True)
    app.config["CONFIRM_TOKEN_MAX_AGE"] = -1
    resp = client.post(link)
    assert resp.status_code == 400 and "verlopen" in resp.get_data(as_text=True)
    assert session.scalar(select(User.email_confirmed_at)) is None
    assert client.post("/confirm/nonsense").status_code == 400


def test_password_reset_flow_single_use_and_ends_sessions(client, session, outbox, app):
    user = make_user(session, email="reset@example.test")
    session.commit()
    other = app.test_client()
    other.post("/login", data={"login": "reset@example.test", "password": PASSWORD})
    assert other.get("/account").status_code == 200

    resp = client.post("/forgot-password", data={"email": "reset@example.test"})
    unknown = client.post("/forgot-password", data={"email": "onbekend@example.test"})
    assert without_csrf_token(resp.get_data(as_text=True)) == without_csrf_token(
        unknown.get_data(as_text=True))
    # One message each (same work and answer); the unknown address learns it has no account.
    known, notice = outbox.messages()
    assert known["To"] == "reset@example.test" and notice["To"] == "onbekend@example.test"
    assert "geen account" in str(notice.get_content()) and "reset-password" not in str(notice.get_content())
    link = _link(str(known.get_content()), "reset-password")

    resp = client.post(link, data={"password": "kort", "password_confirm": "kort"})
    assert "minstens 10 tekens" in resp.get_data(as_text=True)
    resp = client.post(link, data={"password": "een nieuw wachtwoord", "password_confirm": "een nieuw wachtwoord"})
    assert resp.status_code == 302

    # Used link no longer works; the other device's login ended; the new password works.
    reused = client.post(link, data={"password": "nog een wachtwoord", "password_confirm": "nog een wachtwoord"})
    assert reused.status_code == 400 and "al gebruikt" in reused.get_data(as_text=True)
    assert other.get("/account").status_code == 302
    resp = client.post("/login", data={"login": "reset@example.test", "password": "een nieuw wachtwoord"})
    assert resp.status_code == 302
    session.expire_all()
    assert session.get(User, user.id).password_hash != ""


def test_expired_reset_token(client, session, outbox, app):
    make_user(session, email="oud@example.test")
    session.commit()
    client.post("/forgot-password", data={"email": "oud@example.test"})
    link = _link(outbox.last_body(), "reset-password")
    app.config["RESET_TOKEN_MAX_AGE"] = -1
    time.sleep(0.01)
    resp = client.get(link)
    assert resp.status_code == 400 and "verlopen" in resp.get_data(as_text=True)


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example/", "/\\evil.example",
                                     "http:/evil", "javascript:alert(1)", "/\tevil"])
def test_open_redirect_attempts_go_home(client, session, target):
    make_user(session, email="r@example.test")
    session.commit()
    resp = client.post("/login", data={"login": "r@example.test", "password": PASSWORD, "next": target})
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/"


def test_next_same_site_path_is_followed(client, session):
    make_user(session, email="n@example.test")
    session.commit()
    resp = client.post("/login", data={"login": "n@example.test", "password": PASSWORD, "next": "/account?x=1"})
    assert resp.headers["Location"] == "/account?x=1"


def test_pre_login_cookie_is_useless_after_login(client, session, app):
    make_user(session, email="fix@example.test")
    session.commit()
    client.get("/login")
    with client.session_transaction() as sess:
        pre_login = dict(sess)
    client.post("/login", data={"login": "fix@example.test", "password": PASSWORD})
    attacker = app.test_client()
    with attacker.session_transaction() as sess:
        sess.update(pre_login)
    assert attacker.get("/account").status_code == 302
    assert client.get("/account").status_code == 200


def test_role_change_ends_existing_logins(client, session, app):
    from pb.models.user import Role
    from pb.services import accounts

    admin = make_user(session, role=Role.ADMIN)
    user = make_user(session, email="rol@example.test")
    session.commit()
    client.post("/login", data={"login": "rol@example.test", "password": PASSWORD})
    assert client.get("/account").status_code == 200
    accounts.change_role(session, user, actor=admin, role=Role.STAFF)
    session.commit()
    assert client.get("/account").status_code == 302


def test_login_form_requires_csrf(client, session):
    make_user(session, email="csrf@example.test")
    session.commit()
    resp = client.post("/login", data={"login": "csrf@example.test", "password": PASSWORD}, csrf=False)
    assert resp.status_code == 400


def test_session_cookie_flags(client, session):
    make_user(session, email="c@example.test")
    session.commit()
    resp = client.post("/login", data={"login": "c@example.test", "password": PASSWORD})
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
