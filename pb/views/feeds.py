"""An Atom feed per area of what happened there: phases, decisions, results and milestones."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from flask import Blueprint, Response, current_app
from flask_babel import gettext as _

from pb import labels
from pb.db import db_session, utcnow
from pb.models.area import Area
from pb.models.round import BudgetRound
from pb.services import areas as area_service
from pb.services import audit
from pb.services import proposals as proposal_service
from pb.services import rounds as round_service
from pb.views import presenters

bp = Blueprint("feeds", __name__)

ATOM = "http://www.w3.org/2005/Atom"
FEED_ACTIONS = ("round.create", "round.phase_move", "proposal.review", "proposal.support_closed",
                "round.results_publish", "round.results_correct", "implementation.update",
                "implementation.milestone")


@dataclass(frozen=True)
class FeedItem:
    """One entry of the feed."""

    key: str
    at: dt.datetime
    title: str
    summary: str
    path: str


def _phase_items(round_: BudgetRound, now: dt.datetime) -> list[FeedItem]:
    starts = [("proposals", round_.proposals_open_at, _("Plannen indienen begint")),
              ("support", round_.proposals_close_at, _("Steunen begint")),
              ("voting", round_.voting_open_at, _("Stemmen begint"))]
    return [FeedItem(key=f"round-{round_.id}-{name}", at=at, title=f"{label}: {round_.title}",
                     summary=_("Bekijk de ronde en de tijdlijn."), path=f"/rounds/{round_.id}")
            for name, at, label in starts if at <= now]


def _audit_items(area: Area) -> list[FeedItem]:
    items = []
    session = db_session()
    entries = audit.public_entries_of_area(session, area.id, actions=FEED_ACTIONS)
    hidden = proposal_service.hidden_ids_in_area(session, area.id)
    for row, entry in zip(presenters.history_rows(entries, hidden), entries):
        if entry.action.startswith("round.results"):
            path = f"/rounds/{entry.round_id}/results"
        elif entry.object_type == "proposal" and row["link"]:
            path = f"/proposals/{entry.object_id}"
        elif entry.object_type == "grant_application":  # a small grant's tracking
            path = f"/grants/{entry.object_id}"
        else:
            path = f"/rounds/{entry.round_id}" if entry.round_id else f"/areas/{area.slug}"
        title = labels.action_label(entry.action) + (f": {row['title']}" if row["title"] else "")
        summary = "; ".join([*row["changes"], *([row["reason"]] if row["reason"] else [])])
        items.append(FeedItem(key=f"event-{entry.seq}", at=entry.at, title=title, summary=summary, path=path))
    return items


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    element.text = text
    return element


@bp.get("/areas/<slug>/feed.atom")
def area_feed(slug: str) -> Response:
    """The area's Atom feed (RFC 4287), newest first, for the municipal website and the local press."""
    session = db_session()
    area = area_service.get_by_slug(session, slug)
    now = utcnow()
    items = _audit_items(area)
    for round_ in round_service.rounds_of_area(session, area):
        items.extend(_phase_items(round_, now))
    items.sort(key=lambda i: (i.at, i.key), reverse=True)
    items = items[:100]
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "id", f"{base}/areas/{area.slug}/feed.atom")
    _text(feed, "title", _("Buurtbudget %(a)s: wat er gebeurt", a=area.name))
    _text(feed, "updated", (items[0].at if items else area.created_at).isoformat())
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "self", "href": f"{base}/areas/{area.slug}/feed.atom"})
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "alternate", "href": f"{base}/areas/{area.slug}"})
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", str(current_app.config["MUNICIPALITY_NAME"]))
    for item in items:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _text(entry, "id", f"{base}/areas/{area.slug}/feed.atom#{item.key}")
        _text(entry, "title", item.title)
        _text(entry, "updated", item.at.isoformat())
        ET.SubElement(entry, f"{{{ATOM}}}link", {"rel": "alternate", "href": base + item.path})
        _text(entry, "summary", item.summary or item.title)
    body = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    response = Response(body, mimetype="application/atom+xml")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
