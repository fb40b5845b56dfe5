"""Server time of the public results page of a large published round, next to a bare Flask endpoint.

Usage: python bench/results_page_bench.py [--projects 100] [--voters 100000] [--rule equalshares]
                                          [--database-url URL] [--requests 200]

Makes a fresh schema (a temporary SQLite file; with --database-url a PostgreSQL database whose public
schema is DROPPED and recreated, so give it a scratch database), imports a deterministic synthetic
approval election of ``--projects`` x ``--voters`` as a round, publishes it, and then times
``GET /rounds/<id>/results`` (anonymous, warm: the first 20 requests are not counted) and a bare Flask
endpoint that returns a short text, through the same WSGI test client, interleaved. Prints the median
and p95 of both; the target is a median of at most 30 ms for 100 projects and 100,000 ballots.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask import Flask  # noqa: E402

from pb import create_app, migrate  # noqa: E402
from pb.db import db_session, make_engine  # noqa: E402
from pb.services import areas, pabulib_import  # noqa: E402
from pb.services import results as result_service  # noqa: E402


def write_election(path: Path, projects: int, voters: int, rule: str, seed: int = 2026) -> None:
    """A pabulib approval file: skewed popularity, 1-5 approvals per voter, a quarter of the cost as budget."""
    rng = random.Random(seed)
    costs = [rng.randrange(20_000, 2_000_001, 1_000) for _ in range(projects)]
    weights = [1.0 / (i + 1) ** 0.8 for i in range(projects)]
    rng.shuffle(weights)
    ids = list(range(1, projects + 1))
    with path.open("w", encoding="utf-8") as out:
        out.write("META\nkey;value\ndescription;Synthetic results-page benchmark\ncountry;Netherlands\n"
                  f"unit;Bench\ninstance;2026\nnum_projects;{projects}\nnum_votes;{voters}\n"
                  f"budget;{sum(costs) // 4}\nvote_type;approval\nrule;{rule}\ncurrency;EUR\n")
        out.write("PROJECTS\nproject_id;cost;name\n")
        for pid, cost in zip(ids, costs):
            out.write(f"{pid};{cost};Project {pid} with a name long enough to wrap on a phone\n")
        out.write("VOTES\nvoter_id;vote\n")
        for voter in range(1, voters + 1):
            picks = sorted(set(rng.choices(ids, weights=weights, k=rng.choice((1, 1, 2, 2, 3, 3, 4, 5)))))
            out.write(f"{voter};{','.join(map(str, picks))}\n")


def main() -> int:
    """Run the benchmark; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--projects", type=int, default=100)
    parser.add_argument("--voters", type=int, default=100_000)
    parser.add_argument("--rule", default="equalshares")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--profile", action="store_true", help="also print where the page's time goes")
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory()
    url = args.database_url or f"sqlite:///{tmp.name}/bench.sqlite"
    engine = make_engine(url)
    if args.database_url:
        from sqlalchemy import text

        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(engine)
    engine.dispose()
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True, "RATELIMIT_ENABLED": False,
                      "OUTBOX_DIR": os.path.join(tmp.name, "outbox")})
    source = Path(tmp.name) / "synthetic.pb"
    write_election(source, args.projects, args.voters, args.rule)
    with app.test_request_context():
        session = db_session()
        area = areas.create_area(session, actor=None, data=areas.AreaData(
            name="Bench", slug="bench", description="", postcodes=[], manager_ids=[]))
        session.commit()
        summary = pabulib_import.import_pabulib(session, source, area=area)
        session.commit()
        result = result_service.publish_results(session, summary.round, actor=None)
        session.commit()
        round_id, rule = summary.round.id, result.rule

    bare = Flask("bare")

    @bare.get("/")
    def hello() -> str:
        return "hello"

    page, plain = app.test_client(), bare.test_client()
    path = f"/rounds/{round_id}/results"
    size = len(page.get(path).data)
    page_ms: list[float] = []
    bare_ms: list[float] = []
    for i in range(args.requests + 20):
        for client, target, times in ((page, path, page_ms), (plain, "/", bare_ms)):
            t0 = time.perf_counter()
            response = client.get(target)
            elapsed = (time.perf_counter() - t0) * 1000
            assert response.status_code == 200, (target, response.status_code)
            if i >= 20:
                times.append(elapsed)
    where = (args.database_url or "sqlite").split(":")[0]
    print(f"results page of {args.projects} projects, {args.voters} ballots (rule {rule}, {size // 1024} KiB) "
          f"on {where}, {args.requests} requests, load {os.getloadavg()[0]:.1f}")
    for name, times in (("results page", page_ms), ("bare Flask", bare_ms)):
        cuts = statistics.quantiles(times, n=20)
        print(f"  {name:13s} median {statistics.median(times):7.2f} ms   p95 {cuts[18]:7.2f} ms")
    median = statistics.median(page_ms)
    print(f"  target: median <= 30 ms: {'met' if median <= 30 else 'NOT met'}")
    if args.profile:
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.runcall(lambda: [page.get(path) for _ in range(20)])
        pstats.Stats(profile).sort_stats("cumulative").print_stats(r"pb/|templates/|jinja2/environment", 30)
    app.extensions["pb_db"].kw["bind"].dispose()
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
