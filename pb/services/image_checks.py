"""Check an uploaded image from its header, before anything decodes it (threats #18 and #27).

Decoding costs memory in proportion to the pixels and the bit depth, and PNG text and colour
profile chunks can hide compressed data that expands a thousandfold. So the bytes are read the
way a decoder would start: the signature (only PNG and JPEG; an SVG or anything else in
disguise is refused), the dimensions and bit depth (PNG ``IHDR``, JPEG ``SOF``), and every PNG
chunk, decompressing ``zTXt``/``iTXt``/``iCCP`` only up to a small limit. Each check reads a
bounded number of bytes, so a refusal takes milliseconds and little memory.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"
MAX_PNG_PIXELS = 16_000_000  # a PNG decodes in full: 16 MP x 4 bytes = 64 MB at most
MAX_JPEG_PIXELS = 40_000_000  # a JPEG decodes scaled down (draft mode), so more pixels are fine
MAX_SIDE = 12_000
MAX_COMPRESSED_CHUNK_OUTPUT = 256 * 1024  # a text or a colour profile, decompressed
MAX_COMPRESSED_CHUNKS_OUTPUT = 1024 * 1024  # all of them together
MAX_CHUNKS = 20_000
_COMPRESSED_CHUNKS = (b"zTXt", b"iTXt", b"iCCP")
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_JPEG_NO_LENGTH = {0x01, *range(0xD0, 0xD8)}  # TEM and RSTn stand alone


class ImageRefused(ValueError):
    """The bytes are not an image we decode; ``reason`` says why (for tests and logs)."""

    def __init__(self, reason: str, *, too_large: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.too_large = too_large


@dataclass(frozen=True)
class ImageHeader:
    """What the header says: the format (``PNG`` or ``JPEG``), the size and the bits per sample."""

    format: str
    width: int
    height: int
    bit_depth: int


def check_image(data: bytes) -> ImageHeader:
    """Return the header of a PNG or JPEG that is safe to decode, or raise :class:`ImageRefused`."""
    if data.startswith(PNG_SIGNATURE):
        return _check_png(data)
    if data.startswith(JPEG_SIGNATURE):
        return _check_jpeg(data)
    raise ImageRefused("not a PNG or JPEG")


def _check_size(fmt: str, width: int, height: int, depth: int, max_pixels: int) -> ImageHeader:
    if width < 1 or height < 1:
        raise ImageRefused("no pixels")
    if width > MAX_SIDE or height > MAX_SIDE or width * height > max_pixels:
        raise ImageRefused(f"{width}x{height} pixels", too_large=True)
    if depth != 8 and not (fmt == "PNG" and depth in (1, 2, 4)):
        raise ImageRefused(f"{depth} bits per sample", too_large=True)
    return ImageHeader(fmt, width, height, depth)


def _bounded_inflate(payload: bytes, budget: int) -> int:
    """Decompress at most ``budget`` + 1 bytes; return how many came out (refuse broken data)."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(payload, budget + 1)
    except zlib.error as exc:
        raise ImageRefused("broken compressed chunk") from exc
    if len(out) > budget or inflater.unconsumed_tail:
        raise ImageRefused("compressed chunk expands too far", too_large=True)
    return len(out)


def _compressed_part(kind: bytes, body: bytes) -> bytes | None:
    """The zlib stream inside a zTXt, iCCP or compressed iTXt chunk (None: not compressed)."""
    keyword_end = body.find(b"\x00")
    if keyword_end < 0:
        raise ImageRefused("broken text chunk")
    if kind in (b"zTXt", b"iCCP"):
        return body[keyword_end + 2:]
    if body[keyword_end + 1:keyword_end + 2] != b"\x01":  # iTXt: compression flag
        return None
    rest = body[keyword_end + 3:]
    language_end = rest.find(b"\x00")
    translated_end = rest.find(b"\x00", language_end + 1) if language_end >= 0 else -1
    if translated_end < 0:
        raise ImageRefused("broken text chunk")
    return rest[translated_end + 1:]


def _check_png(data: bytes) -> ImageHeader:
    pos = len(PNG_SIGNATURE)
    header: ImageHeader | None = None
    inflated = chunks = 0
    while True:
        if pos + 8 > len(data):
            raise ImageRefused("truncated PNG")
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body_start, body_end = pos + 8, pos + 8 + length
        if body_end + 4 > len(data):
            raise ImageRefused("truncated PNG chunk")
        chunks += 1
        if chunks > MAX_CHUNKS:
            raise ImageRefused("too many chunks", too_large=True)
        body = data[body_start:body_end]
        if header is None:
            if kind != b"IHDR" or length != 13:
                raise ImageRefused("PNG without IHDR")
            width, height, depth = struct.unpack(">IIB", body[:9])
            header = _check_size("PNG", width, height, depth, MAX_PNG_PIXELS)
        elif kind in _COMPRESSED_CHUNKS:
            payload = _compressed_part(kind, body)
            if payload is not None:
                inflated += _bounded_inflate(payload, MAX_COMPRESSED_CHUNK_OUTPUT)
                if inflated > MAX_COMPRESSED_CHUNKS_OUTPUT:
                    raise ImageRefused("compressed chunks expand too far", too_large=True)
        elif kind == b"IEND":
            return header
        pos = body_end + 4


def _check_jpeg(data: bytes) -> ImageHeader:
    pos = 2
    segments = 0
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise ImageRefused("broken JPEG marker")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in _JPEG_NO_LENGTH:
            pos += 2
            continue
        segments += 1
        if segments > MAX_CHUNKS:
            raise ImageRefused("too many segments", too_large=True)
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        if marker in _JPEG_SOF:
            if pos + 9 > len(data):
                break
            depth, height, width = struct.unpack(">BHH", data[pos + 4:pos + 9])
            return _check_size("JPEG", width, height, depth, MAX_JPEG_PIXELS)
        if marker == 0xDA or length < 2:  # image data before any frame header
            raise ImageRefused("JPEG without frame header")
        pos += 2 + length
    raise ImageRefused("truncated JPEG")
