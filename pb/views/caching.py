"""HTTP caching of public content: strong ETags, cache lifetimes and 304 answers.

Published results never change (a correction is a new version), so a versioned download may be
cached for a year. Addresses that always show the newest version, and listings that grow, are
cached briefly and revalidated with their ETag. Everything else keeps the app's ``no-store``.
"""

from __future__ import annotations

import hashlib

from flask import Response, request

IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=60"
NEWEST_VERSION = "public, max-age=300"


def sha256_etag(body: bytes) -> str:
    """The SHA-256 of ``body`` in hex (used as a strong ETag)."""
    return hashlib.sha256(body).hexdigest()


def conditional(response: Response, *, cache_control: str, etag: str | None = None) -> Response:
    """Give ``response`` a strong ETag (``etag`` or the SHA-256 of its body) and a cache lifetime;
    answer 304 Not Modified when the request's ``If-None-Match`` matches."""
    response.set_etag(etag or sha256_etag(response.get_data()))
    response.headers["Cache-Control"] = cache_control
    response.make_conditional(request)  # sets 304 and drops the body in place
    return response
