"""Errors raised by the tally engine."""

from __future__ import annotations


class TallyError(ValueError):
    """Invalid election data or an impossible tally request.

    ``line`` is the 1-based line number in the source file when the problem comes from a file,
    and ``problem`` is the message without the location prefix.
    """

    def __init__(self, problem: str, *, line: int | None = None, source: str | None = None) -> None:
        self.problem = problem
        self.line = line
        self.source = source
        where = ""
        if source:
            where = f"{source}: "
        if line is not None:
            where += f"line {line}: "
        super().__init__(f"{where}{problem}")
