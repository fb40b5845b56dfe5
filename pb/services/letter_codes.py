"""Letter codes: generate, export as letters and a mailing-house CSV, check, regenerate.

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
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

import segno
from flask import current_app, render_template
from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from pb.clock import local_today
from pb.db import rowcount
from pb.csv_cells import csv_safe
from pb.errors import ValidationFailed
from pb.models.area import Area
from pb.models.register import LetterCode, RegisterEntry
from pb.models.user import User
from pb.services import audit

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 16
GROUP = 4
_KEY_LABEL = b"pb.letter-codes.hmac-key.v1"
_ALLOWED = frozenset(ALPHABET)

ProgressCallback = Callable[[int, int], None]


def new_code() -> str:
    """Return a fresh random code (ungrouped, upper case)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


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


def verify_url(entry: RegisterEntry, code: str) -> str:
    """The link in the QR code: the verification page with address and code filled in."""
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    query = urlencode({"postcode": entry.postcode, "huisnummer": entry.huisnummer,
                       "toevoeging": entry.toevoeging, "code": group_code(code)})
    return f"{base}/verify?{query}"


def qr_data_uri(url: str) -> str:
    """A QR code for ``url`` as an SVG data URI (allowed by the CSP's ``img-src data:``)."""
    return str(segno.make(url, error="m").svg_data_uri(scale=4, border=2))


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
class Letter:
    """The letter for one address: one code per resident still to verify there."""

    entry: RegisterEntry
    codes: list[PrintedCode]


@dataclass(frozen=True)
class CodeBatch:
    """The result of generating codes for an area: the plaintext exists only here."""

    area: Area
    batch: str
    valid_until: dt.date
    letters: list[Letter]
    revoked: int

    @property
    def code_count(self) -> int:
        """How many codes were made."""
        return sum(len(letter.codes) for letter in self.letters)


def existing_code_count(session: Session, area: Area) -> int:
    """How many unused codes the area has now (they stop working when new ones are made)."""
    return session.scalar(
        select(func.count(LetterCode.id)).join(RegisterEntry)
        .where(RegisterEntry.area_id == area.id, LetterCode.used_at.is_(None))
    ) or 0


def generate_codes(
    session: Session,
    area: Area,
    *,
    actor: User | None,
    valid_until: dt.date,
    today: dt.date | None = None,
    progress: ProgressCallback | None = None,
) -> CodeBatch:
    """Make new codes for every address of ``area``; unused older codes stop working. Audited.

    Each address gets one code per resident who has not yet verified there.

    Args:
        session: the session; the caller commits after exporting.
        area: the area.
        actor: the manager (None for the CLI).
        valid_until: the last day the codes work.
        today: for tests; defaults to the current date.
        progress: called with (done, total) addresses every 500 addresses and at the end.

    Raises:
        ValidationFailed: ``valid_until`` lies in the past, or the area has no addresses.
    """
    if valid_until < (today or local_today()):
        raise ValidationFailed(_("Kies een datum in de toekomst."), field="valid_until")
    entries = list(session.scalars(
        select(RegisterEntry).where(RegisterEntry.area_id == area.id)
        .order_by(RegisterEntry.postcode, RegisterEntry.huisnummer, RegisterEntry.toevoeging)
    ))
    if not entries:
        raise ValidationFailed(_("Er staan nog geen adressen van dit gebied in het adressenbestand."))
    entry_ids = [e.id for e in entries]
    revoked = rowcount(session.execute(
        delete(LetterCode).where(LetterCode.register_entry_id.in_(entry_ids), LetterCode.used_at.is_(None))
        .execution_options(synchronize_session=False)
    ))
    key = hmac_key()
    batch = secrets.token_hex(8)
    letters: list[Letter] = []
    total = len(entries)
    for done, entry in enumerate(entries, start=1):
        printed = []
        for _i in range(entry.places_left):
            code = new_code()
            session.add(LetterCode(register_entry_id=entry.id, code_hmac=code_hmac(code, key),
                                   batch=batch, valid_until=valid_until))
            printed.append(PrintedCode(code=code, url=verify_url(entry, code)))
        if printed:
            letters.append(Letter(entry=entry, codes=printed))
        if progress is not None and (done % 500 == 0 or done == total):
            session.flush()
            progress(done, total)
    session.flush()
    result = CodeBatch(area=area, batch=batch, valid_until=valid_until, letters=letters, revoked=revoked)
    audit.record(session, actor=actor, action="letter_codes.generate", obj_type="area", obj_id=area.id,
                 area_id=area.id,
                 after={"batch": batch, "codes": result.code_count, "addresses": len(letters),
                        "valid_until": valid_until.isoformat(), "revoked_unused": revoked})
    return result


def mailing_csv(batch: CodeBatch) -> str:
    """The CSV for a mailing house: ``postcode,huisnummer,toevoeging,code,url``, one row per code."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["postcode", "huisnummer", "toevoeging", "code", "url"])
    for letter in batch.letters:
        for printed in letter.codes:
            e = letter.entry
            writer.writerow([csv_safe(v) for v in (e.postcode, e.huisnummer, e.toevoeging, printed.grouped, printed.url)])
    return out.getvalue()


def _letters_with_qr(batch: CodeBatch) -> Iterator[tuple[Letter, list[tuple[PrintedCode, str]]]]:
    for letter in batch.letters:
        yield letter, [(p, qr_data_uri(p.url)) for p in letter.codes]


def letters_html(batch: CodeBatch) -> str:
    """Printable A4 letters, one per address (a standalone HTML file with print CSS)."""
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    return render_template("residency/letters.html", batch=batch, letters=_letters_with_qr(batch),
                           verify_page=f"{base}/verify")


def export_zip(batch: CodeBatch) -> bytes:
    """A ZIP with ``brieven.html`` and ``drukkerij.csv``: the only copy of the codes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("brieven.html", letters_html(batch))
        zf.writestr("drukkerij.csv", mailing_csv(batch))
    return out.getvalue()
