"""Equal Shares and Phragmén run with one BLAS thread and restore the limit afterwards."""

from __future__ import annotations

from threadpoolctl import threadpool_info, threadpool_limits

from pb.tally import Election, TieBreak, tally
from tally_testdata import make


def _blas_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


SEEN: list[list[int]] = []


class _Watching(TieBreak):
    """A file-order tie-break that records the BLAS thread counts while the rule runs."""

    def rank(self, election: Election) -> list[int]:
        SEEN.append(_blas_threads())
        return TieBreak.rank(self, election)


def _election(voters: int) -> Election:
    """Fourteen projects and ``voters`` different ballots (the bits of 1, 2, 3, ...)."""
    costs = {f"p{i}": 100 + 37 * i for i in range(14)}
    votes = [",".join(f"p{j}" for j in range(14) if k >> j & 1) for k in range(1, voters + 1)]
    return make(3000, costs, votes)


def test_small_elections_leave_blas_alone() -> None:
    """Below the size where OpenBLAS could use a second thread nothing is changed."""
    import numpy  # noqa: F401  load BLAS before looking at it

    e = make(900, {"a": 400, "b": 350, "c": 300}, ["a,b", "a", "b,c", "c", "a,c"])
    with threadpool_limits(limits=2, user_api="blas"):
        SEEN.clear()
        tally(e, "equalshares/add1", _Watching())
        assert SEEN and all(n == [2] * len(n) for n in SEEN)


def test_numpy_rules_pin_one_blas_thread() -> None:
    import numpy  # noqa: F401  load BLAS before looking at it

    e = _election(1000)
    assert len(e.projects) * len(e.profile.ballots) >= 9216
    with threadpool_limits(limits=2, user_api="blas"):
        before = _blas_threads()
        assert before and all(n == 2 for n in before)
        for rule in ("equalshares", "equalshares/add1", "equalshares/add1+greedy", "phragmen"):
            SEEN.clear()
            tally(e, rule, _Watching())
            assert SEEN and all(n == [1] * len(before) for n in SEEN), rule
            assert _blas_threads() == before
