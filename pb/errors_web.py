"""Map errors to pages (or JSON for the API) in the house style."""

from __future__ import annotations

import json

from flask import Flask, Response, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

from pb.errors import DomainError

_TITLES = {
    400: _l("Er ging iets mis met uw verzoek"),
    403: _l("U heeft geen toegang tot deze pagina"),
    404: _l("Deze pagina bestaat niet"),
    405: _l("Dit kan zo niet"),
    409: _l("Dit kan nu niet meer"),
    413: _l("Het bestand is te groot"),
    429: _l("Even wachten"),
    500: _l("Er ging iets mis bij ons"),
}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


def _render(status: int, message: str) -> tuple[Response | str, int]:
    if request.path.startswith("/api/"):
        return problem(status, message), status
    if _wants_json():
        return jsonify(error=message, status=status), status
    title = str(_TITLES.get(status, _TITLES[400]))
    return render_template("errors/error.html", status=status, title=title, message=message), status


def problem(status: int, message: str, **extra: object) -> Response:
    """The open-data API's errors: ``application/problem+json`` (RFC 9457)."""
    body = {"type": "about:blank", "title": HTTP_STATUS_CODES.get(status, "Error"), "status": status,
            "detail": message, "instance": request.path, **extra}
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/problem+json")


def _default_message(status: int) -> str:
    messages = {
        400: _("Controleer wat u heeft ingevuld en probeer het opnieuw."),
        403: _("Log in met een account dat deze pagina mag zien."),
        404: _("Controleer het adres of ga terug naar de startpagina."),
        405: _("Gebruik de knoppen op de pagina."),
        409: _("De situatie is veranderd. Ververs de pagina en probeer het opnieuw."),
        413: _("Kies een kleiner bestand (maximaal 10 MB)."),
        429: _("U heeft het te vaak geprobeerd. Wacht een paar minuten en probeer het dan opnieuw."),
        500: _("Probeer het later opnieuw. Lukt het dan nog niet? Neem contact op met de gemeente."),
    }
    return messages.get(status, messages[400])


def init_app(app: Flask) -> None:
    """Register the error handlers."""

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError) -> ResponseReturnValue:
        return _render(exc.status_code, exc.message)

    @app.errorhandler(CSRFError)
    def csrf_error(_exc: CSRFError) -> ResponseReturnValue:
        return _render(400, _("Het formulier was verlopen. Ga terug, ververs de pagina en probeer het opnieuw."))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> ResponseReturnValue:
        status = exc.code or 500
        body, code = _render(status, _default_message(status))
        if request.path.startswith("/api/") and isinstance(body, Response):
            # Keep what the exception says about the request (Allow on 405, Retry-After on 429).
            for name, value in exc.get_headers():
                if name.lower() not in ("content-type", "content-length"):
                    body.headers[name] = value
        return body, code

    @app.errorhandler(InternalServerError)
    def server_error(_exc: InternalServerError) -> ResponseReturnValue:
        return _render(500, _default_message(500))
