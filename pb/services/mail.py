"""Outgoing mail through a database outbox.

:func:`queue` writes the message (with its ``Date`` and ``Message-ID``) as a row in the caller's
transaction; a rollback drops it. After the commit the worker (:mod:`pb.worker`) sends it with
the configured backend, retrying with back-off while the mail server is down. A request never
waits for the mail server: an SMTP outage changes neither its answer nor its reply time.

Backends: ``outbox`` (development and tests: print to the console and write an ``.eml`` file to
``OUTBOX_DIR``) and ``smtp`` (production).
"""

from __future__ import annotations

import datetime as dt
import smtplib
import sys
import time
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from pb.db import utcnow
from pb.models.outbox import OutboxMessage
from pb.models.user import User

_PENDING = "pb_outbox_pending"


class DeliveryFailed(RuntimeError):
    """The mail server did not take the message; the worker tries again later."""


def public_url(path: str) -> str:
    """The address of ``path`` on the public site, for links in mails."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def queue_news(session: Session, recipient: User | None, *, subject: str, about: str, message: str,
               link_line: str) -> None:
    """Queue a short update for a resident: greeting, what it is about, the news, a link, the signature.

    Residents without an e-mail address (made at the information point) hear it there instead.

    Args:
        session: the request's session.
        recipient: the resident (None or without e-mail: nothing is sent).
        subject: the subject line.
        about: the sentence that names the thing ("Er is nieuws over uw plan '...'.").
        message: the news itself.
        link_line: the sentence with the link to the page (see :func:`public_url`).
    """
    from flask_babel import gettext as _

    if recipient is None or not recipient.email:
        return
    body = "\n\n".join([
        _("Beste %(name)s,", name=recipient.name),
        about,
        message,
        link_line,
        _("Met vriendelijke groet,\nBuurtbudget %(m)s", m=current_app.config["MUNICIPALITY_NAME"]),
    ])
    queue(session, to=recipient.email, subject=subject, body=body)


def queue(session: Session, *, to: str, subject: str, body: str,
          headers: Mapping[str, str] | None = None) -> None:
    """Queue a plain-text message in ``session``'s transaction; it is sent after the commit.

    Args:
        session: the request's session (flushed, not committed).
        to: the recipient's address.
        subject: the subject line.
        body: the plain-text body.
        headers: extra headers, e.g. ``{"List-Unsubscribe": "<https://...>"}``.
    """
    sender = current_app.config["MAIL_SENDER"]
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(utcnow())
    domain = parseaddr(sender)[1].rpartition("@")[2] or "buurtbudget.invalid"
    msg["Message-ID"] = make_msgid(domain=domain)
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    row = OutboxMessage(recipient=to, message_id=msg["Message-ID"], message=msg.as_bytes(), attempts=0)
    session.add(row)
    session.flush()
    session.info.setdefault(_PENDING, []).append(row.id)


def pop_pending(session: Session) -> list[int]:
    """The ids of the messages queued in the transaction that just committed."""
    ids: list[int] = session.info.pop(_PENDING, [])
    return ids


def drop_pending(session: Session) -> None:
    """Forget the messages of a transaction that was rolled back."""
    session.info.pop(_PENDING, None)


def unsent(session: Session, *, older_than: dt.timedelta = dt.timedelta(minutes=5)) -> list[int]:
    """Messages never tried that are older than ``older_than`` (their dispatch was lost)."""
    limit = utcnow() - older_than
    return list(session.scalars(select(OutboxMessage.id).where(
        OutboxMessage.sent_at.is_(None), OutboxMessage.attempts == 0, OutboxMessage.created_at < limit
    ).limit(500)))


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
