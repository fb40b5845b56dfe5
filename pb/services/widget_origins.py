"""The allow-list of websites that may show our widgets in an iframe (CSP ``frame-ancestors``).

Each entry is an origin: ``https://`` or ``http://``, a host name or IPv4 address, an optional
port, nothing else. It is written into a response header, so anything that could change the
policy (spaces, semicolons, quotes, wildcards, paths) is refused here.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pb.db import by_id
from pb.errors import NotFound, ValidationFailed
from pb.models.user import User
from pb.models.widget import WidgetOrigin
from pb.services import audit

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST_RE = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")
_MAX_ORIGINS = 50


def normalise_origin(text: str) -> str:
    """Return ``text`` as ``scheme://host[:port]`` in lower case.

    Raises:
        ValidationFailed: not a plain http(s) origin.
    """
    raw = text.strip().rstrip("/")
    invalid = ValidationFailed(
        _("Vul een webadres in zoals https://www.gemeente.nl (zonder pad, zonder * of spaties)."), field="origin")
    if not raw or len(raw) > 200 or any(ch in raw for ch in " \t\r\n;,'\"*\\"):
        raise invalid
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as exc:
        raise invalid from exc
    host = parts.hostname or ""
    if (parts.scheme not in ("http", "https") or parts.username or parts.password or parts.path
            or parts.query or parts.fragment or not _HOST_RE.match(host)):
        raise invalid
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


def list_origins(session: Session) -> list[WidgetOrigin]:
    """Every allowed origin, alphabetically."""
    return list(session.scalars(select(WidgetOrigin).order_by(WidgetOrigin.origin)))


def frame_ancestors(session: Session) -> str:
    """The CSP ``frame-ancestors`` source list: the allowed origins, or ``'none'``."""
    origins = [o.origin for o in list_origins(session)]
    return " ".join(origins) if origins else "'none'"


def add_origin(session: Session, *, actor: User, text: str) -> WidgetOrigin:
    """Allow one more origin to embed the widgets.

    Raises:
        ValidationFailed: not an origin, already on the list, or the list is full.
    """
    origin = normalise_origin(text)
    if len(list_origins(session)) >= _MAX_ORIGINS:
        raise ValidationFailed(_("De lijst is vol. Haal eerst een website weg."), field="origin")
    row = WidgetOrigin(origin=origin)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as exc:
        raise ValidationFailed(_("Deze website staat al op de lijst."), field="origin") from exc
    audit.record(session, actor=actor, action="widget_origin.add", obj_type="widget_origin", obj_id=row.id,
                 after={"origin": origin})
    return row


def remove_origin(session: Session, origin_id: int, *, actor: User) -> None:
    """Take an origin off the list.

    Raises:
        NotFound: no such entry.
    """
    row = by_id(session, WidgetOrigin, origin_id)
    if row is None:
        raise NotFound(_("Deze website staat niet op de lijst."))
    audit.record(session, actor=actor, action="widget_origin.remove", obj_type="widget_origin", obj_id=row.id,
                 before={"origin": row.origin})
    session.delete(row)
    session.flush()
