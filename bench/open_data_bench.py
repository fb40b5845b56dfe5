"""Stream the researchers' archive (/open-data/ballots.zip) and show that its memory stays near one
ballots file, not the sum of all of them.

Usage: python bench/open_data_bench.py [--rounds N] [--mb M]

Creates a temporary SQLite database with N published rounds whose ballots files are M MB each
(synthetic VOTES lines; the archive does not parse them), downloads the zip through the test
client chunk by chunk, and prints the time, the archive size, the total of the files and the peak
Python memory (tracemalloc) during the download.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pb import create_app, migrate  # noqa: E402
from pb.db import db_session, make_engine, utcnow  # noqa: E402
from pb.models.result import RoundResult  # noqa: E402
from pb.models.round import BudgetRound  # noqa: E402
from pb.services import areas  # noqa: E402
from pb.services.ballot_files import chain_head, sha256_hex  # noqa: E402


def _ballots_file(n: int, size: int) -> str:
    head = f"META\nkey;value\ndescription;bench {n}\nPROJECTS\nproject_id;cost\n1;100\nVOTES\nvoter_id;vote\n"
    line_no, lines, total = 0, [head], len(head)
    while total < size:
        line = f"{line_no};1\n"
        lines.append(line)
        total += len(line)
        line_no += 1
    return "".join(lines)


def main() -> int:
    """Run the benchmark; return the exit code."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--mb", type=float, default=20.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.sqlite"
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": url, "RATELIMIT_ENABLED": False})
        with app.app_context():
            session = db_session()
            area = areas.create_area(session, actor=None, data=areas.AreaData(
                name="Bench", slug="bench", description="", postcodes=[], manager_ids=[]))
            now = utcnow()
            for n in range(args.rounds):
                rnd = BudgetRound(area_id=area.id, title=f"Bench {n}", budget_cents=100, proposals_open_at=now,
                                  proposals_close_at=now, support_close_at=now, review_close_at=now,
                                  voting_open_at=now, voting_close_at=now, results_published_at=now)
                session.add(rnd)
                session.flush()
                text = _ballots_file(n, int(args.mb * 1024 * 1024))
                session.add(RoundResult(round_id=rnd.id, version=1, rule="greedy", tie_break="lower-cost",
                                        outcome_json="{}", ballots_pb=text, ballots_sha256=sha256_hex(text),
                                        chain_head=chain_head(text), published_at=now))
                session.commit()
                del text
            total = args.rounds * int(args.mb * 1024 * 1024)
        client = app.test_client()
        tracemalloc.start()
        start = time.perf_counter()
        response = client.get("/open-data/ballots.zip", buffered=False)
        size = sum(len(chunk) for chunk in response.response)
        elapsed = time.perf_counter() - start
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        app.extensions["pb_db"].kw["bind"].dispose()
    print(f"archive: {args.rounds} files, {total / 2**20:.0f} MB of ballots -> {size / 2**20:.1f} MB zip "
          f"in {elapsed:.2f} s; peak Python memory during the download {peak / 2**20:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
