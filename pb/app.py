"""The application factory: config -> extensions -> blueprints -> errors -> CLI. No I/O."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import AnonymousUserMixin
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from pb import config, db, errors_web, logs, templating, worker
from pb.extensions import babel, cors, csrf, limiter, login_manager
from pb.models.user import User


# Published, public data that scripts on other sites may read (CORS).
OPEN_DATA_CORS: list[str | re.Pattern[str]] = [re.compile(pattern) for pattern in (
    r"^/api/v1/", r"^/open-data/", r"^/rounds/\d+/(ballots\.pb|results\.json|results\.csv)$",
    r"^/rounds/\d+/results/v\d+/")]


def build_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure the Flask application."""
    # In the repository templates/ and static/ sit beside pb/; an installed wheel has them inside.
    shipped = (Path(__file__).parent / "templates").is_dir()
    app = Flask(
        "pb",
        instance_relative_config=True,
        template_folder="templates" if shipped else "../templates",
        static_folder="static" if shipped else "../static",
    )
    config.load_config(app, test_config)
    app.session_interface = _SessionInterface()
    if app.config.get("PROXY_FIX"):
        hops = int(app.config["PROXY_FIX"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    db.init_app(app)
    worker.init_app(app)
    logs.init_app(app)
    _init_extensions(app)
    templating.init_app(app)
    _register_blueprints(app)
    errors_web.init_app(app)
    app.before_request(_api_without_cookies)
    app.after_request(_security_headers)

    from pb.cli import register_cli

    register_cli(app)
    return app


def select_locale() -> str:
    """The language chosen with the language switch, else Dutch (also outside requests: CLI)."""
    from flask import current_app, has_request_context

    lang = session.get("lang") if has_request_context() and not g.get("pb_cookie_free") else None
    chosen = lang if lang in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]
    return str(chosen)


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, except that cookie-free responses (API, widgets) never
    set or clear a cookie: they are cached publicly and shown inside other websites."""

    def save_session(self, app: Flask, session: Any, response: Any) -> None:
        """Save as Flask does, unless the request was marked cookie-free."""
        if g.get("pb_cookie_free"):
            return
        super().save_session(app, session, response)


def mark_cookie_free() -> None:
    """Serve this request without cookies: no login lookup, no session read or written."""
    g.pb_cookie_free = True
    g._login_user = login_manager.anonymous_user()  # Flask-Login then loads no user from the cookie


def _api_without_cookies() -> None:
    """Everything under /api/ (also its 404s) is served without cookies."""
    if request.path.startswith("/api/"):
        mark_cookie_free()


LARGE_UPLOAD_ENDPOINTS = frozenset({"address_register.upload"})


def _upload_limit() -> None:
    """Allow the register upload more than ``MAX_CONTENT_LENGTH``: a city's address file is larger.

    Registered before CSRF protection, which reads the form (and so applies the limit) first.
    """
    if request.endpoint in LARGE_UPLOAD_ENDPOINTS:
        request.max_content_length = int(current_app.config["REGISTER_MAX_CONTENT_LENGTH"])


def _init_extensions(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.before_request(_upload_limit)
    csrf.init_app(app)
    # Open data may be read from any website's scripts: GET only, never with credentials.
    cors.init_app(app, resources=OPEN_DATA_CORS, origins="*", send_wildcard=True, supports_credentials=False,
                  methods=["GET", "HEAD", "OPTIONS"], allow_headers=["If-None-Match", "Accept"],
                  expose_headers=["API-Version", "ETag", "Link", "Retry-After", "RateLimit-Limit",
                                  "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy"],
                  max_age=86400, vary_header=False)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # the login page itself explains
    login_manager.session_protection = "strong"
    login_manager.anonymous_user = AnonymousUserMixin
    login_manager.user_loader(_load_user)
    # Flask-Login's own identifier trusts the first X-Forwarded-For entry, which any client can
    # set; ours uses only the address the configured proxy count (PROXY_FIX) derived.
    login_manager._session_identifier_generator = session_identifier
    login_manager.unauthorized_handler(_unauthorized)


def session_identifier() -> str:
    """What "strong" session protection binds a login to: the client address as derived by the
    configured proxies (``request.remote_addr`` after ProxyFix), and the user agent."""
    import hashlib

    base = f"{request.remote_addr or ''}|{request.headers.get('User-Agent', '')}"
    return hashlib.sha512(base.encode("utf-8", "replace")).hexdigest()


def _load_user(user_id: str) -> User | None:
    """Load the account from the login cookie; a rotated session token logs it out."""
    uid, _, token = user_id.partition(".")
    if not uid.isdigit() or not token:
        return None
    user = db.db_session().get(User, int(uid))
    if user is None or user.session_token != token or not user.is_active:
        return None
    return user


def _unauthorized() -> Any:
    """Send visitors to the login page (the API answers 401 ``application/problem+json`` instead)."""
    from flask import redirect, url_for
    from flask_babel import gettext as _

    from pb.errors_web import problem

    if request.path.startswith("/api/"):
        return problem(401, _("Log eerst in."))
    return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))


class _IdConverter(IntegerConverter):
    """``<int:...>`` in our URLs is always a database id: it matches 1 to ``MAX_ID`` only.

    A larger number is an ordinary 404 instead of an integer overflow (a 500) in PostgreSQL.
    """

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", db.MAX_ID)
        super().__init__(map, *args, **kwargs)


def _register_blueprints(app: Flask) -> None:
    from pb.views import (
        address_register,
        admin,
        admin_face,
        admin_grants,
        assisted,
        auth,
        feeds,
        grants,
        grants_staff,
        health,
        implementations,
        infopunt,
        jobs,
        manage,
        manage_grants,
        manage_rounds,
        mine,
        municipality,
        open_data,
        printouts,
        public,
        residency,
        results,
        rounds,
        voting,
        widgets,
    )
    from pb.views.api import resources as api
    from pb.views.presenters import template_labels
    from pb.views.presenters_grants import grant_template_labels
    from pb.views.presenters_map import map_labels

    app.url_map.converters["int"] = _IdConverter  # before any rule is added
    for module in (public, auth, manage, admin, rounds, manage_rounds, voting, residency, infopunt,
                   address_register, results, open_data, widgets, api, grants, manage_grants, grants_staff,
                   admin_grants, jobs, health, mine, implementations, feeds, municipality, admin_face, assisted,
                   printouts):
        app.register_blueprint(module.bp)
    municipality.init_app(app)
    app.context_processor(template_labels)
    app.context_processor(grant_template_labels)
    app.context_processor(map_labels)
    csrf.exempt(api.bp)  # read-only: GET, HEAD and OPTIONS only


def _security_headers(response: Any) -> Any:
    """Add the security headers every response carries."""
    response.headers.setdefault("Content-Security-Policy", current_app.config["CONTENT_SECURITY_POLICY"])
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    if "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]:
        # Widgets set their own frame-ancestors (the allow-list), which X-Frame-Options cannot express.
        response.headers["X-Frame-Options"] = "DENY"
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.endpoint != "static" and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response
