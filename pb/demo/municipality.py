"""Demo face of the municipality: colours, a logo, the information point and both statements."""

from __future__ import annotations

import io

from flask import current_app
from PIL import Image, ImageDraw
from sqlalchemy.orm import Session

from pb.services import municipality_face, statement_templates
from pb.services.municipality_face import FaceData, Statement

DEMO_COLOUR = "#005a3c"  # a dark green: 7.6:1 against white


def _demo_logo() -> bytes:
    """A simple drawn emblem (no font needed): three houses under a roof line."""
    img = Image.new("RGBA", (240, 120), (255, 255, 255, 0))
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle((0, 0, 239, 119), radius=16, fill=(255, 255, 255, 255))
    for i, x in enumerate((30, 95, 160)):
        colour = ((0, 90, 60, 255), (230, 140, 0, 255), (0, 90, 60, 255))[i]
        draw.polygon([(x, 60), (x + 25, 30), (x + 50, 60)], fill=colour)
        draw.rectangle((x + 6, 60, x + 44, 95), fill=colour)
    return _png(img)


def _png(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def load_demo_face(session: Session) -> None:
    """Fill in the municipality's face once (an admin can change everything afterwards)."""
    if municipality_face.current(session) is not None:
        return
    name = current_app.config["MUNICIPALITY_NAME"]
    municipality_face.update_face(session, actor=None, data=FaceData(
        name=name, colour_primary=DEMO_COLOUR, colour_on_primary="#ffffff",
        phone="14 0315", email="buurtbudget@example.nl",
        address="Informatiepunt Buurtbudget\nGemeentehuis, Hoofdstraat 1\n7071 AB Ulft",
        opening_hours="maandag tot en met donderdag 9.00 tot 16.30 uur\nvrijdag 9.00 tot 12.30 uur",
    ))
    municipality_face.store_logo(session, actor=None, stream=io.BytesIO(_demo_logo()), fallback_name=name)
    municipality_face.update_statement(session, actor=None, which=Statement.ACCESSIBILITY,
                                       text=statement_templates.accessibility(name), fallback_name=name)
    municipality_face.update_statement(session, actor=None, which=Statement.PRIVACY,
                                       text=statement_templates.privacy(name), fallback_name=name)
