"""Demo data for ``pb demo``: areas, users, rounds, a result; loaded idempotently."""
