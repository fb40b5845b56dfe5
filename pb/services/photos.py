"""Proposal photos: checked from their header before decoding, re-encoded without metadata,
stored in the database (``stored_files``) so every app host serves them.
"""

from __future__ import annotations

import hashlib
import io
from typing import IO

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy.orm import Session

from pb.errors import ValidationFailed
from pb.services import image_checks, stored_files

MAX_PHOTO_BYTES = 5 * 1024 * 1024
PHOTO_KIND = "photo"
PHOTO_MAX_SIDE = 2000
THUMBNAIL_KIND = "photo-thumbnail"
THUMBNAIL_SIZE = (480, 360)  # the photo on a proposal card: cropped to 4:3, width x height


# --- photos ----------------------------------------------------------------------------------------

# What decoding or re-encoding a refused or broken image raises.
DECODE_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError)


def decode_upload(stream: IO[bytes], *, max_bytes: int, max_side: int, field: str, too_big: str,
                  wrong_type: str, too_many_pixels: str) -> tuple[image_checks.ImageHeader, Image.Image]:
    """Read an uploaded image (at most ``max_bytes``), check its header before decoding it, and
    decode it (a JPEG scaled down towards ``max_side`` while decoding): the header and the image.

    Raises:
        ValidationFailed: on ``field`` with ``too_big``, ``too_many_pixels`` or ``wrong_type``.
    """
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValidationFailed(too_big, field=field)
    refusal = ValidationFailed(wrong_type, field=field)
    try:
        header = image_checks.check_image(data)
    except image_checks.ImageRefused as exc:
        raise (ValidationFailed(too_many_pixels, field=field) if exc.too_large else refusal) from exc
    try:
        with Image.open(io.BytesIO(data), formats=[header.format]) as opened:
            if (opened.width, opened.height) != (header.width, header.height):
                raise refusal
            if header.format == "JPEG":
                opened.draft("RGB", (max_side, max_side))
            opened.load()
            return header, opened
    except DECODE_ERRORS as exc:
        raise refusal from exc


def store_photo(session: Session, stream: IO[bytes], *, thumbnail: bool = False) -> str:
    """Check an uploaded photo by its content, re-encode it without metadata and store it.

    The header is checked before anything decodes the image (:mod:`pb.services.image_checks`):
    too many pixels, more than 8 bits per sample or a compressed chunk that expands too far is
    refused in milliseconds. JPEGs decode scaled down (draft mode). The photo is stored in the
    database, so every app host serves it.

    With ``thumbnail``, a card-sized copy (``THUMBNAIL_SIZE``, cropped to fill it) is stored too,
    under :func:`thumbnail_name` of the photo's name.

    Returns the stored file's name (``<32 hex>.jpg`` or ``.png``).

    Raises:
        ValidationFailed: too large, not a JPEG or PNG, or unreadable.
    """
    header, opened = decode_upload(
        stream, max_bytes=MAX_PHOTO_BYTES, max_side=PHOTO_MAX_SIDE, field="photo",
        too_big=_("De foto is te groot. Kies een foto van maximaal 5 MB."),
        wrong_type=_("Kies een foto in JPEG- of PNG-formaat."), too_many_pixels=_("De foto heeft te veel pixels."))
    try:
        img = ImageOps.exif_transpose(opened)
        img.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
        out = io.BytesIO()
        if header.format == "JPEG":
            img.convert("RGB").save(out, "JPEG", quality=85)  # no exif= argument: metadata dropped
            suffix, content_type = ".jpg", "image/jpeg"
        else:
            if img.mode not in ("RGB", "RGBA", "L", "LA", "P"):
                img = img.convert("RGBA")
            img.save(out, "PNG")
            suffix, content_type = ".png", "image/png"
        small = _thumbnail(img) if thumbnail else None
    except DECODE_ERRORS as exc:
        raise ValidationFailed(_("Kies een foto in JPEG- of PNG-formaat."), field="photo") from exc
    name = stored_files.put(session, out.getvalue(), kind=PHOTO_KIND, content_type=content_type, suffix=suffix).name
    if small is not None:
        stored_files.put(session, small, kind=THUMBNAIL_KIND, content_type="image/jpeg", name=thumbnail_name(name))
    return name


def _thumbnail(img: Image.Image) -> bytes:
    """The photo cropped to fill ``THUMBNAIL_SIZE``, as a JPEG (transparency on white)."""
    if img.mode in ("RGBA", "LA", "P"):
        rgba = img.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
    else:
        flat = img.convert("RGB")
    out = io.BytesIO()
    ImageOps.fit(flat, THUMBNAIL_SIZE, method=Image.Resampling.LANCZOS).save(out, "JPEG", quality=80)
    return out.getvalue()


def thumbnail_name(photo_name: str) -> str:
    """The stored name of a photo's thumbnail (derived, so the proposal needs no second column)."""
    return hashlib.sha256(f"thumbnail:{photo_name}".encode()).hexdigest()[:32] + ".jpg"


def delete_photo(session: Session, name: str | None) -> None:
    """Remove a stored photo and its thumbnail, if any."""
    stored_files.delete_file(session, name)
    if name:
        stored_files.delete_file(session, thumbnail_name(name))


# --- support -------------------------------------------------------------------------------------
