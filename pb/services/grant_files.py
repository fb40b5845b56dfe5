"""Files for small grants (photos, receipts, scans of signature lists), stored in the database.

App hosts keep no state, so uploads go into ``grant_files`` rather than onto local disk. Images
are checked by their content (size, pixel count and bit depth before decoding) and re-encoded
without metadata; receipts and scans may also be PDF, checked by their header.
"""

from __future__ import annotations

import hashlib
import io
from typing import IO

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy.orm import Session

from pb.errors import ValidationFailed
from pb.models.grant import FileKind, GrantFile
from pb.models.user import User

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 2000
PDF_KINDS = (FileKind.RECEIPT, FileKind.SCAN)


def _image(data: bytes, field: str) -> tuple[bytes, str]:
    refusal = ValidationFailed(_("Kies een foto in JPEG- of PNG-formaat."), field=field)
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ("JPEG", "PNG"):
                raise refusal
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationFailed(_("De foto heeft te veel pixels."), field=field)
            if probe.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
                raise refusal  # 16-bit and float images: decoding them costs far more memory
            probe.verify()
        with Image.open(io.BytesIO(data)) as opened:
            fmt = opened.format
            opened.load()
            img = ImageOps.exif_transpose(opened)
            img.thumbnail((MAX_SIDE, MAX_SIDE))
            out = io.BytesIO()
            if fmt == "JPEG":
                img.convert("RGB").save(out, "JPEG", quality=85)  # no exif=: metadata dropped
                return out.getvalue(), "image/jpeg"
            if img.mode not in ("RGB", "RGBA", "L", "LA", "P"):
                img = img.convert("RGBA")
            img.save(out, "PNG")
            return out.getvalue(), "image/png"
    # ValueError: Pillow's limit on compressed text chunks (zTXt/iTXt bombs).
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise refusal from exc


def store_file(session: Session, stream: IO[bytes], *, kind: FileKind, uploader: User | None,
               application_id: int | None = None, field: str = "photo") -> GrantFile:
    """Check an upload and store it.

    Raises:
        ValidationFailed: too large, empty, or not an accepted type (JPEG/PNG, and PDF for receipts and scans).
    """
    data = stream.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ValidationFailed(_("Het bestand is te groot. Kies een bestand van maximaal 5 MB."), field=field)
    if not data:
        raise ValidationFailed(_("Het bestand is leeg."), field=field)
    if kind in PDF_KINDS and data.startswith(b"%PDF-"):
        content, content_type = data, "application/pdf"
    else:
        content, content_type = _image(data, field)
    row = GrantFile(application_id=application_id, kind=kind, content_type=content_type,
                    sha256=hashlib.sha256(content).hexdigest(), size=len(content), data=content,
                    uploaded_by_id=uploader.id if uploader else None)
    session.add(row)
    session.flush()
    return row
