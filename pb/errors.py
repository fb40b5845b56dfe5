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


class RefusalRecorded(DomainError):
    """A refusal that records itself (a counted failure, the audit entry of a refused attempt).

    The service has written that record; the view's unit of work commits it instead of rolling
    back (:func:`pb.views.common.unit_of_work`). Nothing else the request did is kept, because a
    service raises this before any other write.
    """


class AlreadyVoted(InvalidState):
    """The voter already voted in this round and may not (or no longer) replace the ballot."""


class VotingNotOpen(InvalidState):
    """The round's voting has not opened yet."""


class VotingClosed(InvalidState):
    """The round's voting has closed; no ballot is taken any more."""


class VotingNotClosed(InvalidState):
    """The round's voting has not closed yet: nothing is counted or sealed before."""
