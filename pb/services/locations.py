"""Points on the map: a proposal's place as latitude and longitude (WGS84), within the Netherlands."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _

from pb.errors import ValidationFailed

# The European Netherlands with the Wadden islands and Zeeland's coast (a rectangle: a point just
# across a border passes, which is harmless for a map pin; a point in the wrong country does not).
NL_LATITUDE = (50.75, 53.70)
NL_LONGITUDE = (3.20, 7.25)
DECIMALS = 6  # about 10 cm: finer is noise

_NUMBER_RE = re.compile(r"^-?\d{1,3}([.,]\d{1,12})?$")


@dataclass(frozen=True)
class Point:
    """A place on the map in degrees."""

    latitude: float
    longitude: float


def parse_degrees(text: str | None, *, field: str) -> float | None:
    """Read degrees typed as ``51.8936`` or ``51,8936`` (Dutch comma); empty means no value.

    Raises:
        ValidationFailed: not a number of degrees (on ``field``).
    """
    raw = (text or "").strip().replace(" ", "")
    if not raw:
        return None
    if not _NUMBER_RE.match(raw):
        raise ValidationFailed(_("Vul een getal in, bijvoorbeeld 51,8936."), field=field)
    return round(float(raw.replace(",", ".")), DECIMALS)


def point_in_netherlands(latitude: float | None, longitude: float | None) -> Point | None:
    """The point given by both coordinates, or None when both are empty.

    Raises:
        ValidationFailed: only one of the two is given, or the point lies outside the Netherlands.
    """
    if latitude is None and longitude is None:
        return None
    if latitude is None or longitude is None:
        raise ValidationFailed(_("Vul beide getallen van het punt in, of geen van beide."), field="latitude")
    inside = NL_LATITUDE[0] <= latitude <= NL_LATITUDE[1] and NL_LONGITUDE[0] <= longitude <= NL_LONGITUDE[1]
    if not inside:
        raise ValidationFailed(_("Dit punt ligt niet in Nederland. Kies een punt in Nederland op de kaart."),
                               field="latitude")
    return Point(round(latitude, DECIMALS), round(longitude, DECIMALS))
