"""Run the same database work from several threads at once, each with its own session."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session


def run_at_once(app: Flask, n: int, work: Callable[[Session], Any]) -> list[BaseException]:
    """Start ``n`` threads that wait for each other, then each call ``work`` with its own session
    and commit; return what they raised (the caller decides which errors are acceptable)."""
    from pb.db import db_session

    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with app.app_context():
                session = db_session()
                barrier.wait()
                work(session)
                session.commit()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
