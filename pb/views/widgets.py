"""Widgets for the municipality's own website: an area's current round and a published result.

They are the only pages that may be shown in an iframe, and only on the websites the admin
allow-listed (CSP ``frame-ancestors``); every other page keeps ``frame-ancestors 'none'``. They
need no cookie: no form, no session, no login; links open in the top window.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, make_response, render_template, request
from flask_babel import force_locale

from pb.app import mark_cookie_free
from pb.db import db_session, utcnow
from pb.services import open_data, widget_origins
from pb.services import rounds as round_service
from pb.services.results import outcome_of
from pb.views.caching import SHORT

bp = Blueprint("widgets", __name__, url_prefix="/widgets")
bp.before_request(mark_cookie_free)


def _widget(template: str, **context: object) -> Response:
    """Render a widget in its language (``?lang=en``; no session to remember a choice) and allow
    the listed origins to frame it. Cached briefly: a changed allow-list holds within a minute."""
    lang = request.args.get("lang", "nl")
    lang = lang if lang in ("nl", "en") else "nl"
    with force_locale(lang):
        body = render_template(template, lang=lang, **context)
    response = make_response(body)
    response.headers["Content-Security-Policy"] = current_app.config["CONTENT_SECURITY_POLICY"].replace(
        "frame-ancestors 'none'", "frame-ancestors " + widget_origins.frame_ancestors(db_session()))
    response.headers["Cache-Control"] = SHORT
    return response


@bp.get("/areas/<slug>")
def area(slug: str) -> Response:
    """The area's current round: phase, dates and a link to take part."""
    session = db_session()
    area_ = open_data.area_by_slug(session, slug)
    rnd = open_data.current_round(session, area_)
    now = utcnow()
    return _widget("widgets/area.html", area=area_, rnd=rnd, phase=rnd.phase_at(now) if rnd else None,
                   timeline=round_service.timeline(rnd, now) if rnd else [])


@bp.get("/rounds/<int:round_id>/results")
def result(round_id: int) -> Response:
    """A published result: budget, what was chosen, a link to the full result (404 before publication)."""
    rnd, newest = open_data.newest_published(db_session(), round_id)
    record = outcome_of(newest)
    chosen = [p for p in record["projects"] if p["selected"]]
    return _widget("widgets/result.html", rnd=rnd, result=newest, record=record, chosen=chosen)
