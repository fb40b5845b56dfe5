"""The mail outbox: messages written in the request's transaction, sent later by the worker.

A request never talks to the mail server, so an SMTP outage cannot turn a committed change into
an error page, and the reply time does not say whether a message was sent. After sending, the
message text (which may hold a password-reset link) is removed; the row keeps only the metadata.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pb.db import Base, utcnow


class OutboxMessage(Base):
    """One outgoing e-mail and its delivery attempts."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    message_id: Mapped[str] = mapped_column(String(200), unique=True)  # the Message-ID header
    message: Mapped[bytes | None] = mapped_column(LargeBinary)  # RFC 5322 bytes; None once sent
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None] = mapped_column(index=True)
