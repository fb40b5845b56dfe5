"""Image uploads are checked from their header before anything decodes them (threats #18 and #27)."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zlib

import pytest
from PIL import Image

from pb.errors import ValidationFailed
from pb.services import image_checks
from pb.services.photos import store_photo


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _zlib_zeros(size: int) -> bytes:
    """A valid zlib stream of ``size`` zero bytes, built from one compressed MiB repeated.

    After a full flush the compressor starts afresh, so the same input gives the same bytes:
    the stream costs one MiB of compression whatever ``size`` is.
    """
    unit = 1 << 20
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(bytes(unit)) + compressor.flush(zlib.Z_FULL_FLUSH)
    whole, rest = divmod(size, unit)
    checksum = 1
    for _ in range(whole):
        checksum = zlib.adler32(bytes(unit), checksum)
    checksum = zlib.adler32(bytes(rest), checksum)
    fresh = zlib.compressobj(9, zlib.DEFLATED, -15)
    tail = fresh.compress(bytes(rest)) + fresh.flush(zlib.Z_FINISH)
    return b"\x78\xda" + block * whole + tail + struct.pack(">I", checksum)


def _png(width: int, height: int, depth: int, *, extra: list[bytes] = (), color_type: int = 2) -> bytes:
    """A real PNG of black pixels (every row: filter byte 0 and zero samples)."""
    channels = {0: 1, 2: 3, 6: 4}[color_type]
    idat = _zlib_zeros(height * (1 + width * channels * depth // 8))
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 0)
    return image_checks.PNG_SIGNATURE + _chunk(b"IHDR", ihdr) + b"".join(extra) + _chunk(b"IDAT", idat) \
        + _chunk(b"IEND", b"")


def test_the_test_images_are_real_pngs():
    assert zlib.decompress(_zlib_zeros(3 * (1 << 20) + 5)) == bytes(3 * (1 << 20) + 5)
    with Image.open(io.BytesIO(_png(300, 200, 16))) as img:
        img.load()
        assert img.size == (300, 200) and img.getpixel((10, 10)) == (0, 0, 0)


def _refused_without_decoding(monkeypatch, data: bytes) -> tuple[ValidationFailed, int]:
    """Store ``data`` as a photo; it must be refused before Pillow opens it. Returns the peak memory."""

    def no_decoding(*_args, **_kwargs):
        raise AssertionError("the image was handed to the decoder")

    monkeypatch.setattr(Image, "open", no_decoding)
    tracemalloc.start()
    try:
        with pytest.raises(ValidationFailed) as info:
            store_photo(None, io.BytesIO(data))  # refused before the session is touched
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return info.value, peak


@pytest.fixture(scope="module")
def huge_16_bit_png() -> bytes:
    return _png(6300, 6300, 16)


def test_a_small_16_bit_6300_square_png_is_refused_from_its_header(monkeypatch, huge_16_bit_png):
    assert len(huge_16_bit_png) < 400_000  # a few hundred KB that would decode to 476 MB
    error, peak = _refused_without_decoding(monkeypatch, huge_16_bit_png)
    assert "te veel pixels" in error.message
    assert peak < 50 * 2**20


def test_16_bit_depth_alone_is_refused():
    with pytest.raises(image_checks.ImageRefused) as info:
        image_checks.check_image(_png(64, 64, 16))
    assert info.value.too_large and "16 bits" in info.value.reason


@pytest.mark.parametrize("kind", [b"zTXt", b"iCCP", b"iTXt"])
def test_compressed_chunk_bombs_are_refused(monkeypatch, kind):
    bomb = _zlib_zeros(200 * 2**20)  # 200 MB of zeros in about 200 KB
    if kind == b"iTXt":
        body = b"Comment\x00\x01\x00en\x00\x00" + bomb
    else:
        body = b"Comment\x00\x00" + bomb
    data = _png(8, 8, 8, extra=[_chunk(kind, body)])
    assert len(data) < 400_000
    error, peak = _refused_without_decoding(monkeypatch, data)
    assert peak < 50 * 2**20 and error.field == "photo"


def test_many_small_text_chunks_cannot_add_up():
    text = _chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(bytes(200_000)))
    with pytest.raises(image_checks.ImageRefused, match="expand too far"):
        image_checks.check_image(_png(8, 8, 8, extra=[text] * 10))


def test_jpeg_header_too_many_pixels_and_12_bit():
    def jpeg(depth: int, width: int, height: int) -> bytes:
        sof = struct.pack(">BHHB", depth, height, width, 3) + b"\x01\x11\x00\x02\x11\x00\x03\x11\x00"
        return b"\xff\xd8" + b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00" + bytes(9) \
            + b"\xff\xc0" + struct.pack(">H", len(sof) + 2) + sof + b"\xff\xd9"

    with pytest.raises(image_checks.ImageRefused, match="pixels"):
        image_checks.check_image(jpeg(8, 10_000, 10_000))
    with pytest.raises(image_checks.ImageRefused, match="12 bits"):
        image_checks.check_image(jpeg(12, 100, 100))
    assert image_checks.check_image(jpeg(8, 640, 480)) == image_checks.ImageHeader("JPEG", 640, 480, 8)


@pytest.mark.parametrize("data", [
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    b"<svg onload=alert(1)>",
    b"GIF89a" + bytes(40),
    image_checks.PNG_SIGNATURE + b"kapot",
    b"\xff\xd8\xff\xe0\x00\x10JFIF",  # truncated
])
def test_disguised_and_broken_files_are_refused(data):
    with pytest.raises(image_checks.ImageRefused) as info:
        image_checks.check_image(data)
    assert not info.value.too_large


def test_ordinary_photos_pass_and_are_stored(app, session):
    for fmt in ("PNG", "JPEG"):
        out = io.BytesIO()
        Image.new("RGB", (1200, 900), "green").save(out, fmt)
        header = image_checks.check_image(out.getvalue())
        assert (header.format, header.width, header.height, header.bit_depth) == (fmt, 1200, 900, 8)
        with app.app_context():
            name = store_photo(session, io.BytesIO(out.getvalue()))
        assert name.endswith(".png" if fmt == "PNG" else ".jpg")
