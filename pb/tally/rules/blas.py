"""One BLAS thread while a rule's hot loops run.

Equal Shares and Phragmén call NumPy dot and matrix-vector products millions of times on short
vectors. With OpenBLAS's default of one thread per core every call wakes and synchronises its
threads, which costs far more than the arithmetic and, on a busy machine, many times more wall
time (issue 19: Warszawa 2026 with Add1 took 10.8 s of CPU and 75 s of wall time with the
default threads under load, 5.0 s and 20 s with one). Those rules therefore run inside
:func:`one_blas_thread`; the previous limit is restored afterwards.

Small elections skip the limit: when projects x distinct ballots is below 9,216 no BLAS call
of these rules is large enough for OpenBLAS to use a second thread (it stays single-threaded
for dot products up to 10,000 elements and matrix-vector products below 9,216), and setting
up the controller (about 20-60 ms) would be a large part of counting such a file as a whole
process (Assen 2024: 14 projects x 67 distinct ballots).

Outcomes do not depend on the thread count: BLAS results only feed the float filters, whose
error bounds hold for any summation order, and the integer products are exact either way
(see :mod:`pb.tally.rules.equalshares.fast`). The limit is process-wide while it lasts; another
thread counting at the same time only changes its speed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, wraps
from typing import TYPE_CHECKING, ParamSpec, TypeVar

if TYPE_CHECKING:
    from threadpoolctl import ThreadpoolController

P = ParamSpec("P")
R = TypeVar("R")


@cache
def _controller() -> ThreadpoolController:
    """The thread pools of the loaded libraries (NumPy's BLAS is loaded first)."""
    import numpy  # noqa: F401  the controller only sees libraries already loaded
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


SMALL = 9216
"""Below this many projects x distinct ballots OpenBLAS never uses a second thread here."""


def one_blas_thread(fn: Callable[P, R]) -> Callable[P, R]:
    """Run ``fn(election, ...)`` with BLAS limited to one thread (unless the election is small),
    restoring the previous limit afterwards."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        election = args[0]
        if len(election.projects) * len(election.profile.ballots) < SMALL:  # type: ignore[attr-defined]
            return fn(*args, **kwargs)
        with _controller().limit(limits=1, user_api="blas"):
            return fn(*args, **kwargs)

    return wrapper
