"""HTTP caching of public content: strong ETags, cache lifetimes and 304 answers.

Published results never change (a correction is a new version), so a versioned download may be
cached for a year. Addresses that always show the newest version, and listings that grow, are
cached briefly and revalidated with their ETag. Everything else keeps the app's ``no-store``.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from flask import Response, current_app, request
from markupsafe import Markup

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


RENDERED_BLOCKS_KEPT = 256  # rendered pages per process (a published results page is about 100 KB)


def cached_blocks(template_name: str, key: Hashable, context: Callable[[], dict[str, Any]],
                  blocks: tuple[str, ...] = ("title", "content")) -> dict[str, Markup]:
    """The named blocks of ``template_name``, rendered once per ``key`` and kept per process.

    For pages whose main content never changes once made (a published result): ``key`` must name
    everything the blocks show (the result version, the language, the round's title...), and the
    blocks must not depend on who is logged in. ``context`` is called only when the blocks are
    not kept yet. The caller renders the page around them (header, navigation, footer) as usual.
    """
    kept: OrderedDict[Hashable, dict[str, Markup]] = current_app.extensions.setdefault(
        "pb_rendered_blocks", OrderedDict())
    full_key = (template_name, key)
    found = kept.get(full_key)
    if found is not None:
        kept.move_to_end(full_key)
        return found
    values = context()
    current_app.update_template_context(values)
    template = current_app.jinja_env.get_template(template_name)
    ctx = template.new_context(values)
    rendered = {name: Markup("".join(template.blocks[name](ctx))) for name in blocks}
    kept[full_key] = rendered
    while len(kept) > RENDERED_BLOCKS_KEPT:
        kept.popitem(last=False)
    return rendered
