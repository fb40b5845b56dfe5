"""The OpenAPI 3.1 document, generated with apispec from the views and their marshmallow schemas.

A view takes part by carrying :func:`operation`; its path and path parameters come from its URL
rule (apispec's Flask plugin), its query parameters and response body from the schemas in
:mod:`pb.views.api.schemas` (apispec's marshmallow plugin), which are also what serializes the
data, so the document cannot drift from the responses.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec_webframeworks.flask import FlaskPlugin
from flask import Flask
from flask_babel import force_locale
from marshmallow import Schema
from werkzeug.routing import IntegerConverter

from pb.db import MAX_ID
from pb.views.api.http import API_VERSION

F = TypeVar("F", bound=Callable[..., Any])
TAGS = {
    "areas": "Areas (buurt, wijk, dorp) with a budget of their own.",
    "rounds": "Budget rounds: phases, dates, budget, ballot rules and counting rule.",
    "proposals": "Resident initiatives with their public fields, status, cost and history.",
    "results": "Published results: every version, with the anonymised ballots (pabulib) and their SHA-256.",
    "grants": "The register of small grants (buurtbudget met mandaat): what was asked, decided and accounted for.",
    "implementations": "What became of the money: status, budgeted and actual cost and milestones of every "
                       "project chosen in a round and every small grant.",
}
_CACHE_HEADERS = {
    "ETag": {"description": "Strong validator: the SHA-256 of the body.", "schema": {"type": "string"}},
}
_PAGE_HEADERS = {"Link": {"description": "RFC 8288 links to the `first`, `self` and `next` page.",
                          "schema": {"type": "string"}}}
_RATE_HEADERS = {"API-Version": {"description": "The full version of this API.",
                                 "schema": {"type": "string"}}} | {
    name: {"description": text, "schema": {"type": "string"}}
    for name, text in (("RateLimit-Limit", "Requests allowed per window for this client address."),
                       ("RateLimit-Remaining", "Requests left in the current window."),
                       ("RateLimit-Reset", "Seconds until the window resets."),
                       ("RateLimit-Policy", "The limit and its window in seconds."))
}


@dataclass(frozen=True)
class Operation:
    """What the document says about one view."""

    summary: Any  # a lazy Dutch string; the document carries its English translation
    response: type[Schema]
    query_schema: type[Schema] | None
    tag: str
    immutable: bool


def operation(summary: Any, response: type[Schema], *, query: type[Schema] | None = None, tag: str,
              immutable: bool = False) -> Callable[[F], F]:
    """Mark a view as an API operation answering ``response`` (and reading ``query``)."""

    def decorator(view: F) -> F:
        view._openapi = Operation(summary, response, query, tag, immutable)  # type: ignore[attr-defined]
        return view

    return decorator


def documented_operations(app: Flask) -> list[tuple[str, Callable[..., Any], Operation]]:
    """(endpoint, view, operation) of every documented view, in URL order."""
    found = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        doc = getattr(view, "_openapi", None)
        if view is not None and isinstance(doc, Operation):
            found.append((rule.rule, rule.endpoint, view, doc))
    return [(endpoint, view, doc) for _path, endpoint, view, doc in sorted(found, key=lambda item: item[0])]


def _path_parameters(app: Flask, endpoint: str) -> list[dict[str, Any]]:
    rule = app.url_map._rules_by_endpoint[endpoint][0]
    params = []
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            schema: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
        else:
            schema = {"type": "string", "minLength": 1, "maxLength": 64}
        params.append({"in": "path", "name": name, "required": True, "schema": schema})
    return params


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/problem+json": {"schema": "Problem"}}}


def build_spec(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every documented view of ``app``."""
    spec = APISpec(
        title="Buurtbudget open data", version=API_VERSION, openapi_version="3.1.0",
        plugins=[FlaskPlugin(), MarshmallowPlugin()],
        info={"description": "Read-only open data of the participatory budgets: areas, rounds, proposals, "
                             "published results, the small-grants register and what became of the money. "
                             "No count of votes exists here before a result is published. "
                             "Lists are paged with `after` (the last id seen) and `limit`; the `Link` header and "
                             "`_links` give the next page. Errors are `application/problem+json`.",
              "license": {"name": "CC0-1.0", "identifier": "CC0-1.0"}},
        tags=[{"name": name, "description": text} for name, text in TAGS.items()],
    )
    from pb.views.api.schemas import Problem

    spec.components.schema("Problem", schema=Problem)
    for endpoint, view, doc in documented_operations(app):
        with force_locale("en"):
            summary = str(doc.summary)
        headers = {**_CACHE_HEADERS, **_RATE_HEADERS, **(_PAGE_HEADERS if doc.query_schema is not None else {})}
        headers["Cache-Control"] = {"schema": {"type": "string"}, "description": (
            "`public, max-age=31536000, immutable`: a published version never changes." if doc.immutable
            else "`public, max-age=60`: revalidate with the ETag.")}
        responses: dict[str, Any] = {
            "200": {"description": (view.__doc__ or summary).strip().splitlines()[0], "headers": headers,
                    "content": {"application/json": {"schema": doc.response}}},
            "304": {"description": "Not modified (the `If-None-Match` ETag is still current)."},
            "404": _problem("Not found (or not published yet)."),
            "429": _problem("Too many requests from this client address; see `Retry-After`."),
        }
        parameters = _path_parameters(app, endpoint)
        if doc.query_schema is not None:
            parameters.append({"in": "query", "schema": doc.query_schema})
            responses["400"] = _problem("A query parameter is invalid.")
        spec.path(view=view, app=app, operations={"get": {
            "operationId": endpoint.split(".", 1)[1], "summary": summary, "tags": [doc.tag],
            "parameters": parameters, "responses": responses,
        }})
    return spec.to_dict()


def openapi_document(app: Flask) -> str:
    """The document as JSON text, built once per app."""
    cached = app.extensions.get("pb_openapi")
    if cached is None:
        cached = app.extensions["pb_openapi"] = json.dumps(build_spec(app), ensure_ascii=False, indent=1)
    return str(cached)
