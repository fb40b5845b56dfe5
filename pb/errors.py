"""One exception hierarchy for domain errors; views map them to HTTP status codes."""

from __future__ import annotations


class DomainError(Exception):
    """Base class: a business rule refused the request. ``message`` is shown to the user."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationFailed(DomainError):
    """The input is well-formed but breaks a rule (400)."""

    status_code = 400


class PermissionDenied(DomainError):
    """The actor may not do this (403)."""

    status_code = 403


class NotFound(DomainError):
    """The object does not exist or is not visible to the actor (404)."""

    status_code = 404


class InvalidState(DomainError):
    """The object is in a state that does not allow this (409)."""

    status_code = 409
