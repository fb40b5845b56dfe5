"""Outgoing mail. Messages queued on a session are delivered only after that session commits.

Backends: ``outbox`` (development and tests: print to the console and write an ``.eml`` file to
``OUTBOX_DIR``) and ``smtp`` (production).
"""

from __future__ import annotations

import smtplib
import sys
import time
from email.message import EmailMessage
from pathlib import Path
from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

_PENDING = "pb_outbox"


def queue(session: Session, *, to: str, subject: str, body: str, headers: Mapping[str, str] | None = None) -> None:
    """Queue a plain-text message; it goes out when ``session`` commits, never on rollback.

    ``headers`` adds extra header lines (``List-Unsubscribe`` and ``List-Unsubscribe-Post``).
    """
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_SENDER"]
    msg["To"] = to
    msg["Subject"] = subject
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    session.info.setdefault(_PENDING, []).append(msg)


def init_app(app: Flask) -> None:
    """Deliver queued mail after commit (and drop it on rollback) for the app's sessions."""
    factory = app.extensions["pb_db"]
    event.listen(factory, "after_commit", _deliver_pending)
    event.listen(factory, "after_soft_rollback", _drop_pending)


def _deliver_pending(session: Session) -> None:
    for msg in session.info.pop(_PENDING, []):
        deliver(msg)


def _drop_pending(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:  # not a savepoint: the whole transaction is gone
        session.info.pop(_PENDING, None)


def deliver(msg: EmailMessage) -> None:
    """Send one message with the configured backend."""
    cfg = current_app.config
    if cfg["MAIL_BACKEND"] == "smtp":
        with smtplib.SMTP(cfg["MAIL_SMTP_HOST"], cfg["MAIL_SMTP_PORT"], timeout=30) as smtp:
            if cfg["MAIL_SMTP_STARTTLS"]:
                smtp.starttls()
            if cfg["MAIL_SMTP_USER"]:
                smtp.login(cfg["MAIL_SMTP_USER"], cfg["MAIL_SMTP_PASSWORD"])
            smtp.send_message(msg)
        return
    outbox = Path(cfg["OUTBOX_DIR"])
    outbox.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns()}-{abs(hash(msg['To'])) % 10**6:06d}.eml"
    (outbox / name).write_bytes(msg.as_bytes())
    if not cfg.get("TESTING"):
        print(f"--- mail to {msg['To']} ({outbox / name}) ---\n{msg}", file=sys.stderr)
