"""Large synthetic approval elections for the benchmarks, deterministic for a seed.

``synthetic_election(projects, voters, seed)``: every voter approves 1-5 projects (30/25/20/15/10 %)
drawn by a skewed popularity (Zipf exponent 0.8, shuffled), costs uniform in [20,000, 2,000,000],
budget a quarter of the total cost. Memory stays bounded by the *distinct* ballots: votes are
drawn as bit masks in NumPy (8 bytes per 64 projects per voter), merged with ``np.unique``, and
only the distinct ballots become Python tuples; the election carries its merged profile (no
``Ballot`` object per voter).
"""

from __future__ import annotations

import numpy as np

from pb.tally import Election, Project
from pb.tally.model import Profile


def synthetic_election(m: int, n: int, seed: int = 2026) -> Election:
    """An approval election of ``m`` projects and ``n`` voters with its merged profile."""
    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, m + 1) ** 0.8
    rng.shuffle(popularity)
    popularity /= popularity.sum()
    sizes = rng.choice(np.arange(1, 6), size=n, p=[0.3, 0.25, 0.2, 0.15, 0.1])
    words = (m + 63) // 64
    masks = np.zeros((n, words), dtype=np.uint64)
    for j in range(5):  # draw with replacement: a repeated draw just approves fewer projects
        voters = np.flatnonzero(sizes > j)
        picks = rng.choice(m, size=voters.size, p=popularity)
        np.bitwise_or.at(masks, (voters, picks // 64),
                         np.left_shift(np.uint64(1), (picks % 64).astype(np.uint64)))
    distinct, weights = np.unique(masks, axis=0, return_counts=True)
    del masks
    bits = np.unpackbits(distinct.view(np.uint8), axis=1, bitorder="little")[:, :m]
    rows, cols = np.nonzero(bits)
    del bits
    cuts = np.searchsorted(rows, np.arange(1, len(distinct)))
    ballots = tuple(tuple(part.tolist()) for part in np.split(cols, cuts))
    supporters = np.bincount(cols, weights=weights[rows], minlength=m).astype(np.int64)
    costs = rng.integers(20_000, 2_000_001, size=m)
    projects = tuple(Project(f"p{i}", int(c), name=f"Project {i}") for i, c in enumerate(costs))
    election = Election(budget=int(costs.sum()) // 4, projects=projects)
    support = tuple(int(x) for x in supporters)
    election.__dict__["profile"] = Profile(  # the cached merged profile (no per-voter ballots)
        ballots=ballots, points=None, weights=tuple(int(w) for w in weights), n_voters=n,
        scores=support, supporters=support)
    return election
