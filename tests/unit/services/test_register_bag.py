"""The register in the BAG's terms: house numbers taken apart, the BAG CSV, streaming, no IN lists."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, select

from pb.models.register import LetterCode, RegisterEntry
from pb.services import address_register, letter_codes, register_import
from pb.services.addresses import HouseNumber, parse_house_number
from tests.factories import make_area, make_register_entry

FUTURE = dt.date.today() + dt.timedelta(days=30)
BAG_HEADER = "openbare_ruimte;huisnummer;huisletter;huisnummertoevoeging;postcode;woonplaats"


@pytest.mark.parametrize(("text", "expected"), [
    ("12", HouseNumber(12)),
    ("12a", HouseNumber(12, "A")),
    ("12 A", HouseNumber(12, "A")),
    ("12-2", HouseNumber(12, "", "2")),
    ("12 bis", HouseNumber(12, "", "BIS")),
    ("12a-2", HouseNumber(12, "A", "2")),
    ("12A2", HouseNumber(12, "A", "2")),
    ("12-a", HouseNumber(12, "", "A")),
    (" 7 ", HouseNumber(7)),
    ("99999", HouseNumber(99999)),
])
def test_house_numbers_as_people_write_them(text, expected):
    assert parse_house_number(text) == expected


@pytest.mark.parametrize("text", ["", "a", "0", "123456", "12 toolongaddition", "12-!", "-3"])
def test_not_house_numbers(text):
    assert parse_house_number(text) is None


def _rows(session):
    return {(e.postcode, e.huisnummer, e.huisletter, e.huisnummertoevoeging): e
            for e in session.scalars(select(RegisterEntry))}


def test_bag_file_with_street_letter_toevoeging_and_woonplaats(session):
    ulft = make_area(session, slug="ulft", postcodes=["7071"])
    data = (f"{BAG_HEADER};aantal_stemgerechtigden\n"
            "Dorpsstraat;12;a;;7071 AB;Ulft;2\n"
            "Dorpsstraat;12;;2;7071AB;Ulft;\n"
            "Dorpsstraat;12a-2;;;7071AB;Ulft;\n"
            "Kerkstraat;3 bis;;;7071AC;Ulft;1\n").encode()
    result = register_import.import_addresses(session, io.BytesIO(data), actor=None)
    assert (result.created, result.updated, result.unchanged) == (4, 0, 0) and result.per_area == {"ulft": 4}
    rows = _rows(session)
    assert set(rows) == {("7071AB", 12, "A", ""), ("7071AB", 12, "", "2"), ("7071AB", 12, "A", "2"),
                         ("7071AC", 3, "", "BIS")}
    entry = rows[("7071AB", 12, "A", "2")]
    assert (entry.street, entry.woonplaats, entry.area_id) == ("Dorpsstraat", "Ulft", ulft.id)
    assert entry.postal_lines == ("Dorpsstraat 12A-2", "7071 AB  ULFT")
    assert rows[("7071AB", 12, "A", "")].eligible_count == 2


def test_old_format_still_reads_and_keeps_known_streets(session):
    make_area(session, slug="ulft", postcodes=["7071"])
    register_import.import_addresses(session, f"{BAG_HEADER}\nDorpsstraat;12;A;;7071AB;Ulft\n".encode(), actor=None)
    old = b"postcode;huisnummer;toevoeging;gebied;aantal_stemgerechtigden\n7071AB;12;a;ulft;3\n7071AB;14;bis;ulft;\n"
    result = register_import.import_addresses(session, old, actor=None)
    assert (result.created, result.updated) == (1, 1)
    rows = _rows(session)
    assert rows[("7071AB", 12, "A", "")].street == "Dorpsstraat"  # the old format has no street: kept
    assert rows[("7071AB", 12, "A", "")].eligible_count == 3
    assert rows[("7071AB", 14, "", "BIS")].street == ""


def test_wrong_header_names_the_expected_columns(session):
    with pytest.raises(register_import.ImportFailed) as info:
        register_import.import_addresses(session, b"straat;nummer;postcode\nA;1;7071AB\n", actor=None)
    message = info.value.errors[0].message
    assert info.value.errors[0].line == 1 and BAG_HEADER in message
    with pytest.raises(register_import.ImportFailed) as info:
        register_import.import_addresses(session, b"openbare_ruimte;huisnummer;postcode\nA;1;7071AB\n", actor=None)
    assert "woonplaats" in info.value.errors[0].message


def test_bag_rows_checked_per_column(session):
    make_area(session, slug="ulft", postcodes=["7071"])
    data = (f"{BAG_HEADER}\n"
            "Dorpsstraat;12;AB;;7071AB;Ulft\n"
            "Dorpsstraat;12;;TOOLONG;7071AB;Ulft\n"
            "Dorpsstraat;12a;B;;7071AB;Ulft\n"
            ";12;;;7071AB;\n"
            "Dorpsstraat;12;;;7071AB;Ulft\n").encode()
    with pytest.raises(register_import.ImportFailed) as info:
        register_import.import_addresses(session, data, actor=None)
    lines = {e.line: e.message for e in info.value.errors}
    assert sorted(lines) == [2, 3, 4, 5]
    assert "huisletter" in lines[2] and "huisnummertoevoeging" in lines[3] and "één kolom" in lines[4]
    assert session.scalar(select(func.count(RegisterEntry.id))) == 0


def test_windows_1252_and_utf8_bom(session):
    make_area(session, slug="ulft", postcodes=["7071"])
    data = f"\ufeff{BAG_HEADER}\nPastoor Thijssenstraat;1;;;7071AB;Ulft\n".encode() \
        + "Pieter Ca\u00e9sstraat;2;;;7071AB;Ulft\n".encode("cp1252")
    register_import.import_addresses(session, data, actor=None)
    assert {e.street for e in session.scalars(select(RegisterEntry))} == {"Pastoor Thijssenstraat",
                                                                         "Pieter Ca\u00e9sstraat"}


def test_many_errors_are_capped_and_counted(session, app):
    make_area(session, slug="ulft", postcodes=["7071"])
    bad = "\n".join(f"Dorpsstraat;x{i};;;7071AB;Ulft" for i in range(register_import.MAX_REPORTED_ERRORS + 500))
    with pytest.raises(register_import.ImportFailed) as info:
        register_import.import_addresses(session, f"{BAG_HEADER}\n{bad}\n".encode(), actor=None)
    assert info.value.total == register_import.MAX_REPORTED_ERRORS + 500
    assert len(info.value.errors) == register_import.MAX_REPORTED_ERRORS
    assert info.value.errors[0].line == 2
    report = register_import.error_report_csv(info.value.errors, info.value.total)
    assert report.splitlines()[-1] == ';"en nog 500 fouten; verbeter deze eerst en lees het bestand opnieuw in."'


class _ReadOnce(io.RawIOBase):
    """A stream that hands out small reads and records the largest request (no whole-file read)."""

    def __init__(self, data: bytes) -> None:
        self._data, self._pos, self.largest = data, 0, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), len(self._data) - self._pos)
        self.largest = max(self.largest, len(buffer))
        buffer[:n] = self._data[self._pos:self._pos + n]
        self._pos += n
        return n


def test_import_streams_in_chunks(session, monkeypatch):
    make_area(session, slug="ulft", postcodes=["7071", "7072"])
    monkeypatch.setattr(register_import, "CHUNK_ROWS", 100)
    lines = [BAG_HEADER] + [f"Dorpsstraat;{n};;;7071AB;Ulft" for n in range(1, 2001)]
    source = _ReadOnce("\n".join(lines).encode())
    progress: list[int] = []
    result = register_import.import_addresses(session, io.BufferedReader(source, 8192), actor=None,
                                              progress=progress.append)
    assert result.created == 2000 and progress == list(range(100, 2001, 100))
    assert source.largest <= 8192  # read in small pieces, never as a whole


def test_duplicate_and_lowered_rows_found_after_streaming(session):
    area = make_area(session, slug="ulft", postcodes=["7071"])
    entry = make_register_entry(session, area, postcode="7071AB", huisnummer=5, eligible_count=2)
    entry.verified_count = 2
    session.flush()
    data = (f"{BAG_HEADER};aantal_stemgerechtigden\n"
            "Dorpsstraat;1;;;7071AB;Ulft;1\n"
            "Dorpsstraat;5;;;7071AB;Ulft;1\n"
            "Dorpsstraat;1;;;7071 ab;Ulft;1\n").encode()
    with pytest.raises(register_import.ImportFailed) as info:
        register_import.import_addresses(session, data, actor=None)
    assert [(e.line, e.message) for e in info.value.errors] == [
        (3, "Op dit adres zijn al 2 bewoners bevestigd; het aantal kan niet lager."),
        (4, "Dit adres staat ook al op regel 2."),
    ]


def _max_parameters(session, action) -> int:
    """Run ``action`` and return the most parameters any one statement (or executemany row) had."""
    most = 0

    def count(_conn, _cursor, _statement, parameters, _context, executemany):
        nonlocal most
        rows = parameters if executemany else [parameters]
        for row in rows or []:
            most = max(most, len(row) if hasattr(row, "__len__") else 1)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return most


def test_no_statement_grows_with_the_number_of_addresses(app, session, monkeypatch):
    """Threat #10 and the PostgreSQL limit of 65,535 parameters: no IN list of ids, anywhere."""
    area = make_area(session, slug="ulft", postcodes=["7071"])
    lines = [BAG_HEADER] + [f"Dorpsstraat;{n};;;7071AB;Ulft" for n in range(1, 3001)]
    most = _max_parameters(session, lambda: register_import.import_addresses(session, "\n".join(lines).encode(),
                                                                             actor=None))
    assert most < 100
    monkeypatch.setattr(letter_codes, "PAGE_SIZE", 100)
    with app.test_request_context():
        most = _max_parameters(session, lambda: letter_codes.generate_codes(
            session, area, actor=None, valid_until=FUTURE, sink=lambda _letter: None))
        assert most <= 100 * 5  # one page of codes, five values each; 3,000 ids would not fit
        most = _max_parameters(session, lambda: letter_codes.generate_codes(
            session, area, actor=None, valid_until=FUTURE, sink=lambda _letter: None))
        assert most <= 100 * 5
    session.commit()  # the area has no round, so the purge may run
    most = _max_parameters(session, lambda: address_register.purge_register(session, area, actor=None))
    assert most < 100
    assert session.scalar(select(func.count(LetterCode.id))) == 0
    assert session.scalar(select(func.count(RegisterEntry.id))) == 0


def test_letters_stream_to_a_sink_in_postcode_order(app, session, monkeypatch):
    area = make_area(session)
    for postcode, number in (("7072AA", 1), ("7071AB", 3), ("7071AB", 1)):
        make_register_entry(session, area, postcode=postcode, huisnummer=number)
    monkeypatch.setattr(letter_codes, "PAGE_SIZE", 2)
    seen = []
    with app.test_request_context():
        batch = letter_codes.generate_codes(session, area, actor=None, valid_until=FUTURE, sink=seen.append)
    assert batch.letters == [] and (batch.address_count, batch.code_count) == (3, 3)
    assert [(lt.entry.postcode, lt.entry.huisnummer) for lt in seen] == [("7071AB", 1), ("7071AB", 3), ("7072AA", 1)]


_NUMBERS = ["12", "7", "0", "00", "99999", "100000", "12a", "12 bis", "a", "²", "١٢", ""]
_LETTERS = ["", "", "a", "B", "AB", "1", "é"]
_ADDITIONS = ["", "", "2", "bis", "A", "toolong", "-", "2 b"]
_POSTCODES = ["7071AB", "7071 ab", " 7071AB ", "0071AB", "7071  AB", "7072AB", "", "７０７１AB"]
_STREETS = ["Dorpsstraat", "", "x" * 81, " Kerkstraat "]
_SLUGS = ["", "ulft", "ULFT", "nergens"]
_COUNTS = ["", "1", "0", "50", "51", "x", "²"]
_YEARS = ["", "1990", "1899", "3000", "x"]
_COLUMNS = {
    True: [_STREETS, _NUMBERS, _LETTERS, _ADDITIONS, _POSTCODES, _STREETS, _SLUGS, _COUNTS, _YEARS],
    False: [_POSTCODES, _NUMBERS, _LETTERS + _ADDITIONS, _SLUGS, _COUNTS, _YEARS],
}


def test_fast_path_agrees_with_the_plain_check(app, session):
    """The fast path accepts only rows the plain check accepts, and stages them identically."""
    make_area(session, slug="ulft", postcodes=["7071"])
    headers = {True: (BAG_HEADER + ";gebied;aantal_stemgerechtigden;geboortejaar").split(";"),
               False: "postcode;huisnummer;toevoeging;gebied;aantal_stemgerechtigden;geboortejaar".split(";")}
    with app.app_context():
        checkers = {bag: register_import._RowChecker(session, register_import._Format(h)) for bag, h in headers.items()}
    accepted = []

    @settings(max_examples=600, deadline=None)
    @given(st.booleans().flatmap(lambda bag: st.tuples(st.just(bag), st.tuples(*map(st.sampled_from, _COLUMNS[bag])))))
    def agree(case):
        bag, values = case
        fast = checkers[bag].fast(2, list(values))
        plain, problems = checkers[bag].check(list(values))
        if fast is not None:
            accepted.append(fast)
            assert plain is not None and not problems and fast == (2, *plain[1:])

    with app.test_request_context():
        agree()
    assert accepted  # the fast path was exercised, not only refused
