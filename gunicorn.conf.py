"""gunicorn settings for Buurtbudget: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Every value can be overridden with an environment variable (``GUNICORN_*`` below) or on the
command line. Heavy work runs in the worker (``flask --app wsgi pb worker``), so requests are
short: the timeout is a safety net, not a budget.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
keepalive = 5
# Restart workers now and then (with jitter) so a slow leak cannot grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 2000))
max_requests_jitter = 200
# Build the app in each worker (no database connections shared across a fork).
preload_app = False
# The app logs one JSON line per request with its request id and without the query string
# (letter codes travel in QR links); gunicorn's own access log would log query strings.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# Behind the reverse proxy: X-Forwarded-* are read by the app itself (PB_PROXY_FIX).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# A request line or header this large is an attack, not a form.
limit_request_line = 8190
limit_request_fields = 100
