"""The route x role matrix the authorization tests share: the people of two areas, and a walk over
routes that logs in, answers each GET and POST, and says whether the request wrote anything
(THREATS 11, 12, 22)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from pb.models.area import Area
from pb.models.user import Role, User
from tests.factories import PASSWORD, make_resident, make_user


def two_area_people(session: Session, area: Area, elsewhere: Area) -> dict[str, User]:
    """A resident, a manager and an information-point worker of ``area`` and of ``elsewhere``, and an admin."""
    return {
        "resident": make_resident(session, area),
        "resident_other": make_resident(session, elsewhere),
        "manager": make_user(session, role=Role.MANAGER, areas=[area]),
        "manager_other": make_user(session, role=Role.MANAGER, areas=[elsewhere]),
        "staff": make_user(session, role=Role.STAFF, areas=[area]),
        "staff_other": make_user(session, role=Role.STAFF, areas=[elsewhere]),
        "admin": make_user(session, role=Role.ADMIN),
    }


def rules_of(app: Flask, blueprints: Iterable[str], expected: Iterable[str]) -> list[Rule]:
    """The routes of ``blueprints``; fails when one is not in ``expected`` (a new route extends the matrix)."""
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.split(".")[0] in set(blueprints)]
    assert {r.endpoint for r in rules} == set(expected), "a route was added: extend the matrix"
    return rules


@dataclass(frozen=True)
class Visit:
    """One request of the walk: what was asked, the answer, and whether the database changed."""

    rule: Rule
    method: str
    url: str
    response: TestResponse
    wrote: bool

    @property
    def status(self) -> int:
        """The answer's status code."""
        return self.response.status_code


def walk(app: Flask, session: Session, *, email: str | None, rules: Iterable[Rule], url_of: Callable[[Rule], str],
         state: Callable[[Session], Any], post_data: dict[str, str]) -> Iterator[Visit]:
    """Log in as ``email`` (None: anonymous) and GET and POST every rule; never a 5xx."""
    client = app.test_client()
    if email is not None:
        assert client.post("/login", data={"login": email, "password": PASSWORD}).status_code == 302
    for rule in rules:
        url = url_of(rule)
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            before = state(session)
            resp = client.get(url) if method == "GET" else client.post(url, data=post_data)
            assert resp.status_code < 500, (email, method, url, resp.status_code)
            yield Visit(rule=rule, method=method, url=url, response=resp, wrote=state(session) != before)
