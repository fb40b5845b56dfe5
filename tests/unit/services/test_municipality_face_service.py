"""The municipality's face: contrast checks on colours, the logo's checks, the audit trail."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image, PngImagePlugin
from sqlalchemy import select

from pb.db import utcnow
from pb.errors import ValidationFailed
from pb.models.audit import AuditEntry
from pb.models.municipality import MunicipalityFace
from pb.models.stored_file import StoredFile
from pb.models.user import Role
from pb.services import municipality_face
from pb.services.municipality_face import FaceData, Statement
from tests.factories import make_user


def _data(**overrides: str) -> FaceData:
    values = {"name": "Gemeente Testdorp", "colour_primary": "#00576b", "colour_on_primary": "#ffffff",
              "phone": "14 0315", "email": "info@example.nl", "address": "Markt 1\n1234 AB Testdorp",
              "opening_hours": "maandag 9.00 tot 17.00 uur"}
    return FaceData(**(values | overrides))


def _png(size: tuple[int, int] = (64, 32), *, text: str | None = None) -> bytes:
    out = io.BytesIO()
    info = None
    if text is not None:
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", text)
    Image.new("RGB", size, (0, 87, 107)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


@pytest.mark.parametrize(("first", "second", "ratio"), [
    ("#ffffff", "#000000", 21.0),
    ("#767676", "#ffffff", 4.54),   # the lightest grey that passes AA on white
    ("#00576b", "#ffffff", 8.15),
    ("#ffbf47", "#ffffff", 1.64),
])
def test_contrast_ratio_matches_the_wcag_formula(first, second, ratio):
    assert municipality_face.contrast_ratio(first, second) == pytest.approx(ratio, abs=0.01)
    assert municipality_face.contrast_ratio(second, first) == pytest.approx(ratio, abs=0.01)


def test_light_main_colour_is_refused_in_dutch_and_nothing_is_stored(app, session):
    admin = make_user(session, role=Role.ADMIN)
    with pytest.raises(ValidationFailed) as refused:
        municipality_face.update_face(session, actor=admin, data=_data(colour_primary="#ffbf47"))
    assert refused.value.field == "colour_primary"
    assert "te licht" in refused.value.message and "4,5:1" in refused.value.message
    session.rollback()
    assert session.scalar(select(MunicipalityFace)) is None


def test_text_on_the_main_colour_needs_contrast_too(app, session):
    admin = make_user(session, role=Role.ADMIN)
    with pytest.raises(ValidationFailed) as refused:
        municipality_face.update_face(session, actor=admin, data=_data(colour_on_primary="#4a7f8c"))
    assert refused.value.field == "colour_on_primary"
    assert "slecht leesbaar" in refused.value.message


@pytest.mark.parametrize("colour", ["red", "#12345", "#1234567", "#gggggg", "#fff; } body { display:none"])
def test_only_six_digit_hex_colours_are_accepted(app, session, colour):
    admin = make_user(session, role=Role.ADMIN)
    with pytest.raises(ValidationFailed) as refused:
        municipality_face.update_face(session, actor=admin, data=_data(colour_primary=colour))
    assert refused.value.field == "colour_primary"


def test_update_stores_normalised_colours_and_audits_the_change(app, session):
    admin = make_user(session, role=Role.ADMIN)
    face = municipality_face.update_face(session, actor=admin, data=_data(colour_primary="00576B ",
                                                                          colour_on_primary=""))
    assert (face.colour_primary, face.colour_on_primary) == ("#00576b", "#ffffff")
    municipality_face.update_face(session, actor=admin, data=_data(colour_primary="#005a3c", phone="0315 123"))
    entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "municipality.update")
                              .order_by(AuditEntry.seq)).all()
    assert len(entries) == 2 and all(e.actor_id == admin.id for e in entries)
    assert entries[1].before == {"colour_primary": "#00576b", "phone": "14 0315"}
    assert entries[1].after == {"colour_primary": "#005a3c", "phone": "0315 123"}


def test_logo_is_reencoded_without_metadata_and_replaces_the_old_one(app, session):
    admin = make_user(session, role=Role.ADMIN)
    first = municipality_face.store_logo(session, actor=admin, stream=io.BytesIO(_png(text="geheim")),
                                         fallback_name="Gemeente Testdorp")
    second = municipality_face.store_logo(session, actor=admin, stream=io.BytesIO(_png((2000, 1000))),
                                          fallback_name="Gemeente Testdorp")
    rows = session.scalars(select(StoredFile).where(StoredFile.kind == municipality_face.LOGO_KIND)).all()
    assert first != second and sorted(r.name for r in rows) == sorted([first, second])
    # The old logo is still served a little while (pages on other app hosts may show it for 30 s),
    # then the expiry sweep removes it.
    kept = {r.name: r.expires_at for r in rows}
    assert kept[second] is None and kept[first] is not None
    assert kept[first] <= utcnow() + municipality_face.OLD_LOGO_KEPT
    newest = next(r for r in rows if r.name == second)
    with Image.open(io.BytesIO(newest.data)) as img:
        assert img.format == "PNG" and max(img.size) == municipality_face.LOGO_MAX_SIDE
        assert "Comment" not in img.info
    oldest = next(r for r in rows if r.name == first)  # the upload that carried a text chunk
    assert b"geheim" not in oldest.data
    with Image.open(io.BytesIO(oldest.data)) as img:
        assert not img.info.get("Comment")
    assert session.get(MunicipalityFace, 1).logo_name == second
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "municipality.logo")) is not None


@pytest.mark.parametrize(("data", "words"), [
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "PNG- of JPEG"),
    (b"GIF89a" + bytes(40), "PNG- of JPEG"),
    (bytes(3 * 1024 * 1024), "te groot"),
])
def test_logo_that_is_not_a_png_or_jpeg_is_refused(app, session, data, words):
    admin = make_user(session, role=Role.ADMIN)
    with pytest.raises(ValidationFailed) as refused:
        municipality_face.store_logo(session, actor=admin, stream=io.BytesIO(data), fallback_name="X")
    assert refused.value.field == "logo" and words in refused.value.message


def test_logo_with_too_many_pixels_is_refused_before_decoding(app, session):
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    huge = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 10_000, 10_000, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00")) + chunk(b"IEND", b""))
    admin = make_user(session, role=Role.ADMIN)
    with pytest.raises(ValidationFailed) as refused:
        municipality_face.store_logo(session, actor=admin, stream=io.BytesIO(huge), fallback_name="X")
    assert "te veel pixels" in refused.value.message


def test_statement_is_stored_and_audited_by_length(app, session):
    admin = make_user(session, role=Role.ADMIN)
    municipality_face.update_statement(session, actor=admin, which=Statement.PRIVACY,
                                       text="## Welke gegevens\r\nUw naam.", fallback_name="Gemeente Testdorp")
    face = session.get(MunicipalityFace, 1)
    assert face.privacy_statement == "## Welke gegevens\nUw naam." and face.name == "Gemeente Testdorp"
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "municipality.privacy_statement"))
    assert entry.after == {"characters": len(face.privacy_statement)}


@pytest.mark.parametrize(("field", "value", "words"), [
    ("phone", "bel ons", "telefoonnummer"),
    ("email", "infopunt.gemeente.nl", "e-mailadres"),
    ("email", "a@b.nl<script>", "e-mailadres"),
])
def test_contact_details_must_be_a_phone_number_and_an_email_address(app, session, field, value, words):
    admin = make_user(session, role=Role.ADMIN)
    with pytest.raises(ValidationFailed) as refused:
        municipality_face.update_face(session, actor=admin, data=_data(**{field: value}))
    assert refused.value.field == field and words in refused.value.message
