"""The municipality's face on every page (name, logo, colours, footer) and its public pages:
contact, the accessibility statement and the privacy statement."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, abort, current_app, g, has_request_context, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from pb.db import db_session
from pb.models.municipality import MunicipalityFace
from pb.services import municipality_face, statement_templates, stored_files
from pb.services.municipality_face import Statement
from pb.views.common import stored_file_response

bp = Blueprint("municipality", __name__)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FaceView:
    """What the pages show of the municipality (the configured name until an admin fills it in)."""

    name: str
    logo_url: str | None = None
    theme_url: str | None = None
    phone: str = ""
    email: str = ""
    address_lines: list[str] = field(default_factory=list)
    opening_hours_lines: list[str] = field(default_factory=list)

    @property
    def phone_href(self) -> str:
        """The phone number as a ``tel:`` link target (digits and a leading +)."""
        return "tel:" + "".join(ch for ch in self.phone if ch.isdigit() or ch == "+")

    @property
    def has_contact(self) -> bool:
        """Whether there is any contact detail to show."""
        return bool(self.phone or self.email or self.address_lines or self.opening_hours_lines)


@dataclass(frozen=True)
class Block:
    """One block of a statement: a heading, a paragraph or a list."""

    kind: str  # "heading", "paragraph" or "list"
    text: str = ""
    items: tuple[str, ...] = ()


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def face_view(face: MunicipalityFace | None) -> FaceView:
    """The template view of a stored face (or of the configured name alone)."""
    if face is None:
        return FaceView(name=current_app.config["MUNICIPALITY_NAME"])
    on_site = has_request_context()  # letters rendered by the CLI have no site to link to
    return FaceView(
        name=face.name,
        logo_url=url_for("municipality.logo", name=face.logo_name) if face.logo_name and on_site else None,
        theme_url=(url_for("municipality.theme", v=f"{face.updated_at:%Y%m%d%H%M%S}")
                   if face.colour_primary and on_site else None),
        phone=face.phone, email=face.email,
        address_lines=_lines(face.address), opening_hours_lines=_lines(face.opening_hours),
    )


FACE_KEPT_SECONDS = 30.0  # another app host shows an admin's change after at most this long


def current_face() -> FaceView:
    """The face for this request (the footer must not turn an error page into another error).

    Every page shows it, so a process keeps what it read for :data:`FACE_KEPT_SECONDS` (a page
    then asks the database nothing for it); a change made through this process shows at once.
    """
    if "face" in g:
        return g.face  # type: ignore[no-any-return]
    kept: tuple[int, float, FaceView] | None = current_app.extensions.get("pb_face")
    now = time.monotonic()
    if kept is not None and kept[0] == municipality_face.generation() and kept[1] > now:
        g.face = kept[2]
        return kept[2]
    try:
        g.face = face_view(municipality_face.current(db_session()))
    except SQLAlchemyError:
        log.warning("municipality face unavailable; showing the configured name", exc_info=True)
        db_session().rollback()
        g.face = FaceView(name=current_app.config["MUNICIPALITY_NAME"])
        return g.face  # type: ignore[no-any-return]
    if has_request_context():  # what a page shows is kept; a letter made by the CLI links to nothing
        current_app.extensions["pb_face"] = (municipality_face.generation(), now + FACE_KEPT_SECONDS, g.face)
    return g.face  # type: ignore[no-any-return]


def statement_blocks(text: str) -> list[Block]:
    """Split a statement's plain text into headings (``## ``), lists (``- ``) and paragraphs.

    A blank line ends a paragraph or a list; lines of one paragraph are joined with spaces.
    """
    blocks: list[Block] = []
    words: list[str] = []
    items: list[str] = []
    for raw in [*text.replace("\r\n", "\n").split("\n"), ""]:
        line = raw.strip()
        kind = "heading" if line.startswith("## ") else "item" if line.startswith("- ") else "text" if line else "blank"
        if words and kind != "text":
            blocks.append(Block("paragraph", " ".join(words)))
            words = []
        if items and kind != "item":
            blocks.append(Block("list", items=tuple(items)))
            items = []
        if kind == "heading":
            blocks.append(Block("heading", line[3:].strip()))
        elif kind == "item":
            items.append(line[2:].strip())
        elif kind == "text":
            words.append(line)
    return blocks


def statement_text(which: Statement) -> str:
    """The stored statement, or the starting text while the admin has not written one."""
    face = municipality_face.current(db_session())
    stored = getattr(face, f"{which.value}_statement", "") if face is not None else ""
    if stored:
        return stored
    name = current_face().name
    return statement_templates.accessibility(name) if which is Statement.ACCESSIBILITY else statement_templates.privacy(name)


def init_app(app: Flask) -> None:
    """Give every template ``face`` and make ``municipality_name()`` the admin's name."""
    @app.context_processor
    def _face() -> dict[str, Any]:
        return {"face": current_face()}

    app.jinja_env.globals["municipality_name"] = lambda: current_face().name


def _statement_page(which: Statement, title: str) -> str:
    return render_template("municipality/statement.html", title=title, blocks=statement_blocks(statement_text(which)))


@bp.get("/toegankelijkheid")
def accessibility() -> str:
    """The accessibility statement (toegankelijkheidsverklaring)."""
    return _statement_page(Statement.ACCESSIBILITY, _("Toegankelijkheidsverklaring"))


@bp.get("/privacy")
def privacy() -> str:
    """The privacy statement: which data, why, how long, the purge of the register."""
    return _statement_page(Statement.PRIVACY, _("Privacyverklaring"))


@bp.get("/contact")
def contact() -> str:
    """How to reach the information point."""
    return render_template("municipality/contact.html")


@bp.get("/theme.css")
def theme() -> Response:
    """The municipality's colours as design tokens (NL Design System names); cached, versioned by ``?v=``."""
    face = municipality_face.current(db_session())
    css = ""
    if face is not None and face.colour_primary:
        # Colours are stored only as checked #rrggbb, so nothing else can reach the stylesheet.
        css = (":root {\n"
               f"  --utrecht-page-header-background-color: {face.colour_primary};\n"
               f"  --utrecht-page-header-color: {face.colour_on_primary or municipality_face.DEFAULT_ON_PRIMARY};\n"
               "}\n")
    response = Response(css, mimetype="text/css")
    response.cache_control.public = True
    response.cache_control.max_age = 86400 if request.args.get("v") else 300
    return response


@bp.get("/logo/<name>")
def logo(name: str) -> Response:
    """The municipality's logo (re-encoded PNG from the database)."""
    stored = stored_files.find(db_session(), name, kind=municipality_face.LOGO_KIND)
    if stored is None:
        abort(404)
    return stored_file_response(stored, max_age=3600)
