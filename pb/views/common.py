"""Helpers shared by the blueprints: access checks, safe redirects, the unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlsplit

from flask import abort, flash, request, session, url_for
from flask_login import current_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from pb.db import db_session
from pb.errors import DomainError, RefusalRecorded
from pb.extensions import login_manager
from pb.models.stored_file import StoredFile
from pb.models.user import Role, User


def actor() -> User:
    """The logged-in account (views behind a login check only)."""
    return cast(User, current_user._get_current_object())  # type: ignore[attr-defined]


def optional_actor() -> User | None:
    """The logged-in account, or None for visitors."""
    return actor() if current_user.is_authenticated else None


def require_roles(*roles: Role) -> None:
    """Abort with 401/403 unless the current account has one of ``roles`` (admins pass)."""
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    if not actor().has_role(*roles):
        abort(403)


def fresh_session() -> None:
    """Clear the session (no fixation across a login or logout), keeping the chosen language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def log_out() -> None:
    """Log out and start a fresh session."""
    logout_user()
    fresh_session()


def safe_next(target: str | None, default_endpoint: str = "public.home") -> str:
    """Return ``target`` only when it is a same-site relative path, else the default page."""
    default = url_for(default_endpoint)
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(c) < 32 for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def error_onto_form(form: FlaskForm, exc: DomainError) -> None:
    """Show a service's refusal on the field it names, or above the form."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, exc.message]
    else:
        form.form_errors.append(exc.message)


@dataclass
class Work:
    """What a unit of work ended with: the refusal, if the service refused."""

    error: DomainError | None = None

    @property
    def failed(self) -> bool:
        """Whether the service refused."""
        return self.error is not None


@contextmanager
def unit_of_work(form: FlaskForm | None = None, *, flash_error: bool = False,
                 page: tuple[type[DomainError], ...] = ()) -> Iterator[Work]:
    """Run the service calls in the block as the request's one unit of work.

    Success commits. A :class:`DomainError` ends the block: it commits when the refusal records
    itself (:class:`RefusalRecorded`), else rolls back; then it becomes the response: an error
    page for the types in ``page`` (re-raised to the error handlers), else a message on ``form``
    or, with ``flash_error``, a flashed message. ``work.failed`` tells the view which happened.
    """
    work = Work()
    try:
        yield work
    except DomainError as exc:
        if isinstance(exc, RefusalRecorded):
            db_session().commit()
        else:
            db_session().rollback()
        if isinstance(exc, page):
            raise
        work.error = exc
        if form is not None:
            error_onto_form(form, exc)
        elif flash_error:
            flash(exc.message, "error")
        return
    db_session().commit()


def stored_file_response(stored: StoredFile, *, max_age: int, download_name: str | None = None) -> Response:
    """Serve a file kept in the database with its type, an ETag (its SHA-256) and private caching.

    A browser that already has this version gets a 304 without the bytes being read.
    """
    if request.if_none_match.contains(stored.sha256):
        response = Response(status=304)
    else:
        response = Response(stored.data, mimetype=stored.content_type)
        if download_name:
            response.headers["Content-Disposition"] = f'attachment; filename="{download_name}"'
    response.set_etag(stored.sha256)
    response.cache_control.private = True
    response.cache_control.max_age = max_age
    return response
