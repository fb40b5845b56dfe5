"""Time the address register at city scale: import, letter codes, and the pages people use.

Usage: python bench/register_bench.py --database-url URL [--addresses N] [--area-size M] [--letters N]

With --database-url the PostgreSQL database's public schema is DROPPED and recreated (give it a
scratch database); without it a temporary SQLite file is used. Steps:

1. write a register of N addresses (default 1,000,000) in the BAG format to a temporary CSV,
   deterministically, spread over areas of M addresses (default 100,000);
2. ``import``: a fresh process imports the file (streamed, all or nothing) and reports its wall
   time and peak RSS (targets: under 60 s and 400 MB on PostgreSQL for 1,000,000 addresses);
3. ``re-import``: the same file again changes nothing;
4. ``letter codes``: a fresh process makes codes for the first area (M addresses) with the
   mailing-house CSV (targets: under 60 s, bounded memory), and then printable letters with
   QR codes for the first --letters addresses (default 2,000; they cost far more per address);
5. ``requests``: the pages a user opens at this size (register admin, letter-code page,
   information-point search, a verification attempt), each timed (target: under 1 s).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pb import create_app, migrate  # noqa: E402
from pb.db import db_session, make_engine  # noqa: E402

ADDRESSES_PER_POSTCODE = 40
PASSWORD = "bench-password-1234"


def write_register(path: Path, addresses: int, area_size: int) -> None:
    """A deterministic BAG-format register: 40 addresses per postcode, some with letter or addition."""
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter=";")
        writer.writerow(["openbare_ruimte", "huisnummer", "huisletter", "huisnummertoevoeging", "postcode",
                         "woonplaats", "gebied", "aantal_stemgerechtigden", "geboortejaar"])
        for i in range(addresses):
            block, number = divmod(i, ADDRESSES_PER_POSTCODE)
            postcode = f"{1000 + block // 676}{chr(65 + block // 26 % 26)}{chr(65 + block % 26)}"
            letter = "A" if i % 7 == 3 else ""
            addition = "2" if i % 11 == 5 else ""
            writer.writerow([f"Benchstraat {block % 997}", number + 1, letter, addition, postcode, "Benchstad",
                             f"wijk-{i // area_size}", i % 3 + 1, 1950 + i % 60 if i % 5 == 0 else ""])


def _app(url: str):  # type: ignore[no-untyped-def]
    return create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True, "RATELIMIT_ENABLED": False,
                       "WTF_CSRF_ENABLED": False, "PUBLIC_BASE_URL": "https://buurtbudget.example"})


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _backend_cpu(session) -> float:  # type: ignore[no-untyped-def]
    """CPU seconds the session's PostgreSQL backend has used (0 when it cannot be read)."""
    if session.get_bind().dialect.name != "postgresql":
        return 0.0
    pid = session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child_import(url: str, csv_path: str) -> dict[str, float]:
    """In a fresh process: import the file; return seconds, peak RSS and counts."""
    from pb.services import register_import

    app = _app(url)
    with app.app_context():
        session = db_session()
        db_cpu = _backend_cpu(session)
        start, cpu = time.perf_counter(), time.process_time()
        with open(csv_path, "rb") as source:
            result = register_import.import_addresses(session, source, actor=None)
        db_cpu = _backend_cpu(session) - db_cpu
        session.commit()
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"seconds": seconds, "cpu": cpu, "db_cpu": db_cpu, "peak_rss_mb": _peak_rss_mb(), "created": result.created,
            "updated": result.updated, "unchanged": result.unchanged}


def child_codes(url: str, slug: str, out_dir: str, letters: int) -> dict[str, float]:
    """In a fresh process: codes + mailing CSV for the area, then printable letters for a few."""
    import datetime as dt

    from sqlalchemy import func, select

    from pb.models.register import RegisterEntry
    from pb.services import areas, letter_codes

    app = _app(url)
    valid_until = dt.date.today() + dt.timedelta(days=60)
    with app.test_request_context():
        session = db_session()
        area = areas.get_by_slug(session, slug)
        db_cpu = _backend_cpu(session)
        start, cpu = time.perf_counter(), time.process_time()
        with open(os.path.join(out_dir, "drukkerij.csv"), "w", encoding="utf-8", newline="") as out:
            batch = letter_codes.generate_codes(session, area, actor=None, valid_until=valid_until,
                                                sink=letter_codes.MailingCsv(out))
        db_cpu = _backend_cpu(session) - db_cpu
        session.commit()
        codes_seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        codes_rss = _peak_rss_mb()
        # Letters with QR codes for a smaller area: the same streaming path, timed per letter.
        small = areas.get_by_slug(session, "brieven")
        session.execute(RegisterEntry.__table__.update().where(
            RegisterEntry.id.in_(select(RegisterEntry.id).where(RegisterEntry.area_id == area.id)
                                 .order_by(RegisterEntry.id).limit(letters))).values(area_id=small.id))
        session.commit()
        count = session.scalar(select(func.count()).select_from(RegisterEntry).where(RegisterEntry.area_id == small.id))
        start = time.perf_counter()
        with open(os.path.join(out_dir, "brieven.zip"), "wb") as out:
            zipped = letter_codes.LettersZip(out, small, valid_until)
            letter_batch = letter_codes.generate_codes(session, small, actor=None, valid_until=valid_until,
                                                       sink=zipped)
            zipped.close()
        session.commit()
        letters_seconds = time.perf_counter() - start
    return {"seconds": codes_seconds, "cpu": cpu, "db_cpu": db_cpu, "codes": batch.code_count, "addresses": batch.address_count,
            "peak_rss_mb": codes_rss, "letters_addresses": count or 0, "letters_codes": letter_batch.code_count,
            "letters_seconds": letters_seconds, "peak_rss_after_letters_mb": _peak_rss_mb()}


def _run_child(*args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _reset(url: str) -> None:
    """Empty a PostgreSQL database (drop and recreate its public schema)."""
    from sqlalchemy import text

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _setup(url: str, areas_needed: int) -> None:
    from pb.models.user import Role
    from pb.services import accounts, areas

    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    app = _app(url)
    with app.test_request_context():
        session = db_session()
        manager = accounts.create_user(session, actor=None, email="manager@bench.test", name="Manager",
                                       password=PASSWORD, role=Role.MANAGER)
        accounts.create_user(session, actor=None, email="admin@bench.test", name="Admin", password=PASSWORD,
                             role=Role.ADMIN)
        accounts.create_user(session, actor=None, email="staff@bench.test", name="Staff", password=PASSWORD,
                             role=Role.STAFF)
        accounts.create_user(session, actor=None, email="resident@bench.test", name="Resident",
                             password=PASSWORD, role=Role.RESIDENT)
        for n in range(areas_needed):
            areas.create_area(session, actor=None, data=areas.AreaData(
                name=f"Wijk {n}", slug=f"wijk-{n}", description="", postcodes=[],
                manager_ids=[manager.id] if n == 0 else []))
        areas.create_area(session, actor=None, data=areas.AreaData(
            name="Brieven", slug="brieven", description="", postcodes=[], manager_ids=[manager.id]))
        session.commit()


def _time_requests(url: str) -> list[tuple[str, float, int]]:
    """Open the pages people use at this size; return (page, seconds, status)."""
    app = _app(url)
    timings = []
    for who, pages in (
        ("admin@bench.test", [("GET", "/admin/register", None)]),
        ("manager@bench.test", [("GET", "/manage/areas/wijk-0/letter-codes", None)]),
        ("staff@bench.test", [("GET", "/infopunt/?postcode=1000AB&huisnummer=12", None)]),
        ("resident@bench.test", [("GET", "/verify", None), ("POST", "/verify", {
            "postcode": "1000 AB", "huisnummer": "12", "toevoeging": "", "code": "ABCD-EFGH-JKMN-PQRS"})]),
    ):
        client = app.test_client()
        client.post("/login", data={"login": who, "password": PASSWORD})
        for method, path, data in pages:
            start = time.perf_counter()
            response = client.open(path, method=method, data=data)
            timings.append((f"{method} {path.split('?')[0]} ({who.split('@')[0]})", time.perf_counter() - start,
                            response.status_code))
    return timings


def main() -> int:
    """Run the benchmark; return the exit code."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--addresses", type=int, default=1_000_000)
    parser.add_argument("--area-size", type=int, default=100_000)
    parser.add_argument("--letters", type=int, default=2_000)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        result = child_import(rest[0], rest[1]) if kind == "import" else child_codes(rest[0], rest[1], rest[2],
                                                                                      int(rest[3]))
        print(json.dumps(result))
        return 0
    tmp = tempfile.TemporaryDirectory()
    url = args.database_url or f"sqlite:///{tmp.name}/bench.sqlite"
    if args.database_url:
        _reset(url)
    areas_needed = -(-args.addresses // args.area_size)
    _setup(url, areas_needed)
    csv_path = Path(tmp.name) / "register.csv"
    start = time.perf_counter()
    write_register(csv_path, args.addresses, args.area_size)
    print(f"wrote {args.addresses:,} addresses ({csv_path.stat().st_size / 2**20:.0f} MiB) in "
          f"{time.perf_counter() - start:.1f} s")
    where = url.split(":")[0]
    print(f"load average before the import: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    first = _run_child("--child", "import", url, str(csv_path))
    ok = first["seconds"] < 60 and first["peak_rss_mb"] < 400
    print(f"import     {first['seconds']:6.1f} s  (CPU: this process {first['cpu']:.1f} s, its database backend {first['db_cpu']:.1f} s)  peak RSS {first['peak_rss_mb']:5.0f} MB  "
          f"({first['created']:,} new)  {'within' if ok else 'OVER'} the 60 s / 400 MB target on {where}")
    again = _run_child("--child", "import", url, str(csv_path))
    print(f"re-import  {again['seconds']:6.1f} s  (CPU {again['cpu']:.1f} s + database {again['db_cpu']:.1f} s)  peak RSS {again['peak_rss_mb']:5.0f} MB  "
          f"({again['created']:,} new, {again['unchanged']:,} unchanged)")
    codes = _run_child("--child", "codes", url, "wijk-0", tmp.name, str(args.letters))
    ok = codes["seconds"] < 60
    print(f"codes      {codes['seconds']:6.1f} s  (CPU {codes['cpu']:.1f} s + database {codes['db_cpu']:.1f} s)  peak RSS {codes['peak_rss_mb']:5.0f} MB  "
          f"({codes['codes']:,} codes for {codes['addresses']:,} addresses + mailing CSV)  "
          f"{'within' if ok else 'OVER'} the 60 s target on {where}")
    per_letter = codes["letters_seconds"] / max(codes["letters_codes"], 1) * 1000
    print(f"letters    {codes['letters_seconds']:6.1f} s  peak RSS {codes['peak_rss_after_letters_mb']:5.0f} MB  "
          f"({codes['letters_codes']:,} printable letters with QR in a ZIP: {per_letter:.1f} ms per letter)")
    slowest = 0.0
    for label, seconds, status in _time_requests(url):
        slowest = max(slowest, seconds)
        print(f"request    {seconds * 1000:6.0f} ms  {status}  {label}")
    print(f"slowest request {slowest * 1000:.0f} ms ({'under' if slowest < 1 else 'OVER'} 1 s); "
          f"load {os.getloadavg()[0]:.1f}")
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
