"""Letter codes: strength, uniqueness, HMAC-only storage, regeneration, exports (threat #5)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import zipfile

import pytest
from sqlalchemy import select, text

from pb.db import Base
from pb.errors import ValidationFailed
from pb.models.audit import AuditEntry
from pb.models.register import LetterCode
from pb.services import letter_codes
from tests.factories import make_area, make_register_entry, make_user

FUTURE = dt.date.today() + dt.timedelta(days=30)


def test_alphabet_has_no_look_alikes_and_codes_have_enough_bits():
    assert not set("0O1Il") & set(letter_codes.ALPHABET)
    assert len(set(letter_codes.ALPHABET)) == len(letter_codes.ALPHABET) == 31
    assert letter_codes.CODE_LENGTH * math.log2(len(letter_codes.ALPHABET)) >= 59
    code = letter_codes.new_code()
    assert len(code) == 16 and set(code) <= set(letter_codes.ALPHABET)


def test_hundred_thousand_codes_have_no_duplicates():
    codes = {letter_codes.new_code() for _ in range(100_000)}
    assert len(codes) == 100_000


def test_normalise_and_group():
    code = "ABCD2345EFGH6789"
    assert letter_codes.group_code(code) == "ABCD-2345-EFGH-6789"
    assert letter_codes.normalise_code(" abcd-2345 efgh-6789 ") == code
    assert letter_codes.looks_like_code(code)
    assert not letter_codes.looks_like_code("ABCD2345EFGH678O")  # letter O is not in the alphabet


def test_hmac_uses_a_server_side_key(app):
    with app.app_context():
        derived = letter_codes.code_hmac("ABCD2345EFGH6789")
        app.config["CODE_HMAC_KEY"] = "another-key"
        configured = letter_codes.code_hmac("ABCD2345EFGH6789")
    assert derived != configured and len(derived) == 64
    import hashlib

    assert derived != hashlib.sha256(b"ABCD2345EFGH6789").hexdigest()


def _all_database_text(session) -> str:
    parts = []
    for table in Base.metadata.sorted_tables:
        for row in session.execute(select(table)):
            parts.extend(str(v) for v in row)
    return "\n".join(parts)


def test_generate_stores_only_hmacs_one_per_eligible_resident(session):
    area = make_area(session, slug="ulft")
    make_register_entry(session, area, postcode="7071AA", huisnummer=1, eligible_count=2)
    make_register_entry(session, area, postcode="7071AA", huisnummer=3)
    make_register_entry(session, make_area(session), postcode="7081AA", huisnummer=1)
    manager = make_user(session)
    batch = letter_codes.generate_codes(session, area, actor=manager, valid_until=FUTURE)
    session.commit()
    printed = [p.code for letter in batch.letters for p in letter.codes]
    assert len(printed) == 3 and len(set(printed)) == 3
    assert [len(letter.codes) for letter in batch.letters] == [2, 1]
    stored = set(session.scalars(select(LetterCode.code_hmac)))
    assert stored == {letter_codes.code_hmac(c) for c in printed}
    everything = _all_database_text(session)
    for code in printed:
        assert code not in everything and letter_codes.group_code(code) not in everything
        assert code.lower() not in everything.lower()
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "letter_codes.generate"))
    assert entry.actor_id == manager.id and entry.after["codes"] == 3


def test_regenerating_revokes_unused_codes_and_keeps_used_ones(session):
    area = make_area(session)
    entry = make_register_entry(session, area, eligible_count=2)
    first = letter_codes.generate_codes(session, area, actor=None, valid_until=FUTURE)
    used_hmac = letter_codes.code_hmac(first.letters[0].codes[0].code)
    session.execute(text("UPDATE letter_codes SET used_at = CURRENT_TIMESTAMP WHERE code_hmac = :h"), {"h": used_hmac})
    session.execute(text("UPDATE register_entries SET verified_count = 1 WHERE id = :i"), {"i": entry.id})
    session.commit()
    assert letter_codes.existing_code_count(session, area) == 1
    second = letter_codes.generate_codes(session, area, actor=None, valid_until=FUTURE)
    session.commit()
    assert second.revoked == 1
    assert second.code_count == 1  # one resident still to verify
    hmacs = set(session.scalars(select(LetterCode.code_hmac)))
    assert hmacs == {used_hmac, letter_codes.code_hmac(second.letters[0].codes[0].code)}
    audits = session.scalars(select(AuditEntry).where(AuditEntry.action == "letter_codes.generate")).all()
    assert [a.after["revoked_unused"] for a in audits] == [0, 1]


def test_generate_refuses_past_date_and_empty_area(session):
    area = make_area(session)
    with pytest.raises(ValidationFailed):
        letter_codes.generate_codes(session, area, actor=None, valid_until=FUTURE)
    make_register_entry(session, area)
    with pytest.raises(ValidationFailed):
        letter_codes.generate_codes(session, area, actor=None, valid_until=dt.date.today() - dt.timedelta(days=1))


def test_progress_is_reported(session):
    area = make_area(session)
    for n in range(1, 4):
        make_register_entry(session, area, huisnummer=n)
    calls = []
    letter_codes.generate_codes(session, area, actor=None, valid_until=FUTURE,
                                progress=lambda done, total: calls.append((done, total)))
    assert calls == [(3, 3)]


def test_exports_letters_and_mailing_csv(app, session):
    area = make_area(session, name="Ulft")
    make_register_entry(session, area, postcode="7071AB", huisnummer=12, toevoeging="A", street="Kerkstraat")
    batch = letter_codes.generate_codes(session, area, actor=None, valid_until=FUTURE)
    code = batch.letters[0].codes[0]
    rows = list(csv.reader(io.StringIO(letter_codes.mailing_csv(batch))))
    url = "http://buurtbudget.test/verify?postcode=7071AB&huisnummer=12&toevoeging=A&code=" + code.grouped
    assert rows == [list(letter_codes.MAILING_COLUMNS),
                    [code.grouped, url, "Kerkstraat", "12", "A", "", "7071AB", "Ulft", "Kerkstraat 12A", "7071 AB  ULFT"]]
    html = letter_codes.letters_html(batch)
    assert code.grouped in html and "Kerkstraat 12A<br>" in html and "7071 AB  ULFT" in html
    assert "@page" in html and "break-after: page" in html
    assert letter_codes.qr_data_uri(url) in html.replace("&amp;", "&")
    assert "Beste bewoner" in html and html.count("<section class=\"letter\">") == 1
    with zipfile.ZipFile(io.BytesIO(letter_codes.export_zip(batch))) as zf:
        assert zf.namelist() == ["brieven-0001.html", "drukkerij.csv"]


def test_each_resident_at_an_address_gets_a_page_of_their_own(app, session):
    area = make_area(session)
    make_register_entry(session, area, eligible_count=2)
    batch = letter_codes.generate_codes(session, area, actor=None, valid_until=FUTURE)
    html = letter_codes.letters_html(batch)
    pages = html.split('<section class="letter">')[1:]
    assert len(pages) == 2
    for n, (page, printed) in enumerate(zip(pages, batch.letters[0].codes), start=1):
        assert f"Dit is brief {n} van 2" in page and printed.grouped in page
