"""Casting throughput and latency against a bare-Flask baseline, measured in one run.

    python bench/cast_bench.py --database-url URL [--voters 2000] [--clients 50] [--workers 4]
                               [--root PATH]

The database at URL is WIPED (twice). For each of the two apps:

1. a fresh schema with a round in voting and ``--voters`` verified voters (``bench/vote_race.py``'s
   set-up, run inside ``--root`` so an older checkout measures its own code and migrations);
2. ``gunicorn -w 4`` serving it: ``bench/bare_cast_app.py`` (session check, one INSERT of a ballot,
   one of a participation, one transaction) or the real app (``wsgi:app`` in ``--root``);
3. every voter casts once, ``--clients`` at a time (keep-alive connections, a Python load
   generator): the login cookie and CSRF token are minted with the server's secret, so the
   timed requests are casts only.

Prints requests/s and p50/p99 for both, and the ratio real/bare (target: >= 50 %, p99 <= 100 ms
at 50 concurrent voters). ``--root`` points at another checkout (e.g. the code before the secret
ballot redesign, exported with ``git archive``) to measure "before".
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import queue
import random
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.vote_race import free_port, percentile, stop  # noqa: E402

SECRET_KEY = secrets.token_hex(32)
USER_AGENT = "cast-bench"


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="PostgreSQL database to WIPE and use")
    parser.add_argument("--voters", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout whose app is measured")
    return parser.parse_args()


def seed(root: Path, url: str, voters: int) -> dict[str, object]:
    """Fresh schema and voters, made by ``root``'s own code; returns round, proposals, users."""
    code = (
        "import json, sys; sys.path.insert(0, '.'); sys.path.insert(0, 'bench'); import vote_race as v; "
        f"v.fresh_schema({url!r}); r, p, e = v.seed({url!r}, {voters}, False); "
        "print(json.dumps({'round': r, 'proposals': p}))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=root, check=True, capture_output=True, text=True)
    data: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        data["users"] = [(uid, tok) for uid, tok in conn.execute(
            text("SELECT id, session_token FROM users ORDER BY id"))]
    engine.dispose()
    return data


def cookies(users: list[tuple[int, str]]) -> list[tuple[str, str]]:
    """(session cookie, CSRF form token) per voter, as a login would have made them."""
    from flask import Flask
    from itsdangerous import URLSafeTimedSerializer

    app = Flask("mint")
    app.secret_key = SECRET_KEY
    signer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    csrf = URLSafeTimedSerializer(SECRET_KEY, salt="wtf-csrf-token")
    # Flask-Login's "strong" session protection: sha512 of "<client address>|<user agent>".
    ident = hashlib.sha512(f"127.0.0.1|{USER_AGENT}".encode()).hexdigest()
    minted = []
    for uid, token in users:
        raw = os.urandom(20).hex()
        session = {"_user_id": f"{uid}.{token}", "_fresh": True, "_id": ident, "csrf_token": raw}
        minted.append((signer.dumps(session), csrf.dumps(raw)))
    return minted


def serve(root: Path, url: str, port: int, workers: int, target: str, round_id: int) -> subprocess.Popen[bytes]:
    """Start gunicorn for ``target`` in ``root``; wait until its port answers."""
    # The production configuration (JSON logs, Secure cookies, Redis job queue), without rate
    # limits: every cast comes from one client address. No mail is sent during a cast.
    env = {**os.environ, "PB_SECRET_KEY": SECRET_KEY, "PB_DATABASE_URL": url, "PB_RATELIMIT_ENABLED": "false",
           "PB_ENV": "production", "PB_MAIL_BACKEND": "smtp", "PB_MAIL_SMTP_HOST": "127.0.0.1",
           "PB_JOBS_URL": "redis://127.0.0.1:6379/14", "PB_PUBLIC_BASE_URL": "https://buurtbudget.example.nl",
           "BENCH_ROUND_ID": str(round_id), "PYTHONPATH": str(root)}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    # The app's request log (one JSON line per cast) goes to a file, as a log shipper would take it.
    log = open(os.devnull if os.name != "posix" else "/tmp/cast_bench_server.log", "ab")  # noqa: SIM115
    proc = subprocess.Popen([str(gunicorn), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--timeout", "120",
                             "--log-level", "warning", target], cwd=root, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/")
            conn.getresponse().read()
            conn.close()
            return proc
        except OSError:
            time.sleep(0.2)
    stop(proc)
    raise SystemExit(f"{target} did not answer within 60 s")


def load(port: int, requests: list[tuple[str, str, str]], clients: int) -> tuple[float, list[float], dict[int, int]]:
    """Send (path, cookie, body) requests from ``clients`` threads; (wall, latencies, statuses)."""
    work: queue.SimpleQueue[tuple[str, str, str]] = queue.SimpleQueue()
    for r in requests:
        work.put(r)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        barrier.wait()
        while True:
            try:
                path, cookie, body = work.get_nowait()
            except queue.Empty:
                break
            headers = {"Cookie": f"session={cookie}", "Content-Type": "application/x-www-form-urlencoded",
                       "User-Agent": USER_AGENT}
            start = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=headers)
                resp = conn.getresponse()
                resp.read()
                status = resp.status
            except OSError:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                status = 599
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - t0, latencies, statuses


def measure(name: str, root: Path, url: str, args: argparse.Namespace, bare: bool) -> tuple[float, float, float]:
    """Seed, serve, load, stop; print and return (requests/s, p50 ms, p99 ms)."""
    data = seed(root, url, args.voters)
    round_id = int(data["round"])  # type: ignore[arg-type]
    proposals = list(data["proposals"])  # type: ignore[arg-type]
    minted = cookies(data["users"])  # type: ignore[arg-type]
    rng = random.Random(7)
    requests = []
    for cookie, csrf in minted:
        if bare:
            requests.append(("/cast", cookie, ""))
        else:
            picks = rng.sample(proposals, 2)
            body = urlencode([("csrf_token", csrf), ("action", "cast")] + [("project", str(p)) for p in picks])
            requests.append((f"/rounds/{round_id}/vote/cast", cookie, body))
    port = free_port()
    proc = serve(ROOT if bare else root, url, port, args.workers,
                 "bench.bare_cast_app:app" if bare else "wsgi:app", round_id)
    try:
        wall, latencies, statuses = load(port, requests, args.clients)
    finally:
        stop(proc)
    rps = len(latencies) / wall
    p50, p99 = (1000 * percentile(latencies, p) for p in (50, 99))
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:  # what reached the database, not what the answers claim
        stored = conn.execute(text("SELECT count(*) FROM participations")).scalar()
    engine.dispose()
    print(f"{name}: {rps:.0f} requests/s, p50={p50:.1f} ms, p99={p99:.1f} ms "
          f"({len(latencies)} casts, {stored} stored, statuses {dict(sorted(statuses.items()))})", flush=True)
    if stored != len(requests):
        raise SystemExit(f"{name}: {stored} of {len(requests)} casts stored; the numbers above mean nothing")
    return rps, p50, p99


def main() -> int:
    """Run the baseline and the real cast, one after the other, and compare."""
    args = parse_args()
    url = args.database_url
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    print(f"{args.voters} voters, {args.clients} concurrent clients, gunicorn -w {args.workers}; "
          f"real app from {args.root}", flush=True)
    bare = measure("bare Flask (session check + 2 INSERTs)", ROOT, url, args, bare=True)
    real = measure("real cast", args.root, url, args, bare=False)
    print(f"ratio real/bare: {100 * real[0] / bare[0]:.0f} % of the throughput; "
          f"p99 {real[2]:.1f} ms vs {bare[2]:.1f} ms (target >= 50 %, p99 <= 100 ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
