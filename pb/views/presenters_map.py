"""What the map and the proposal cards show: the map's settings, points as text, photo alt texts."""

from __future__ import annotations

import json
from typing import Any

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _

from pb.models.proposal import Proposal
from pb.services.photos import THUMBNAIL_SIZE


def degrees(value: float | None) -> str:
    """Degrees as people type them in this language (``51,8936`` in Dutch); empty for none."""
    return "" if value is None else str(format_decimal(value, format="0.######"))


def map_settings() -> dict[str, str] | None:
    """The data attributes the map script reads (tiles, attribution, start view), or None without a map."""
    cfg = current_app.config
    if not cfg.get("MAP_TILE_URL"):
        return None
    latitude, longitude = cfg["MAP_CENTER"]
    return {
        "data-tile-url": cfg["MAP_TILE_URL"],
        "data-attribution": cfg["MAP_TILE_ATTRIBUTION"],
        "data-max-zoom": str(int(cfg["MAP_MAX_ZOOM"])),
        "data-center": json.dumps([float(latitude), float(longitude)]),
        "data-zoom": str(int(cfg["MAP_ZOOM"])),
    }


def map_point(p: Proposal) -> str:
    """The proposal's point for the map script (``lat,lon`` with dots), or empty."""
    return f"{p.latitude:.6f},{p.longitude:.6f}" if p.latitude is not None and p.longitude is not None else ""


def photo_alt(p: Proposal) -> str:
    """The photo's alt text: the author's description, else a sentence with the proposal's title."""
    return p.photo_alt or _("Foto bij het plan %(t)s", t=p.title)


def map_labels() -> dict[str, Any]:
    """Template helpers for the map and photo cards."""
    return {"map_settings": map_settings, "map_point": map_point, "photo_alt": photo_alt,
            "thumbnail_size": THUMBNAIL_SIZE}
