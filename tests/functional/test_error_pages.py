"""Issue 18: every error page says what to do next, in Dutch and in English."""

from __future__ import annotations

import pytest
from flask import abort

STATUSES = (400, 403, 404, 409, 429, 500)


@pytest.fixture
def failing(app):
    app.add_url_rule("/_test/error/<int:code>", "test_error", lambda code: abort(code))
    return app


@pytest.mark.parametrize("status", STATUSES)
def test_error_page_says_what_to_do_next(client, failing, status):
    page = client.get(f"/_test/error/{status}")
    html = page.get_data(as_text=True)
    assert page.status_code == status
    assert "Wat kunt u doen?" in html and 'href="/"' in html and "informatiepunt" in html
    assert "Foutcode:" not in html and f"foutcode {status}" in html
    if status == 403:
        assert 'href="/login?next=' in html  # a visitor is sent to log in


def test_logged_in_403_links_to_the_account(client, auth, failing, resident):
    auth.login(resident.email)
    html = client.get("/_test/error/403").get_data(as_text=True)
    assert 'href="/account"' in html and "/login?next=" not in html


@pytest.mark.parametrize("status", STATUSES)
def test_error_page_in_english(client, failing, status):
    with client.session_transaction() as sess:
        sess["lang"] = "en"
    html = client.get(f"/_test/error/{status}").get_data(as_text=True)
    assert "What can you do?" in html and "information point" in html and f"error code {status}" in html
