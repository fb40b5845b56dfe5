"""Time importing, publishing and exporting a city-size round (default: Poland_Lodz_2022).

Usage: python bench/results_bench.py [FILE.pb] [--database-url URL] [--repeat N]

Each run creates a fresh schema (a temporary SQLite file; with --database-url a PostgreSQL database
whose public schema is DROPPED and recreated, so give it a scratch database), then times: ``import-pabulib`` (parse + store rounds, projects, ballots),
``publish`` (count with the file's rule, write the anonymised ballots.pb, hash chain, store) and
``export`` (the results page, ballots.pb, results.json and results.csv over the test client).
Prints one line per step and the total; the target is under 10 s together.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pb import create_app, migrate  # noqa: E402
from pb.db import db_session, make_engine  # noqa: E402
from pb.services import areas, pabulib_import  # noqa: E402
from pb.services import results as result_service  # noqa: E402


def main() -> int:
    """Run the benchmark; return the exit code."""
    parser = argparse.ArgumentParser()
    parser.add_argument("file", nargs="?", default=str(pabulib_import.pabulib_dir() / "Poland_Lodz_2022.pb"))
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--repeat", type=int, default=1, help="runs (fresh schema each); best time per step")
    args = parser.parse_args()
    path = Path(args.file)
    if not path.exists():
        print(f"skipped: {path} does not exist")
        return 0
    runs = [run_once(path, args.database_url) for _ in range(max(args.repeat, 1))]
    labels = [step[0] for step in runs[-1]]
    best = [min(run[i][1] for run in runs) for i in range(len(labels))]
    cpu = [min(run[i][2] for run in runs) for i in range(len(labels))]
    print("   wall   this process's CPU")
    for label, seconds, cpu_seconds in zip(labels, best, cpu):
        print(f"{seconds:7.2f} s {cpu_seconds:7.2f} s  {label}")
    total = sum(best)
    where = (args.database_url or "sqlite").split(":")[0]
    print(f"{total:7.2f} s {sum(cpu):7.2f} s  total, best of {len(runs)} "
          f"({'under' if total < 10 else 'OVER'} the 10 s target) on {where}; load {os.getloadavg()[0]:.1f}")
    return 0


def run_once(path: Path, database_url: str | None) -> list[tuple[str, float, float]]:
    """Import, publish and export once on a fresh schema; return (label, wall s, CPU s) per step."""
    tmp = tempfile.TemporaryDirectory()
    if database_url:
        _reset(database_url)
    url = database_url or f"sqlite:///{tmp.name}/bench.sqlite"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True, "RATELIMIT_ENABLED": False,
                      "OUTBOX_DIR": os.path.join(tmp.name, "outbox")})
    timings: list[tuple[str, float, float]] = []
    with app.test_request_context():
        session = db_session()
        area = areas.create_area(session, actor=None, data=areas.AreaData(
            name="Bench", slug="bench", description="", postcodes=[], manager_ids=[]))
        session.commit()
        t0, c0 = time.perf_counter(), time.process_time()
        summary = pabulib_import.import_pabulib(session, path, area=area)
        session.commit()
        timings.append((f"import  ({summary.projects} projects, {summary.ballots} ballots)",
                        time.perf_counter() - t0, time.process_time() - c0))
        round_id = summary.round.id
        t0, c0 = time.perf_counter(), time.process_time()
        result = result_service.publish_results(session, summary.round, actor=None)
        session.commit()
        selected = len(result_service.outcome_of(result)["selected"])
        timings.append((f"publish (rule {result.rule}, {selected} selected)", time.perf_counter() - t0,
                        time.process_time() - c0))
    client = app.test_client()
    t0, c0 = time.perf_counter(), time.process_time()
    sizes = []
    for route in ("results", "ballots.pb", "results.json", "results.csv"):
        response = client.get(f"/rounds/{round_id}/{route}")
        assert response.status_code == 200, (route, response.status_code)
        sizes.append(f"{route} {len(response.data) // 1024} KiB")
    timings.append((f"export  ({', '.join(sizes)})", time.perf_counter() - t0, time.process_time() - c0))
    app.extensions["pb_db"].kw["bind"].dispose()
    tmp.cleanup()
    return timings


def _reset(url: str) -> None:
    """Empty a PostgreSQL database (drop and recreate its public schema)."""
    from sqlalchemy import text

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
