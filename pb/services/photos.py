"""Proposal photos: checked by content, re-encoded without metadata, stored under ``UPLOAD_DIR``.
"""

from __future__ import annotations

import io
import re
import secrets
from pathlib import Path
from typing import IO

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from pb.errors import ValidationFailed

MAX_PHOTO_BYTES = 5 * 1024 * 1024


MAX_PHOTO_PIXELS = 40_000_000


PHOTO_MAX_SIDE = 2000


def store_photo(stream: IO[bytes]) -> str:
    """Check an uploaded photo by its content, re-encode it without metadata and store it.

    Returns the random file name under ``UPLOAD_DIR``.

    Raises:
        ValidationFailed: too large, not a JPEG or PNG, or unreadable.
    """
    data = stream.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise ValidationFailed(_("De foto is te groot. Kies een foto van maximaal 5 MB."), field="photo")
    refusal = ValidationFailed(_("Kies een foto in JPEG- of PNG-formaat."), field="photo")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ("JPEG", "PNG"):
                raise refusal
            if probe.width * probe.height > MAX_PHOTO_PIXELS:
                raise ValidationFailed(_("De foto heeft te veel pixels."), field="photo")
            probe.verify()
        with Image.open(io.BytesIO(data)) as opened:
            fmt = opened.format
            opened.load()
            img: Image.Image = ImageOps.exif_transpose(opened)
            img.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
            out = io.BytesIO()
            if fmt == "JPEG":
                img.convert("RGB").save(out, "JPEG", quality=85)  # no exif= argument: metadata dropped
                suffix = ".jpg"
            else:
                if img.mode not in ("RGB", "RGBA", "L", "LA", "P"):
                    img = img.convert("RGBA")
                img.save(out, "PNG")
                suffix = ".png"
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise refusal from exc
    name = secrets.token_hex(16) + suffix
    folder = photo_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(out.getvalue())
    return name


def photo_dir() -> Path:
    """Where proposal photos are stored."""
    return Path(current_app.config["UPLOAD_DIR"]) / "proposals"


def delete_photo(name: str | None) -> None:
    """Remove a stored photo file, if any."""
    if name and re.fullmatch(r"[0-9a-f]{32}\.(jpg|png)", name):
        (photo_dir() / name).unlink(missing_ok=True)
