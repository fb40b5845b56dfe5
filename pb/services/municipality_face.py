"""The municipality's face: its name, logo, colours, contact details and the two statements.

One row (:class:`MunicipalityFace`) an admin fills in. Colours become design tokens in
``/theme.css``; each is refused when its contrast is below WCAG 2.2 AA (4.5:1 for text), so a
municipality cannot make the site unreadable. The logo is checked from its header before it is
decoded (:mod:`pb.services.image_checks`), re-encoded without metadata and stored in the database
(``stored_files``), like proposal photos.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import IO

from flask import current_app, has_app_context
from flask_babel import format_decimal
from flask_babel import gettext as _
from PIL import Image
from sqlalchemy.orm import Session

from pb.errors import ValidationFailed
from pb.models.municipality import MunicipalityFace
from pb.models.user import User
from pb.services import audit, photos, stored_files

FACE_ID = 1
HEX_COLOUR_RE = re.compile(r"^#[0-9a-f]{6}$")
PHONE_RE = re.compile(r"^\+?[0-9][0-9 ()-]{1,38}$")
EMAIL_RE = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[a-z]{2,}$", re.IGNORECASE)
MIN_CONTRAST = 4.5  # WCAG 2.2 SC 1.4.3, normal text
# Backgrounds the main colour is used on as text (links): the page and the footer/notice boxes.
PAGE_BACKGROUNDS = ("#ffffff", "#f3f5f6")
DEFAULT_ON_PRIMARY = "#ffffff"
LOGO_KIND = "logo"
MAX_LOGO_BYTES = 2 * 1024 * 1024
LOGO_MAX_SIDE = 600
# A replaced logo is still served this long: other app hosts show the old one for up to 30 s
# (pb.views.municipality.FACE_KEPT_SECONDS), and a page's image must not break meanwhile.
OLD_LOGO_KEPT = dt.timedelta(minutes=10)


class Statement(StrEnum):
    """The two public statements an admin writes."""

    ACCESSIBILITY = "accessibility"
    PRIVACY = "privacy"


@dataclass(frozen=True)
class FaceData:
    """What the admin's settings form gives: name, colours (``#rrggbb`` or empty) and contact."""

    name: str
    colour_primary: str
    colour_on_primary: str
    phone: str
    email: str
    address: str
    opening_hours: str


def current(session: Session) -> MunicipalityFace | None:
    """The stored face, or None while the admin has not filled it in."""
    return session.get(MunicipalityFace, FACE_ID)


def _luminance(colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""
    channels = []
    for i in (1, 3, 5):
        c = int(colour[i:i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    r, g, b = channels
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    """The WCAG contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    a, b = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def normalise_colour(text: str, *, field: str) -> str:
    """``#RRGGBB`` or ``rrggbb`` as ``#rrggbb``; empty stays empty.

    Raises:
        ValidationFailed: not a six-digit hexadecimal colour.
    """
    value = text.strip().lower()
    if not value:
        return ""
    if not value.startswith("#"):
        value = "#" + value
    if not HEX_COLOUR_RE.match(value):
        raise ValidationFailed(_("Schrijf de kleur als # met zes tekens 0-9 en a-f, bijvoorbeeld #00576b."), field=field)
    return value


def _ratio_text(ratio: float) -> str:
    return format_decimal(int(ratio * 10) / 10, format="0.0")


def check_colours(primary: str, on_primary: str) -> None:
    """Refuse colours whose text would be too hard to read (below 4.5:1).

    Raises:
        ValidationFailed: on the field of the colour that must change.
    """
    if not primary:
        if on_primary:
            raise ValidationFailed(_("Kies eerst een hoofdkleur; de tekstkleur hoort daarbij."), field="colour_primary")
        return
    worst = min(contrast_ratio(primary, bg) for bg in PAGE_BACKGROUNDS)
    if worst < MIN_CONTRAST:
        raise ValidationFailed(_(
            "De hoofdkleur is te licht: links in die kleur hebben op de witte achtergrond een contrast van "
            "%(ratio)s:1. Dat moet minstens 4,5:1 zijn. Kies een donkerdere kleur.", ratio=_ratio_text(worst)),
            field="colour_primary")
    ratio = contrast_ratio(on_primary or DEFAULT_ON_PRIMARY, primary)
    if ratio < MIN_CONTRAST:
        raise ValidationFailed(_(
            "De tekst op de hoofdkleur is slecht leesbaar: het contrast is %(ratio)s:1. Dat moet minstens 4,5:1 "
            "zijn. Kies een lichtere tekstkleur, bijvoorbeeld wit (#ffffff).", ratio=_ratio_text(ratio)),
            field="colour_on_primary")


def generation() -> int:
    """How often this process changed the face; pages keep what they read of it for a short
    while (:data:`pb.views.municipality.FACE_KEPT_SECONDS`) and read it again when this changes."""
    return int(current_app.extensions.get("pb_face_generation", 0)) if has_app_context() else 0


def _changed() -> None:
    if has_app_context():
        current_app.extensions["pb_face_generation"] = generation() + 1


def _face_for_update(session: Session, name: str) -> MunicipalityFace:
    _changed()
    face = current(session)
    if face is None:
        face = MunicipalityFace(id=FACE_ID, name=name, phone="", email="", address="", opening_hours="",
                                accessibility_statement="", privacy_statement="")
        session.add(face)
    return face


_SETTINGS = ("name", "colour_primary", "colour_on_primary", "phone", "email", "address", "opening_hours")


def update_face(session: Session, *, actor: User | None, data: FaceData) -> MunicipalityFace:
    """Store the name, colours and contact details (audited: what changed, before and after).

    Raises:
        ValidationFailed: an empty name, a malformed colour, too little contrast, or a phone number or
            e-mail address that is not one.
    """
    name = data.name.strip()
    if not name:
        raise ValidationFailed(_("Vul de naam van de gemeente in."), field="name")
    primary = normalise_colour(data.colour_primary, field="colour_primary")
    on_primary = normalise_colour(data.colour_on_primary, field="colour_on_primary")
    check_colours(primary, on_primary)
    if data.phone.strip() and not PHONE_RE.match(data.phone.strip()):
        raise ValidationFailed(_("Vul een telefoonnummer in met cijfers, bijvoorbeeld 14 0315 of 0315 123 456."),
                               field="phone")
    if data.email.strip() and not EMAIL_RE.match(data.email.strip()):
        raise ValidationFailed(_("Vul een e-mailadres in zoals infopunt@gemeente.nl."), field="email")
    clean = asdict(data) | {"name": name, "colour_primary": primary or None,
                            "colour_on_primary": (on_primary or DEFAULT_ON_PRIMARY) if primary else None}
    for key in ("phone", "email", "address", "opening_hours"):
        clean[key] = clean[key].strip()
    face = _face_for_update(session, name)
    before = {key: getattr(face, key) for key in _SETTINGS if getattr(face, key) != clean[key]}
    for key in _SETTINGS:
        setattr(face, key, clean[key])
    session.flush()
    audit.record(session, actor=actor, action="municipality.update", obj_type="municipality", obj_id=FACE_ID,
                 before=before, after={key: clean[key] for key in before})
    return face


def update_statement(session: Session, *, actor: User | None, which: Statement, text: str, fallback_name: str) -> None:
    """Store the accessibility or the privacy statement (audited with its length, not its text)."""
    face = _face_for_update(session, fallback_name)
    column = f"{which.value}_statement"
    before = len(getattr(face, column) or "")
    setattr(face, column, text.strip().replace("\r\n", "\n"))
    session.flush()
    audit.record(session, actor=actor, action=f"municipality.{which.value}_statement", obj_type="municipality",
                 obj_id=FACE_ID, before={"characters": before}, after={"characters": len(getattr(face, column))})


def store_logo(session: Session, *, actor: User | None, stream: IO[bytes], fallback_name: str) -> str:
    """Check, re-encode (PNG, at most 600 pixels a side, no metadata) and store the logo; audited.

    Returns the stored file's name. The previous logo is removed.

    Raises:
        ValidationFailed: too large, not a PNG or JPEG, or unreadable.
    """
    _header, img = photos.decode_upload(
        stream, max_bytes=MAX_LOGO_BYTES, max_side=LOGO_MAX_SIDE, field="logo",
        too_big=_("Het logo is te groot. Kies een bestand van maximaal 2 MB."),
        wrong_type=_("Kies een logo in PNG- of JPEG-formaat."),
        too_many_pixels=_("Het logo heeft te veel pixels. Kies een kleinere afbeelding."))
    try:
        img.thumbnail((LOGO_MAX_SIDE, LOGO_MAX_SIDE))
        logo: Image.Image = img if img.mode in ("RGB", "RGBA", "L", "LA", "P") else img.convert("RGBA")
        out = io.BytesIO()
        logo.save(out, "PNG")  # no pnginfo: text chunks and metadata are dropped
    except photos.DECODE_ERRORS as exc:
        raise ValidationFailed(_("Kies een logo in PNG- of JPEG-formaat."), field="logo") from exc
    face = _face_for_update(session, fallback_name)
    old = face.logo_name
    face.logo_name = stored_files.put(session, out.getvalue(), kind=LOGO_KIND, content_type="image/png",
                                      suffix=".png").name
    stored_files.retire(session, old, OLD_LOGO_KEPT)
    session.flush()
    audit.record(session, actor=actor, action="municipality.logo", obj_type="municipality", obj_id=FACE_ID,
                 before={"logo": old}, after={"logo": face.logo_name})
    return face.logo_name


def remove_logo(session: Session, *, actor: User) -> None:
    """Take the logo off the site (audited); nothing happens when there is none."""
    face = current(session)
    if face is None or face.logo_name is None:
        return
    _changed()
    old = face.logo_name
    stored_files.retire(session, old, OLD_LOGO_KEPT)
    face.logo_name = None
    session.flush()
    audit.record(session, actor=actor, action="municipality.logo_remove", obj_type="municipality", obj_id=FACE_ID,
                 before={"logo": old}, after={"logo": None})
