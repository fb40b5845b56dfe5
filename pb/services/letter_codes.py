"""Letter codes: generate, export as letters and a mailing-house CSV, check, regenerate.

Generation streams: the area's addresses are read a page at a time, their codes inserted a page
at a time, and each letter goes straight to the exports (the mailing-house CSV, printable HTML
letters in files of a few hundred letters, or a ZIP of both), so memory stays flat for any
number of addresses.

A code is 16 characters from a 31-character alphabet without look-alikes (no 0/O, 1/I/L):
16 x log2(31) = 79 bits. Only ``HMAC-SHA256(key, code)`` is stored. The key is the setting
``CODE_HMAC_KEY``; when it is not set, it is derived from ``SECRET_KEY`` (HMAC with a fixed
label), so changing the secret key makes every printed code unusable.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import secrets
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any, cast
from urllib.parse import quote

import segno
from flask import current_app, render_template
from flask_babel import gettext as _
from sqlalchemy import Table, delete, func, insert, select, tuple_
from sqlalchemy.orm import Session

from pb.clock import local_today
from pb.db import rowcount
from pb.csv_cells import csv_safe
from pb.errors import ValidationFailed
from pb.models.area import Area
from pb.models.register import BagAddress, LetterCode, RegisterEntry
from pb.models.user import User
from pb.services import audit

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 16
GROUP = 4
_KEY_LABEL = b"pb.letter-codes.hmac-key.v1"
_ALLOWED = frozenset(ALPHABET)

ProgressCallback = Callable[[int, int], None]


_UNBIASED_LIMIT = 256 - 256 % len(ALPHABET)  # bytes at or above this would favour the first letters


def new_code() -> str:
    """Return a fresh random code (ungrouped, upper case), uniform over the alphabet.

    Random bytes below a multiple of 31 are mapped onto the alphabet (rejection sampling): the
    same distribution as ``secrets.choice`` per character, at a fraction of the cost.
    """
    chars: list[str] = []
    while len(chars) < CODE_LENGTH:
        chars.extend(ALPHABET[b % len(ALPHABET)] for b in secrets.token_bytes(CODE_LENGTH + 4) if b < _UNBIASED_LIMIT)
    return "".join(chars[:CODE_LENGTH])


def group_code(code: str) -> str:
    """Show a code in groups of four: ``ABCD-EFGH-JKMN-PQRS``."""
    return "-".join(code[i:i + GROUP] for i in range(0, len(code), GROUP))


def normalise_code(text: str) -> str:
    """Strip spaces and dashes and upper-case what a resident typed."""
    return "".join(ch for ch in text.upper() if ch not in " -\t\u00a0")


def looks_like_code(code: str) -> bool:
    """Whether a normalised code has the right length and alphabet."""
    return len(code) == CODE_LENGTH and set(code) <= _ALLOWED


def hmac_key() -> bytes:
    """The server-side key the codes are hashed with (see the module docstring)."""
    configured = current_app.config.get("CODE_HMAC_KEY")
    if configured:
        return str(configured).encode()
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, _KEY_LABEL, hashlib.sha256).digest()


def code_hmac(code: str, key: bytes | None = None) -> str:
    """Return the hex HMAC-SHA256 of a normalised code."""
    return hmac.new(key if key is not None else hmac_key(), code.encode(), hashlib.sha256).hexdigest()


PAGE_SIZE = 1000
QR_MASK = 2
LETTERS_PER_FILE = 500


def verify_url(address: BagAddress, code: str) -> str:
    """The link in the QR code: the verification page with address and code filled in."""
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    suffix = address.huisletter + (f"-{address.huisnummertoevoeging}" if address.huisletter and
                                   address.huisnummertoevoeging else address.huisnummertoevoeging)
    # Every part is letters, digits and dashes (checked on import), so nothing needs escaping;
    # quote() stays for safety at little cost.
    return (f"{base}/verify?postcode={quote(address.postcode)}&huisnummer={address.huisnummer}"
            f"&toevoeging={quote(suffix)}&code={group_code(code)}")


def qr_data_uri(url: str) -> str:
    """A QR code for ``url`` as an SVG data URI (allowed by the CSP's ``img-src data:``)."""
    # A fixed mask: segno would otherwise score all eight masks, most of the time spent per letter;
    # readers decode any mask.
    return str(segno.make(url, error="m", mask=QR_MASK).svg_data_uri(scale=4, border=2))


@dataclass(frozen=True)
class PrintedCode:
    """One plaintext code, only in memory on its way into the export."""

    code: str
    url: str

    @property
    def grouped(self) -> str:
        """The code in groups of four."""
        return group_code(self.code)


@dataclass(frozen=True)
class LetterAddress(BagAddress):
    """The postal address a letter goes to (a copy of the register row's address)."""

    street: str
    huisnummer: int
    huisletter: str
    huisnummertoevoeging: str
    postcode: str
    woonplaats: str


@dataclass(frozen=True)
class Letter:
    """The letter for one address: one code per resident still to verify there."""

    entry: LetterAddress
    codes: list[PrintedCode]


LetterSink = Callable[[Letter], None]


@dataclass
class CodeBatch:
    """What generating codes for an area made. The plaintext codes went to the sink only.

    ``letters`` holds the letters only when no sink was given (small areas, tests).
    """

    area: Area
    batch: str
    valid_until: dt.date
    revoked: int
    code_count: int = 0
    address_count: int = 0
    letters: list[Letter] = field(default_factory=list)


def existing_code_count(session: Session, area: Area) -> int:
    """How many unused codes the area has now (they stop working when new ones are made)."""
    return session.scalar(
        select(func.count(LetterCode.id)).join(RegisterEntry)
        .where(RegisterEntry.area_id == area.id, LetterCode.used_at.is_(None))
    ) or 0


_ADDRESS_ORDER = (RegisterEntry.postcode, RegisterEntry.huisnummer, RegisterEntry.huisletter,
                  RegisterEntry.huisnummertoevoeging)


def _address_pages(session: Session, area: Area) -> Any:
    """The area's addresses in postcode order, a page at a time (keyset pagination: no OFFSET)."""
    last: tuple[Any, ...] | None = None
    while True:
        query = select(RegisterEntry.id, RegisterEntry.street, RegisterEntry.huisnummer, RegisterEntry.huisletter,
                       RegisterEntry.huisnummertoevoeging, RegisterEntry.postcode, RegisterEntry.woonplaats,
                       RegisterEntry.eligible_count - RegisterEntry.verified_count) \
            .where(RegisterEntry.area_id == area.id).order_by(*_ADDRESS_ORDER).limit(PAGE_SIZE)
        if last is not None:
            query = query.where(tuple_(*_ADDRESS_ORDER) > tuple_(*last))
        page = session.execute(query).all()
        if not page:
            return
        yield page
        last_row = page[-1]
        last = (last_row.postcode, last_row.huisnummer, last_row.huisletter, last_row.huisnummertoevoeging)


def check_can_generate(session: Session, area: Area, *, valid_until: dt.date, today: dt.date | None = None) -> int:
    """Refuse what :func:`generate_codes` would refuse (before a job is asked for); return the address count.

    Raises:
        ValidationFailed: ``valid_until`` lies in the past, or the area has no addresses.
    """
    if valid_until < (today or local_today()):
        raise ValidationFailed(_("Kies een datum in de toekomst."), field="valid_until")
    total = session.scalar(select(func.count(RegisterEntry.id)).where(RegisterEntry.area_id == area.id)) or 0
    if not total:
        raise ValidationFailed(_("Er staan nog geen adressen van dit gebied in het adressenbestand."))
    return total


def generate_codes(
    session: Session,
    area: Area,
    *,
    actor: User | None,
    valid_until: dt.date,
    today: dt.date | None = None,
    progress: ProgressCallback | None = None,
    sink: LetterSink | None = None,
) -> CodeBatch:
    """Make new codes for every address of ``area``; unused older codes stop working. Audited.

    Each address gets one code per resident who has not yet verified there. Addresses are read
    and codes written a page at a time; each letter is handed to ``sink`` as soon as it is made.

    Args:
        session: the session; the caller commits after exporting.
        area: the area.
        actor: the manager (None for the CLI).
        valid_until: the last day the codes work.
        today: for tests; defaults to the current date.
        progress: called with (done, total) addresses after every page of addresses.
        sink: receives every letter (with the plaintext codes); without one, the letters are
            collected in ``CodeBatch.letters`` (only for small areas).

    Raises:
        ValidationFailed: ``valid_until`` lies in the past, or the area has no addresses.
    """
    total = check_can_generate(session, area, valid_until=valid_until, today=today)
    area_entries = select(RegisterEntry.id).where(RegisterEntry.area_id == area.id)
    revoked = rowcount(session.execute(
        delete(LetterCode).where(LetterCode.register_entry_id.in_(area_entries), LetterCode.used_at.is_(None))
        .execution_options(synchronize_session=False)
    ))
    key = hmac_key()
    result = CodeBatch(area=area, batch=secrets.token_hex(8), valid_until=valid_until, revoked=revoked)
    deliver = sink if sink is not None else result.letters.append
    done = 0
    for page in _address_pages(session, area):
        rows: list[dict[str, Any]] = []
        for entry_id, street, number, letter, toevoeging, postcode, town, places in page:
            address = LetterAddress(street, number, letter, toevoeging, postcode, town)
            printed = []
            for _i in range(max(places, 0)):
                code = new_code()
                rows.append({"register_entry_id": entry_id, "code_hmac": code_hmac(code, key),
                             "batch": result.batch, "valid_until": valid_until})
                printed.append(PrintedCode(code=code, url=verify_url(address, code)))
            if printed:
                deliver(Letter(entry=address, codes=printed))
                result.address_count += 1
                result.code_count += len(printed)
        if rows:
            session.execute(insert(cast(Table, LetterCode.__table__)), rows)  # Core executemany: no ids fetched back
        done += len(page)
        if progress is not None:
            progress(done, total)
    audit.record(session, actor=actor, action="letter_codes.generate", obj_type="area", obj_id=area.id,
                 area_id=area.id,
                 after={"batch": result.batch, "codes": result.code_count, "addresses": result.address_count,
                        "valid_until": valid_until.isoformat(), "revoked_unused": revoked})
    return result


MAILING_COLUMNS = ("code", "qr_url", "straat", "huisnummer", "huisletter", "huisnummertoevoeging", "postcode",
                   "woonplaats", "adresregel_1", "adresregel_2")


class MailingCsv:
    """Writes the mailing house's CSV, one row per code: the code, the QR code's content (the
    link) and the full postal address, also as the two lines to print (see ``MAILING_COLUMNS``)."""

    def __init__(self, out: IO[str]) -> None:
        self._writer = csv.writer(out, lineterminator="\r\n")
        self._writer.writerow(MAILING_COLUMNS)

    def __call__(self, letter: Letter) -> None:
        """Add the rows of one letter."""
        a = letter.entry
        line_1, line_2 = a.postal_lines
        for printed in letter.codes:
            self._writer.writerow([csv_safe(v) for v in (
                printed.grouped, printed.url, a.street, a.huisnummer, a.huisletter, a.huisnummertoevoeging,
                a.postcode, a.woonplaats, line_1, line_2)])


class LettersHtml:
    """Writes printable A4 letters (one per code) as one standalone HTML file with print CSS."""

    def __init__(self, out: IO[str], area: Area, valid_until: dt.date) -> None:
        base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
        self._out = out
        self._context = {"area": area, "valid_until": valid_until, "verify_page": f"{base}/verify"}
        out.write(render_template("residency/_letters_head.html", **self._context))

    def __call__(self, letter: Letter) -> None:
        """Add the pages of one letter."""
        codes = [(p, qr_data_uri(p.url)) for p in letter.codes]
        self._out.write(render_template("residency/_letter.html", letter=letter, codes=codes, **self._context))

    def close(self) -> None:
        """End the document."""
        self._out.write("</body>\n</html>\n")


def letters_html(batch: CodeBatch) -> str:
    """Printable letters for a batch whose letters were collected (small areas, tests)."""
    out = io.StringIO()
    writer = LettersHtml(out, batch.area, batch.valid_until)
    for letter in batch.letters:
        writer(letter)
    writer.close()
    return out.getvalue()


def mailing_csv(batch: CodeBatch) -> str:
    """The mailing-house CSV for a batch whose letters were collected (small areas, tests)."""
    out = io.StringIO()
    writer = MailingCsv(out)
    for letter in batch.letters:
        writer(letter)
    return out.getvalue()


class LettersZip:
    """A ZIP with ``brieven-0001.html``, ``brieven-0002.html``, ... (``LETTERS_PER_FILE`` letters
    each) and ``drukkerij.csv``: the only copy of the codes. Written as the letters come in; the
    CSV waits in a temporary file until the letters are in."""

    def __init__(self, out: IO[bytes], area: Area, valid_until: dt.date,
                 letters_per_file: int = LETTERS_PER_FILE) -> None:
        self._zip = zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED)
        self._area, self._valid_until, self._per_file = area, valid_until, letters_per_file
        self._csv_file = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")
        self._csv = MailingCsv(self._csv_file)
        self._page: io.StringIO | None = None
        self._letters: LettersHtml | None = None
        self._in_page = 0
        self._files = 0

    def __call__(self, letter: Letter) -> None:
        """Add one letter to the current HTML file and its rows to the CSV."""
        if self._letters is None:
            self._page = io.StringIO()
            self._letters = LettersHtml(self._page, self._area, self._valid_until)
        self._letters(letter)
        self._csv(letter)
        self._in_page += 1
        if self._in_page >= self._per_file:
            self._flush_page()

    def _flush_page(self) -> None:
        if self._letters is None or self._page is None:
            return
        self._letters.close()
        self._files += 1
        self._zip.writestr(f"brieven-{self._files:04d}.html", self._page.getvalue())
        self._page, self._letters, self._in_page = None, None, 0

    def close(self) -> None:
        """Write the last HTML file and the CSV, and finish the ZIP."""
        self._flush_page()
        self._csv_file.seek(0)
        with self._zip.open("drukkerij.csv", "w") as target:
            while chunk := self._csv_file.read(1 << 16):
                target.write(chunk.encode("utf-8"))
        self._csv_file.close()
        self._zip.close()


def export_zip(batch: CodeBatch) -> bytes:
    """The ZIP for a batch whose letters were collected (small areas, tests)."""
    out = io.BytesIO()
    writer = LettersZip(out, batch.area, batch.valid_until)
    for letter in batch.letters:
        writer(letter)
    writer.close()
    return out.getvalue()

