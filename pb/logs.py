"""Logs: one JSON object per line in production, each with the request id (``X-Request-ID``).

The id comes from the proxy's ``X-Request-ID`` header when it is well-formed, else a new one;
it is sent back in the response header and appears on every log line written while the request
runs, so one request can be followed across the proxy, the app hosts and the logs. The request
line has the path without its query string: letter codes travel in QR links' query strings.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
import time
import uuid
from typing import Any

from flask import Flask, g, has_request_context, request

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,128}")
_HANDLER_NAME = "pb-stream"
_STANDARD = set(vars(logging.makeLogRecord({})))


def current_request_id() -> str | None:
    """The id of the request being handled, if any."""
    return g.get("request_id") if has_request_context() else None


class RequestIdFilter(logging.Filter):
    """Add ``request_id`` to every record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Annotate the record; never drop it."""
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object: time, level, logger, message, request_id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the JSON line."""
        data: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in data and not key.startswith("_"):
                data[key] = value
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str, ensure_ascii=False)


def configure(json_lines: bool, level: str) -> None:
    """Send the ``pb`` loggers to stderr (once per process), as JSON or as plain text."""
    logger = logging.getLogger("pb")
    logger.setLevel(level)
    handler = next((h for h in logger.handlers if h.get_name() == _HANDLER_NAME), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler.set_name(_HANDLER_NAME)
        handler.addFilter(RequestIdFilter())
        logger.addHandler(handler)
    handler.setFormatter(JsonFormatter() if json_lines else
                         logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))


def init_app(app: Flask) -> None:
    """Give each request an id, return it in ``X-Request-ID`` and log one line per request."""
    if not app.config.get("TESTING"):
        configure(bool(app.config["LOG_JSON"]), app.config["LOG_LEVEL"])
    request_log = logging.getLogger("pb.request")

    @app.before_request
    def _start() -> None:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response: Any) -> Any:
        rid = g.get("request_id")
        if rid:
            response.headers["X-Request-ID"] = rid
            elapsed = (time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000
            request_log.info("%s %s %s", request.method, request.path, response.status_code,
                             extra={"method": request.method, "path": request.path,
                                    "status": response.status_code, "duration_ms": round(elapsed, 1)})
        return response
