"""The address register import (good, bad rows, idempotent) and the purge (threat #10)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from pb.db import utcnow
from pb.errors import InvalidState
from pb.models.audit import AuditEntry
from pb.models.register import LetterCode, RegisterEntry
from pb.models.residency import Residency
from pb.demo import address_register as demo_register
from pb.services import address_keys, address_register, letter_codes, register_import
from tests.factories import make_area, make_register_entry, make_resident, make_round

GOOD = (
    "postcode;huisnummer;toevoeging;gebied;aantal_stemgerechtigden;geboortejaar\n"
    "7071 AB;12;a;ulft;2;\n"
    "7071ab;14;;;;1990\n"
    "7081CD;1;;gendringen;;\n"
).encode()


def _count(session) -> int:
    return session.scalar(select(func.count(RegisterEntry.id)))


def test_import_semicolon_file_normalises_and_finds_area_by_postcode(session):
    ulft = make_area(session, slug="ulft", postcodes=["7071"])
    gendringen = make_area(session, slug="gendringen", postcodes=["7081"])
    result = register_import.import_addresses(session, GOOD, actor=None)
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    rows = {(e.postcode, e.huisnummer, e.suffix): e for e in session.scalars(select(RegisterEntry))}
    assert rows[("7071AB", 12, "A")].eligible_count == 2 and rows[("7071AB", 12, "A")].area_id == ulft.id
    assert rows[("7071AB", 14, "")].area_id == ulft.id and rows[("7071AB", 14, "")].birth_year == 1990
    assert rows[("7081CD", 1, "")].area_id == gendringen.id and rows[("7081CD", 1, "")].eligible_count == 1
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "register.import")).after["created"] == 3


def test_import_comma_file(session):
    make_area(session, slug="ulft", postcodes=["7071"])
    result = register_import.import_addresses(session, b"postcode,huisnummer,toevoeging,gebied\n7071AB,1,,ulft\n", actor=None)
    assert result.created == 1 and _count(session) == 1


def test_reimport_changes_nothing_and_updates_changed_rows(session):
    make_area(session, slug="ulft", postcodes=["7071"])
    make_area(session, slug="gendringen", postcodes=["7081"])
    register_import.import_addresses(session, GOOD, actor=None)
    session.commit()
    before = [(e.id, e.eligible_count, e.area_id) for e in session.scalars(select(RegisterEntry).order_by(RegisterEntry.id))]
    again = register_import.import_addresses(session, GOOD, actor=None)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    after = [(e.id, e.eligible_count, e.area_id) for e in session.scalars(select(RegisterEntry).order_by(RegisterEntry.id))]
    assert before == after
    changed = register_import.import_addresses(session, GOOD.replace(b"ulft;2;", b"ulft;3;"), actor=None)
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 2)


def test_bad_rows_are_reported_with_line_numbers_and_nothing_is_imported(session):
    make_area(session, slug="ulft", postcodes=["7071"])
    data = (
        "postcode;huisnummer;toevoeging;gebied;aantal_stemgerechtigden\n"
        "7071AB;1;;ulft;1\n"
        "123;1;;ulft;1\n"
        "7071AB;x;;ulft;1\n"
        "7071AB;2;;bestaatniet;1\n"
        "9999ZZ;3;;;1\n"
        "7071AB;4;;ulft;veel\n"
        "7071AB;1;;ulft;1\n"
        "7071AB;5;;ulft\n"
    ).encode()
    with pytest.raises(register_import.ImportFailed) as info:
        register_import.import_addresses(session, data, actor=None)
    by_line = {}
    for err in info.value.errors:
        by_line.setdefault(err.line, []).append(err.message)
    assert sorted(by_line) == [3, 4, 5, 6, 7, 8, 9]
    assert "geen postcode" in by_line[3][0]
    assert "geen huisnummer" in by_line[4][0]
    assert "bestaat niet" in by_line[5][0]
    assert "hoort bij geen enkel gebied" in by_line[6][0]
    assert "stemgerechtigden" in by_line[7][0]
    assert "regel 2" in by_line[8][0]
    assert "kolommen" in by_line[9][0]
    assert _count(session) == 0
    report = register_import.error_report_csv(info.value.errors)
    assert report.startswith("regel;fout\r\n3;")


def test_missing_columns_are_reported(session):
    with pytest.raises(register_import.ImportFailed) as info:
        register_import.import_addresses(session, b"postcode;huisnummer\n7071AB;1\n", actor=None)
    assert info.value.errors[0].line == 1 and "toevoeging" in info.value.errors[0].message


def _round(session, area, *, published: bool):
    return make_round(session, area, results_published_at=utcnow() if published else None)


def test_purge_refused_while_a_round_is_unpublished(session):
    area = make_area(session)
    make_register_entry(session, area)
    _round(session, area, published=False)
    with pytest.raises(InvalidState):
        address_register.purge_register(session, area, actor=None)
    assert _count(session) == 1


def test_purge_removes_addresses_and_codes_but_keeps_residencies(session):
    area = make_area(session)
    other = make_area(session)
    entry = make_register_entry(session, area, eligible_count=2)
    keep = make_register_entry(session, other, postcode="7081AA")
    _round(session, area, published=True)
    letter_codes.generate_codes(session, area, actor=None, valid_until=dt.date.today() + dt.timedelta(days=9))
    letter_codes.generate_codes(session, other, actor=None, valid_until=dt.date.today() + dt.timedelta(days=9))
    user = make_resident(session, area)
    residency = session.scalar(select(Residency).where(Residency.user_id == user.id))
    residency.register_entry_id = entry.id
    residency.address_key = None  # verified before address keys existed
    expected_key = address_keys.key_of_entry(entry)
    entry_id, keep_id = entry.id, keep.id
    session.commit()
    result = address_register.purge_register(session, area, actor=None)
    session.commit()
    assert (result.addresses, result.codes) == (1, 2)
    assert session.scalars(select(RegisterEntry.id)).all() == [keep_id]
    assert session.scalar(select(func.count(LetterCode.id)).where(LetterCode.register_entry_id == entry_id)) == 0
    assert session.scalar(select(func.count(LetterCode.id))) == 1
    residency = session.scalar(select(Residency).where(Residency.user_id == user.id))
    assert residency is not None and residency.register_entry_id is None
    assert residency.address_key == expected_key  # what the address used survives the purge
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "register.purge")).after == {"addresses": 1, "codes": 2}


def test_demo_register_loads_idempotently(session):
    for slug in demo_register.DEMO_REGISTER:
        make_area(session, slug=slug)
    first = demo_register.load_demo_register(session)
    assert first == sum(len(rows) for rows in demo_register.DEMO_REGISTER.values())
    assert demo_register.load_demo_register(session) == 0
    imports = session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "register.import"))
    assert imports == 1
