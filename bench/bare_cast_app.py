"""The bare-Flask baseline for ``bench/cast_bench.py``: the minimum a cast needs.

One POST does a session check (the signed Flask session cookie, then the account's session token
from the database) and, in one transaction, one INSERT of a ballot and one of a participation.
No forms, no CSRF, no templates, no validation, no secrecy: it is the yardstick, not an app.

    gunicorn -w 4 bench.bare_cast_app:app   (PB_SECRET_KEY, PB_DATABASE_URL, BENCH_ROUND_ID)
"""

from __future__ import annotations

import os
import secrets

from flask import Flask, abort, session
from sqlalchemy import create_engine, text

app = Flask(__name__)
app.secret_key = os.environ["PB_SECRET_KEY"]
_url = os.environ["PB_DATABASE_URL"]
if _url.startswith(("postgresql://", "postgres://")):
    _url = "postgresql+psycopg://" + _url.split("://", 1)[1]
engine = create_engine(_url, pool_size=5, max_overflow=10)
ROUND_ID = int(os.environ["BENCH_ROUND_ID"])


@app.post("/cast")
def cast() -> tuple[str, int]:
    """Session check, then ballot + participation in one transaction."""
    uid, _, token = str(session.get("_user_id", "")).partition(".")
    if not uid.isdigit():
        abort(401)
    with engine.begin() as conn:
        stored = conn.execute(text("SELECT session_token FROM users WHERE id = :id"), {"id": int(uid)}).scalar()
        if stored != token:
            abort(401)
        conn.execute(text("INSERT INTO ballots (id, round_id, channel, receipt_code) VALUES (:id, :r, 'online', :c)"),
                     {"id": secrets.randbits(62), "r": ROUND_ID, "c": secrets.token_hex(6)})
        conn.execute(text("INSERT INTO participations (round_id, voter_id, channel, cast_at, revotes) "
                          "VALUES (:r, :v, 'online', now(), 0)"), {"r": ROUND_ID, "v": int(uid)})
    return "stored", 200
