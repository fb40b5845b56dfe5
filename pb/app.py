"""The application factory: config -> extensions -> blueprints -> errors -> CLI. No I/O."""

from __future__ import annotations

from typing import Any

from flask import Flask, request, session
from flask_login import AnonymousUserMixin
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from pb import config, db, errors_web, templating
from pb.extensions import babel, csrf, limiter, login_manager
from pb.models.user import User
from pb.services import mail

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def build_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure the Flask application."""
    app = Flask(
        "pb",
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    config.load_config(app, test_config)
    if app.config.get("PROXY_FIX"):
        hops = int(app.config["PROXY_FIX"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    db.init_app(app)
    mail.init_app(app)
    _init_extensions(app)
    templating.init_app(app)
    _register_blueprints(app)
    errors_web.init_app(app)
    app.after_request(_security_headers)

    from pb.cli import register_cli

    register_cli(app)
    return app


def select_locale() -> str:
    """The language chosen with the language switch, else Dutch (also outside requests: CLI)."""
    from flask import current_app, has_request_context

    lang = session.get("lang") if has_request_context() else None
    return lang if lang in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


def _init_extensions(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # the login page itself explains
    login_manager.session_protection = "strong"
    login_manager.anonymous_user = AnonymousUserMixin
    login_manager.user_loader(_load_user)
    login_manager.unauthorized_handler(_unauthorized)


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
    """Send visitors to the login page (the API answers 401 JSON instead)."""
    from flask import jsonify, redirect, url_for

    if request.path.startswith("/api/"):
        return jsonify(error="login required", status=401), 401
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
        auth,
        feeds,
        implementations,
        infopunt,
        manage,
        manage_rounds,
        mine,
        public,
        residency,
        results,
        rounds,
        voting,
    )
    from pb.views.presenters import template_labels

    app.url_map.converters["int"] = _IdConverter  # before any rule is added
    for module in (public, auth, manage, admin, rounds, manage_rounds, voting, residency, infopunt,
                   address_register, results, mine, implementations, feeds):
        app.register_blueprint(module.bp)
    app.context_processor(template_labels)


def _security_headers(response: Any) -> Any:
    """Add the security headers every response carries."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.endpoint != "static" and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response
