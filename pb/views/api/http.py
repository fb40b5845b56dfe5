"""HTTP mechanics of the API: query parsing, paging links, cached JSON, rate-limit headers."""

from __future__ import annotations

import json
import time
from typing import Any

from flask import Response, request, url_for
from marshmallow import Schema, ValidationError

from pb.extensions import limiter
from pb.services.open_data import Page
from pb.views.caching import conditional


class BadQuery(Exception):
    """Query parameters that do not fit the operation's schema (answered with 400)."""

    def __init__(self, errors: dict[str, Any]) -> None:
        super().__init__("bad query")
        self.errors = errors


def query(schema: type[Schema]) -> dict[str, Any]:
    """The request's query parameters loaded with ``schema``.

    Raises:
        BadQuery: a parameter has the wrong type or is out of range.
    """
    try:
        data: dict[str, Any] = schema().load(request.args.to_dict())
    except ValidationError as exc:
        raise BadQuery(exc.normalized_messages()) from exc  # type: ignore[arg-type]
    return data


def json_response(data: Any, *, cache_control: str, links: dict[str, str] | None = None) -> Response:
    """``data`` as JSON with a strong ETag (the SHA-256 of the body) and ``Link`` headers."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    response = Response(body, mimetype="application/json")
    if links:
        response.headers["Link"] = ", ".join(f'<{href}>; rel="{rel}"' for rel, href in links.items())
    return conditional(response, cache_control=cache_control)


def page_body(page: Page[Any], items: list[Any], endpoint: str,
              params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The envelope of one page and its links (first, self, next)."""
    base = {k: v for k, v in params.items() if k not in ("after",) and v is not None}
    links = {"first": url_for(endpoint, _external=True, **base),
             "self": url_for(endpoint, _external=True, **params)}
    if page.next_after is not None:
        links["next"] = url_for(endpoint, _external=True, **{**base, "after": page.next_after})
    return {"items": items, "_links": {rel: {"href": href} for rel, href in links.items()}}, links


API_VERSION = "1.0.0"


def api_headers(response: Response) -> Response:
    """The full API version (NLGov rule /core/version-header) and the client's rate limit with the
    IETF ``RateLimit`` headers."""
    response.headers["API-Version"] = API_VERSION
    current = limiter.current_limit
    if current is not None:
        window = current.limit.get_expiry()
        response.headers["RateLimit-Policy"] = f"{current.limit.amount};w={window}"
        response.headers["RateLimit-Limit"] = str(current.limit.amount)
        response.headers["RateLimit-Remaining"] = str(max(0, current.remaining))
        response.headers["RateLimit-Reset"] = str(max(0, int(current.reset_at - time.time())))
        if response.status_code == 429:
            response.headers["Retry-After"] = response.headers["RateLimit-Reset"]
    return response
