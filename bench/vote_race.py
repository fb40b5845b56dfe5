"""Race benchmark for casting votes over HTTP against gunicorn with several worker processes.

    python bench/vote_race.py --database-url URL --voters N --duplicates D [--allow-revote]

1. Recreates the schema of the database at URL (everything in it is DROPPED) with
   ``pb.migrate.upgrade``, then adds an area, a round in its voting phase with a few feasible
   projects, and N verified voters.
2. Starts ``gunicorn -w W wsgi:app`` on a free 127.0.0.1 port with PB_SECRET_KEY,
   PB_DATABASE_URL and PB_RATELIMIT_ENABLED=false.
3. Logs every voter in through the login form (CSRF token from the page), fetches the ballot page
   for its CSRF token, then fires N casts plus D duplicate casts from already-voting voters, all
   shuffled together and sent concurrently from T threads (so duplicates race their originals).
   With --allow-revote the round allows one re-vote and the duplicates are re-votes.
4. Runs the mix as cron would (batches of at least 100), closes the round and seals it (the final
   mix drops replaced ballots), then counts rows and prints throughput, latency percentiles and,
   as the last line, ``ballots=<n> participations=<n> lost=<n> duplicated=<n> errors_5xx=<n>
   xmin_links=<during voting>/<after sealing> chance~<n>``.

``lost``: voters told their vote was stored (the receipt page) without a participation, plus
participations without a counted ballot. ``duplicated``: counted ballots beyond one per
participation, plus voters with more than one participation. Both must be 0. ``xmin_links``
(PostgreSQL only): how many ballots a read-only SQL user links to their voter by joining
participations to ballots on ``xmin`` (within 2), checked against the receipts the voters got;
chance level is about one per mix batch.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "race-voter-password"
SECRET_KEY = secrets.token_hex(32)  # the server's, and the mix's (the ballot key derives from it)
RECEIPT_RE = re.compile(r'id="receipt-code">([A-Z0-9-]+)<')
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="database to WIPE and use")
    parser.add_argument("--voters", type=int, default=200)
    parser.add_argument("--duplicates", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes (>= 2)")
    parser.add_argument("--threads", type=int, default=32, help="concurrent client threads")
    parser.add_argument("--allow-revote", action="store_true", help="round allows one re-vote")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    if args.workers < 2:
        parser.error("--workers must be at least 2")
    return args


# --- Database set-up ------------------------------------------------------------------------

def fresh_schema(url: str) -> None:
    """Drop everything in the database and migrate it to head."""
    from sqlalchemy import text

    from pb import migrate
    from pb.db import make_engine

    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(engine)
    engine.dispose()


def seed(url: str, voters: int, allow_revote: bool) -> tuple[int, list[int], list[str]]:
    """Create the area, a round in voting with 5 projects, and the voters; return ids/logins."""
    import datetime as dt

    from sqlalchemy.orm import Session
    from werkzeug.security import generate_password_hash

    from pb.db import make_engine, utcnow
    from pb.models import Area, BallotType, BudgetRound, Proposal, ProposalStatus, Residency, User
    from pb.models.residency import VerificationMethod

    engine = make_engine(url)
    now = utcnow()
    day = dt.timedelta(days=1)
    password_hash = generate_password_hash(PASSWORD)  # one hash for all: set-up speed
    with Session(engine) as session:
        area = Area(name="Racebuurt", slug="racebuurt", description="")
        session.add(area)
        session.flush()
        round_ = BudgetRound(
            area_id=area.id, title="Racestemming", description="", budget_cents=10_000_000,
            proposals_open_at=now - 40 * day, proposals_close_at=now - 30 * day,
            support_close_at=now - 20 * day, review_close_at=now - 10 * day,
            voting_open_at=now - day, voting_close_at=now + day,
            ballot_type=BallotType.KNAPSACK, allow_revote=allow_revote,
        )
        session.add(round_)
        session.flush()
        proposals = [Proposal(round_id=round_.id, title=f"Project {i}", summary="", status=ProposalStatus.FEASIBLE,
                              estimated_cost_cents=2_000_000 + 500_000 * i) for i in range(5)]
        session.add_all(proposals)
        users = [User(email=f"voter{i}@race.test", name=f"Voter {i}", password_hash=password_hash,
                      email_confirmed_at=now) for i in range(voters)]
        session.add_all(users)
        session.flush()
        session.add_all(Residency(user_id=u.id, area_id=area.id, method=VerificationMethod.IN_PERSON,
                                  verified_at=now) for u in users)
        session.commit()
        result = round_.id, [p.id for p in proposals], [u.email for u in users if u.email]
    engine.dispose()
    return result


def _bench_app(url: str):  # noqa: ANN202 - a Flask app for the service calls below
    from pb import create_app

    return create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "TESTING": False, "ENV": "development"})


def mix_as_cron(url: str, round_id: int) -> int:
    """What ``pb mix-ballots`` does during voting: mix when at least 100 ballots wait."""
    from pb.db import db_session
    from pb.models import BudgetRound
    from pb.services import ballot_mixing

    app = _bench_app(url)
    with app.app_context():
        session = db_session()
        moved = ballot_mixing.mix_round(session, session.get(BudgetRound, round_id), minimum=100)
        session.commit()
    return moved


def close_and_seal(url: str, round_id: int) -> None:
    """End voting now and seal the round (final mix); VACUUM on PostgreSQL."""
    import datetime as dt

    from sqlalchemy import text

    from pb.db import db_session, engine, utcnow
    from pb.models import BudgetRound
    from pb.services import ballot_mixing

    app = _bench_app(url)
    with app.app_context():
        session = db_session()
        round_ = session.get(BudgetRound, round_id)
        round_.voting_close_at = utcnow() - dt.timedelta(seconds=1)
        session.flush()
        ballot_mixing.seal_round(session, round_)
        session.commit()
        if engine().dialect.name == "postgresql":
            with engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM participations, ballots, ballot_items, sealed_ballots"))


def xmin_links(url: str, round_id: int, receipt_of: dict[str, str]) -> int | None:
    """Ballots a read-only SQL user links to their voter with the xmin join (None on SQLite)."""
    from sqlalchemy import text

    from pb.db import make_engine

    engine = make_engine(url)
    if engine.dialect.name != "postgresql":
        engine.dispose()
        return None
    with engine.connect() as conn:
        parts = conn.execute(text(
            "SELECT u.email, p.xmin::text::bigint FROM participations p JOIN users u ON u.id = p.voter_id "
            "WHERE p.round_id = :r"), {"r": round_id}).all()
        ballots = conn.execute(text("SELECT receipt_code, xmin::text::bigint FROM ballots WHERE round_id = :r"),
                               {"r": round_id}).all()
    engine.dispose()
    linked = 0
    for receipt, bx in ballots:
        near = sorted((abs(px - bx), email) for email, px in parts if abs(px - bx) <= 2)
        if near and receipt_of.get(near[0][1]) == receipt:
            linked += 1
    return linked


def count_rows(url: str, round_id: int) -> dict[str, int]:
    """Rows after the race (after sealing: every counted ballot is in ``ballots``)."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from pb.db import make_engine
    from pb.models import Ballot, BallotItem, Participation, SealedBallot

    engine = make_engine(url)
    with Session(engine) as session:
        ballots = session.scalar(select(func.count()).select_from(Ballot).where(Ballot.round_id == round_id)) or 0
        ballots += session.scalar(select(func.count()).select_from(SealedBallot)) or 0
        items = session.scalar(select(func.count()).select_from(BallotItem)) or 0
        participations = session.scalar(
            select(func.count()).select_from(Participation).where(Participation.round_id == round_id)) or 0
        multi = session.scalar(select(func.count()).select_from(
            select(Participation.voter_id).where(Participation.round_id == round_id)
            .group_by(Participation.voter_id).having(func.count() > 1).subquery())) or 0
        revotes = session.scalar(select(func.coalesce(func.sum(Participation.revotes), 0))
                                 .where(Participation.round_id == round_id)) or 0
    engine.dispose()
    return {"ballots": ballots, "items": items, "participations": participations, "multi": multi,
            "revotes": int(revotes)}


# --- The server -----------------------------------------------------------------------------

def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gunicorn(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    """Start gunicorn in its own process group; wait until it answers."""
    # A local benchmark, not a deployment: development mode allows its one-machine settings.
    env = {**os.environ, "PB_ENV": "development", "PB_SECRET_KEY": SECRET_KEY, "PB_DATABASE_URL": url,
           "PB_RATELIMIT_ENABLED": "false"}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen(
        [str(gunicorn), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--timeout", "120",
         "--log-level", "warning", "wsgi:app"],
        cwd=ROOT, env=env, start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/login")
            if conn.getresponse().status == 200:
                conn.close()
                return proc
        except OSError:
            time.sleep(0.2)
    stop(proc)
    raise SystemExit("gunicorn did not answer within 60 s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the gunicorn we started (its own process group)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# --- The clients ----------------------------------------------------------------------------

@dataclass
class Voter:
    """A logged-in browser: cookies and the CSRF token of its ballot page."""

    email: str
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str = ""


class Client:
    """Minimal HTTP client with manual cookies (the app's cookies are Secure; this is plain http)."""

    def __init__(self, port: int) -> None:
        self.port = port

    def request(self, voter: Voter, method: str, path: str, form: list[tuple[str, str]] | None = None
                ) -> tuple[int, dict[str, str], str]:
        """Send one request; store cookies; return status, headers and body."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in voter.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            text = resp.read().decode("utf-8", "replace")
            for name, value in resp.getheaders():
                if name.lower() == "set-cookie":
                    k, _, rest = value.partition("=")
                    voter.cookies[k.strip()] = rest.split(";", 1)[0]
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, text
        finally:
            conn.close()


def csrf_of(html: str) -> str:
    """The CSRF token in a page."""
    match = CSRF_RE.search(html)
    if not match:
        raise RuntimeError("no csrf_token on the page")
    return match.group(1) or match.group(2)


def prepare(client: Client, voter: Voter, round_id: int) -> None:
    """Log in through the form and load the ballot page (its CSRF token)."""
    status, _h, html = client.request(voter, "GET", "/login")
    assert status == 200, status
    status, headers, _b = client.request(voter, "POST", "/login", [
        ("csrf_token", csrf_of(html)), ("login", voter.email), ("password", PASSWORD), ("next", "")])
    if status != 302:
        raise RuntimeError(f"login of {voter.email} failed: {status}")
    status, _h, html = client.request(voter, "GET", f"/rounds/{round_id}/vote")
    if status != 200:
        raise RuntimeError(f"ballot page for {voter.email}: {status}")
    voter.csrf = csrf_of(html)


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = max(0, min(len(ordered) - 1, int(round(pct / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


def main() -> int:
    """Run the benchmark."""
    args = parse_args()
    rng = random.Random(args.seed)
    url = args.database_url
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    print(f"Fresh schema on {url.split('@')[-1]} ...", flush=True)
    fresh_schema(url)
    round_id, proposal_ids, emails = seed(url, args.voters, args.allow_revote)
    port = free_port()
    print(f"gunicorn -w {args.workers} on 127.0.0.1:{port}; {args.voters} voters, {args.duplicates} "
          f"duplicates, {args.threads} client threads, re-vote {'allowed' if args.allow_revote else 'not allowed'}",
          flush=True)
    proc = start_gunicorn(url, port, args.workers)
    try:
        client = Client(port)
        voters = [Voter(email=e) for e in emails]
        t0 = time.monotonic()
        with ThreadPoolExecutor(args.threads) as pool:
            list(pool.map(lambda v: prepare(client, v, round_id), voters))
        print(f"Logged in {len(voters)} voters in {time.monotonic() - t0:.1f} s", flush=True)

        jobs = [(v, False) for v in voters] + [(rng.choice(voters), True) for _ in range(args.duplicates)]
        rng.shuffle(jobs)
        statuses: list[int] = []
        latencies: list[float] = []
        accepted: dict[str, int] = {}
        receipt_of: dict[str, str] = {}
        lock = threading.Lock()

        def cast(job: tuple[Voter, bool]) -> None:
            voter, _dup = job
            picks = rng.sample(proposal_ids, 2)  # two projects always fit the budget
            form = [("csrf_token", voter.csrf), ("action", "cast")] + [("project", str(p)) for p in picks]
            start = time.perf_counter()
            try:
                status, _headers, body = client.request(voter, "POST", f"/rounds/{round_id}/vote/cast", form)
            except OSError:
                status, _headers, body = 599, {}, ""
            elapsed = time.perf_counter() - start
            with lock:
                statuses.append(status)
                latencies.append(elapsed)
                receipt = RECEIPT_RE.search(body) if status == 200 else None
                if receipt:  # told "stored": the receipt page
                    accepted[voter.email] = accepted.get(voter.email, 0) + 1
                    receipt_of[voter.email] = receipt.group(1)

        t1 = time.monotonic()
        with ThreadPoolExecutor(args.threads) as pool:
            list(pool.map(cast, jobs))
        wall = time.monotonic() - t1
    finally:
        stop(proc)

    mixed = mix_as_cron(url, round_id)
    links_voting = xmin_links(url, round_id, receipt_of)
    close_and_seal(url, round_id)
    links_sealed = xmin_links(url, round_id, receipt_of)
    rows = count_rows(url, round_id)
    by_status: dict[int, int] = {}
    for s in statuses:
        by_status[s] = by_status.get(s, 0) + 1
    errors_5xx = sum(n for s, n in by_status.items() if s >= 500)
    accepted_voters = len(accepted)
    lost = max(0, accepted_voters - rows["participations"]) + max(0, rows["participations"] - rows["ballots"])
    duplicated = max(0, rows["ballots"] - rows["participations"]) + rows["multi"]
    successes = sum(accepted.values())
    print(f"responses: {dict(sorted(by_status.items()))} (200 = stored, receipt shown; 409 = already voted)")
    print(f"mixed during voting (cron, batches >= 100): {mixed}; sealed and VACUUMed after closing")
    print(f"voters told 'stored': {accepted_voters}; re-votes stored: {rows['revotes']}; ballot items: {rows['items']}")
    print(f"throughput: {len(statuses) / wall:.1f} requests/s, {successes / wall:.1f} ballots/s "
          f"({len(statuses)} casts in {wall:.2f} s)")
    print("latency: p50={:.1f} ms p95={:.1f} ms p99={:.1f} ms max={:.1f} ms mean={:.1f} ms".format(
        *(1000 * percentile(latencies, p) for p in (50, 95, 99, 100)), 1000 * statistics.fmean(latencies or [0])))
    links = ("n/a (SQLite)" if links_voting is None else
             f"{links_voting}/{links_sealed} of {rows['ballots']} (during voting/after sealing; chance ~1 per mix batch)")
    print(f"ballots={rows['ballots']} participations={rows['participations']} lost={lost} "
          f"duplicated={duplicated} errors_5xx={errors_5xx} xmin_join_links={links}")
    return 0 if lost == 0 and duplicated == 0 and errors_5xx == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
