"""Importing the address register from a CSV file: streamed, checked, all rows or nothing.

Two formats are read (comma or semicolon separated, UTF-8 or Windows-1252):

- the BAG format: ``openbare_ruimte;huisnummer;huisletter;huisnummertoevoeging;postcode;woonplaats``
  with the optional columns ``gebied``, ``aantal_stemgerechtigden`` (default 1) and
  ``geboortejaar``. The huisnummer may carry the letter and addition ("12a", "12-2", "12 bis")
  when the columns for those are empty.
- the older format ``postcode;huisnummer;toevoeging;gebied`` (same optional columns), without
  street and woonplaats; a one-letter toevoeging is read as the huisletter.

Without ``gebied`` the area follows from the postcode. The file is read as a stream: each row is
checked on its own and the good ones go in chunks into a temporary table (``COPY`` on PostgreSQL);
duplicates, lowered counts and the changes are then found with a few set-based statements. One
bad row and nothing changes. Rows are matched on postcode, huisnummer, huisletter and
toevoeging, so importing the same file again changes nothing; addresses missing from a later file
are kept (a file may cover only part of the municipality).
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO, Any, cast

from flask_babel import gettext as _
from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, and_, exists, func, insert, literal, \
    select, update
from sqlalchemy.orm import Session

from pb.clock import local_today
from pb.csv_cells import csv_safe
from pb.db import utcnow
from pb.errors import ValidationFailed
from pb.models.area import Area, AreaPostcode
from pb.models.register import RegisterEntry
from pb.models.user import User
from pb.services import address_keys, audit
from pb.services.addresses import BAG_TOEVOEGING_RE, normalise_full_postcode, parse_house_number, split_suffix

MAX_ELIGIBLE = 50
MAX_REPORTED_ERRORS = 1000  # the report names the first ones; the message gives the total
CHUNK_ROWS = 10_000
_STREET_MAX = 80

# Column names as written in the header (lower case; spaces and underscores ignored) -> our name.
_ALIASES = {
    "openbareruimte": "street", "openbareruimtenaam": "street", "straat": "street", "straatnaam": "street",
    "huisnummer": "huisnummer", "huisletter": "huisletter", "huisnummertoevoeging": "huisnummertoevoeging",
    "toevoeging": "toevoeging", "postcode": "postcode", "woonplaats": "woonplaats",
    "woonplaatsnaam": "woonplaats", "gebied": "gebied", "aantalstemgerechtigden": "aantal_stemgerechtigden",
    "geboortejaar": "geboortejaar",
}
BAG_REQUIRED = ("street", "huisnummer", "postcode", "woonplaats")
BAG_OPTIONAL = ("huisletter", "huisnummertoevoeging", "gebied", "aantal_stemgerechtigden", "geboortejaar")
LEGACY_REQUIRED = ("postcode", "huisnummer", "toevoeging", "gebied")
LEGACY_OPTIONAL = ("aantal_stemgerechtigden", "geboortejaar")
EXPECTED_BAG_HEADER = "openbare_ruimte;huisnummer;huisletter;huisnummertoevoeging;postcode;woonplaats"
_HEADER_NAMES = {"street": "openbare_ruimte"}

Progress = Callable[[int], None]


@dataclass(frozen=True)
class RowError:
    """A problem in one line of the file (line 1 is the header)."""

    line: int
    message: str


class ImportFailed(ValidationFailed):
    """The file has errors; nothing was imported. ``errors`` holds the first ones, ``total`` all."""

    def __init__(self, errors: list[RowError], total: int | None = None) -> None:
        self.total = total if total is not None else len(errors)
        super().__init__(_("Het bestand heeft %(n)d fout(en). Er is niets ingelezen.", n=self.total))
        self.errors = sorted(errors, key=lambda e: e.line)[:MAX_REPORTED_ERRORS]


@dataclass
class ImportResult:
    """What an import changed."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    per_area: dict[str, int] = field(default_factory=dict)


# The good rows of the file being imported, in a temporary table of the import's own connection.
_staging_metadata = MetaData()
STAGING = Table(
    "register_import_rows", _staging_metadata,
    Column("line", Integer, nullable=False),
    Column("street", String(_STREET_MAX)),  # NULL: the file has no street (older format)
    Column("huisnummer", Integer, nullable=False),
    Column("huisletter", String(1), nullable=False),
    Column("huisnummertoevoeging", String(8), nullable=False),
    Column("postcode", String(6), nullable=False),
    Column("woonplaats", String(_STREET_MAX)),
    Column("area_id", Integer, nullable=False),
    Column("eligible", Integer, nullable=False),
    Column("birth_year", Integer),
    prefixes=["TEMPORARY"],
)
_STAGING_COLUMNS = [c.name for c in STAGING.columns]


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    """Decode bytes that are not UTF-8 as Windows-1252 (older spreadsheets), byte by byte."""
    assert isinstance(exc, UnicodeDecodeError)
    return exc.object[exc.start:exc.end].decode("cp1252", errors="replace"), exc.end


codecs.register_error("pb-cp1252", _cp1252_fallback)


def _text_stream(source: IO[bytes]) -> io.TextIOWrapper:
    return io.TextIOWrapper(source, encoding="utf-8-sig", errors="pb-cp1252", newline="")


class _Format:
    """The file's columns: which format, and where each column is."""

    def __init__(self, header: list[str]) -> None:
        names = ["".join(h.strip().lower().replace("_", "").split()) for h in header]
        self.columns = [_ALIASES.get(n, "") for n in names]
        self.bag = any(c in ("street", "woonplaats", "huisletter", "huisnummertoevoeging") for c in self.columns)
        required, optional = (BAG_REQUIRED, BAG_OPTIONAL) if self.bag else (LEGACY_REQUIRED, LEGACY_OPTIONAL)
        missing = [_HEADER_NAMES.get(c, c) for c in required if c not in self.columns]
        if missing:
            raise ImportFailed([RowError(1, _(
                "De kolom(men) %(cols)s ontbreken in de eerste regel. Verwacht: %(expected)s, en eventueel "
                "gebied, aantal_stemgerechtigden en geboortejaar (of het oude formaat "
                "postcode;huisnummer;toevoeging;gebied).", cols=", ".join(missing), expected=EXPECTED_BAG_HEADER))])
        unknown = [h.strip() for h, c in zip(header, self.columns) if c not in required + optional]
        if unknown:
            raise ImportFailed([RowError(1, _("Onbekende kolom(men): %(cols)s. Verwacht: %(expected)s.",
                                              cols=", ".join(unknown), expected=EXPECTED_BAG_HEADER))])
        self.index = {name: i for i, name in enumerate(self.columns)}


class _RowChecker:
    """Checks one row at a time; knows the areas (a small table) but nothing of other rows."""

    def __init__(self, session: Session, fmt: _Format) -> None:
        self.fmt = fmt
        self.areas_by_slug = {slug: aid for aid, slug in session.execute(select(Area.id, Area.slug))}
        self.area_by_postcode = dict(session.execute(select(AreaPostcode.postcode, AreaPostcode.area_id)).all())
        self.this_year = local_today().year
        where = fmt.index.get
        self._postcode, self._number = fmt.index["postcode"], fmt.index["huisnummer"]
        self._letter = where("huisletter")
        self._addition = where("huisnummertoevoeging") if fmt.bag else where("toevoeging")
        self._street, self._woonplaats = where("street", -1), where("woonplaats", -1)
        self._slug, self._eligible, self._year = where("gebied"), where("aantal_stemgerechtigden"), where("geboortejaar")

    def fast(self, line: int, values: list[str]) -> tuple[Any, ...] | None:
        """The staged row of an ordinary, clearly valid row; None sends the row to :meth:`check`.

        Most rows of a real register look alike; this path checks them with plain string tests
        (the same rules as :meth:`check`, which explains every refusal).
        """
        fmt = self.fmt
        if len(values) != len(fmt.columns):
            return None
        postcode = values[self._postcode].strip()
        if len(postcode) == 7 and postcode[4] == " ":
            postcode = postcode[:4] + postcode[5:]
        if not (len(postcode) == 6 and postcode.isascii() and postcode[:4].isdigit() and postcode[0] != "0"
                and postcode[4:].isalpha()):
            return None
        number = values[self._number].strip()
        if not (0 < len(number) <= 5 and number.isascii() and number.isdigit() and number != "0" * len(number)):
            return None
        letter = values[self._letter].strip().upper() if self._letter is not None else ""
        addition = values[self._addition].strip().upper() if self._addition is not None else ""
        if letter and not (len(letter) == 1 and letter.isascii() and letter.isalpha()):
            return None
        if addition and not (len(addition) <= (4 if fmt.bag else 0) and addition.isascii() and addition.isalnum()):
            return None
        street = woonplaats = None
        if fmt.bag:
            street, woonplaats = values[self._street].strip(), values[self._woonplaats].strip()
            if not (0 < len(street) <= _STREET_MAX and 0 < len(woonplaats) <= _STREET_MAX):
                return None
        slug = values[self._slug].strip() if self._slug is not None else ""
        area_id = self.areas_by_slug.get(slug.lower()) if slug else self._area_for_postcode(postcode.upper())
        if area_id is None:
            return None
        eligible = 1
        if self._eligible is not None and (raw := values[self._eligible].strip()):
            if not (raw.isascii() and raw.isdigit() and int(raw) <= MAX_ELIGIBLE):
                return None
            eligible = int(raw)
        birth_year = None
        if self._year is not None and (raw := values[self._year].strip()):
            if not (raw.isascii() and raw.isdigit() and 1900 <= int(raw) <= self.this_year):
                return None
            birth_year = int(raw)
        return (line, street, int(number), letter, addition, postcode.upper(), woonplaats, area_id, eligible,
                birth_year)

    def _area_for_postcode(self, postcode: str) -> int | None:
        return self.area_by_postcode.get(postcode) or self.area_by_postcode.get(postcode[:4])

    def check(self, values: list[str]) -> tuple[tuple[Any, ...] | None, list[str]]:
        """Return the staged row, or None and the problems."""
        idx = self.fmt.index
        width = len(self.fmt.columns)
        if len(values) != width:
            return None, [_("Deze regel heeft %(n)d kolommen in plaats van %(m)d.", n=len(values), m=width)]

        def cell(name: str) -> str:
            i = idx.get(name)
            return values[i].strip() if i is not None else ""

        problems: list[str] = []
        raw_postcode = cell("postcode")
        postcode = normalise_full_postcode(raw_postcode)
        if postcode is None:
            problems.append(_("'%(pc)s' is geen postcode zoals 1234 AB.", pc=raw_postcode))
        raw_number = cell("huisnummer")
        number = parse_house_number(raw_number)
        letter = toevoeging = ""
        if number is None:
            problems.append(_("'%(n)s' is geen huisnummer.", n=raw_number))
        elif self.fmt.bag:
            letter, toevoeging = self._bag_suffix(cell, number.huisletter, number.toevoeging, problems)
        else:
            letter, toevoeging = self._legacy_suffix(cell, number.huisletter, number.toevoeging, problems)
        street = woonplaats = None
        if self.fmt.bag:
            street, woonplaats = cell("street"), cell("woonplaats")
            if not street or len(street) > _STREET_MAX:
                problems.append(_("Vul de straat (openbare ruimte) in, hoogstens %(n)d tekens.", n=_STREET_MAX))
            if not woonplaats or len(woonplaats) > _STREET_MAX:
                problems.append(_("Vul de woonplaats in, hoogstens %(n)d tekens.", n=_STREET_MAX))
        area_id = self._area(cell("gebied"), postcode, problems)
        eligible = 1
        raw_eligible = cell("aantal_stemgerechtigden")
        if raw_eligible:
            eligible = int(raw_eligible) if raw_eligible.isascii() and raw_eligible.isdigit() else -1
            if not 0 <= eligible <= MAX_ELIGIBLE:
                problems.append(_("'%(n)s' is geen geldig aantal stemgerechtigden (0 tot en met %(max)d).",
                                  n=raw_eligible, max=MAX_ELIGIBLE))
        birth_year = None
        raw_year = cell("geboortejaar")
        if raw_year:
            birth_year = int(raw_year) if raw_year.isascii() and raw_year.isdigit() else 0
            if not 1900 <= birth_year <= self.this_year:
                problems.append(_("'%(y)s' is geen geldig geboortejaar.", y=raw_year))
        if problems or number is None or postcode is None or area_id is None:
            return None, problems
        return (0, street, number.huisnummer, letter, toevoeging, postcode, woonplaats, area_id, eligible,
                birth_year), []

    @staticmethod
    def _bag_suffix(cell: Callable[[str], str], parsed_letter: str, parsed_toevoeging: str,
                    problems: list[str]) -> tuple[str, str]:
        letter, toevoeging = cell("huisletter").upper(), cell("huisnummertoevoeging")
        if (letter or toevoeging) and (parsed_letter or parsed_toevoeging):
            problems.append(_("Het huisnummer heeft al een huisletter of toevoeging; zet die in één kolom."))
            return "", ""
        if not (letter or toevoeging):
            letter, toevoeging = parsed_letter, parsed_toevoeging
        toevoeging = toevoeging.upper().replace(" ", "").replace("-", "")
        if letter and not (len(letter) == 1 and letter.isascii() and letter.isalpha()):
            problems.append(_("'%(l)s' is geen huisletter (één letter).", l=letter))
        if not BAG_TOEVOEGING_RE.match(toevoeging):
            problems.append(_("'%(t)s' is geen geldige huisnummertoevoeging (hoogstens 4 letters of cijfers).",
                              t=toevoeging))
        return letter, toevoeging

    @staticmethod
    def _legacy_suffix(cell: Callable[[str], str], parsed_letter: str, parsed_toevoeging: str,
                       problems: list[str]) -> tuple[str, str]:
        raw = cell("toevoeging")
        if raw and (parsed_letter or parsed_toevoeging):
            problems.append(_("Het huisnummer heeft al een toevoeging; zet die in één kolom."))
            return "", ""
        if not raw:
            return parsed_letter, parsed_toevoeging
        letter, toevoeging = split_suffix(raw)
        if not (letter + toevoeging).isalnum() or len(letter + toevoeging) > 8 or not (letter + toevoeging).isascii():
            problems.append(_("'%(t)s' is geen geldige toevoeging (hoogstens 8 letters of cijfers).", t=raw))
        return letter, toevoeging

    def _area(self, slug: str, postcode: str | None, problems: list[str]) -> int | None:
        if slug:
            area_id = self.areas_by_slug.get(slug.lower())
            if area_id is None:
                problems.append(_("Gebied '%(slug)s' bestaat niet.", slug=slug))
            return area_id
        if postcode is None:
            return None
        area_id = self._area_for_postcode(postcode)
        if area_id is None:
            problems.append(_("Postcode %(pc)s hoort bij geen enkel gebied. Vul de kolom gebied in.", pc=postcode))
        return area_id


_AREA = _STAGING_COLUMNS.index("area_id")


def _write_chunk(conn: Connection, rows: list[tuple[Any, ...]], per_area: Counter[int]) -> None:
    if not rows:
        return
    per_area.update(row[_AREA] for row in rows)
    if conn.dialect.name == "postgresql":
        raw: Any = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(
            f"COPY register_import_rows ({', '.join(_STAGING_COLUMNS)}) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
    else:
        placeholders = ", ".join("?" for _c in _STAGING_COLUMNS)
        conn.exec_driver_sql(
            f"INSERT INTO register_import_rows ({', '.join(_STAGING_COLUMNS)}) VALUES ({placeholders})", rows
        )


def _stage(conn: Connection, session: Session, source: IO[bytes], progress: Progress | None,
           per_area: Counter[int]) -> tuple[int, list[RowError], int]:
    """Read the file into the staging table; return (rows staged, first errors, number of errors).

    ``per_area`` counts the staged rows per area id.
    """
    text = _text_stream(source)
    try:
        first = text.readline()
        delimiter = ";" if first.count(";") >= first.count(",") else ","
        reader = csv.reader(itertools.chain([first], text), delimiter=delimiter)
        fmt = _Format(next(reader, []))
        checker = _RowChecker(session, fmt)
        errors: list[RowError] = []
        error_count = staged = 0
        chunk: list[tuple[Any, ...]] = []
        for values in reader:
            line = reader.line_num
            row = checker.fast(line, values)
            if row is None:
                if not "".join(values).strip():
                    continue
                row, problems = checker.check(values)
                if row is None:
                    error_count += len(problems)
                    if len(errors) < MAX_REPORTED_ERRORS:
                        errors.extend(RowError(line, p) for p in problems)
                    continue
                row = (line, *row[1:])
            chunk.append(row)
            if len(chunk) >= CHUNK_ROWS:
                _write_chunk(conn, chunk, per_area)
                staged += len(chunk)
                chunk = []
                if progress is not None:
                    progress(staged)
        _write_chunk(conn, chunk, per_area)
        staged += len(chunk)
    except csv.Error as exc:
        raise ImportFailed([RowError(reader.line_num, _("Deze regel is geen geldige CSV: %(e)s", e=str(exc)))]) \
            from exc
    finally:
        text.detach()
    return staged, errors, error_count


def _same_address(a: Any, b: Any) -> Any:
    """Both column collections (``table.c``) hold the same address."""
    return and_(a.postcode == b.postcode, a.huisnummer == b.huisnummer, a.huisletter == b.huisletter,
                a.huisnummertoevoeging == b.huisnummertoevoeging)


def _set_errors(conn: Connection) -> tuple[list[RowError], int]:
    """Duplicate addresses in the file, and counts lowered below the residents already verified."""
    s, entries = STAGING, RegisterEntry.__table__
    first = (
        select(s.c.postcode, s.c.huisnummer, s.c.huisletter, s.c.huisnummertoevoeging,
               func.min(s.c.line).label("first_line"))
        .group_by(s.c.postcode, s.c.huisnummer, s.c.huisletter, s.c.huisnummertoevoeging)
        .having(func.count() > 1).subquery()
    )
    duplicates = select(s.c.line, first.c.first_line).join(first, _same_address(s.c, first.c)).where(
        s.c.line != first.c.first_line)
    lowered = select(s.c.line, entries.c.verified_count).join(entries, _same_address(s.c, entries.c)).where(
        s.c.eligible < entries.c.verified_count)
    checks = [(duplicates, lambda n: _("Dit adres staat ook al op regel %(line)d.", line=n))]
    if conn.scalar(select(entries.c.id).where(entries.c.verified_count > 0).limit(1)) is not None:
        checks.append((lowered, lambda n: _("Op dit adres zijn al %(n)d bewoners bevestigd; het aantal kan niet "
                                            "lager.", n=n)))
    errors: list[RowError] = []
    total = 0
    for query, message in checks:
        found = conn.execute(query.order_by(s.c.line).limit(MAX_REPORTED_ERRORS)).all()
        errors.extend(RowError(line, message(number)) for line, number in found)
        if len(found) == MAX_REPORTED_ERRORS:  # only then is a count worth another pass
            total += conn.scalar(select(func.count()).select_from(query.subquery())) or 0
        else:
            total += len(found)
    return errors, total


def _apply(conn: Connection) -> tuple[int, int]:
    """Update changed addresses and insert new ones; return (created, updated)."""
    s, e = STAGING, cast(Table, RegisterEntry.__table__)
    changed = (
        (e.c.area_id != s.c.area_id) | (e.c.eligible_count != s.c.eligible)
        | e.c.birth_year.is_distinct_from(s.c.birth_year)
        | (s.c.street.is_not(None) & (e.c.street != s.c.street))
        | (s.c.woonplaats.is_not(None) & (e.c.woonplaats != s.c.woonplaats))
    )
    updated = conn.execute(
        update(e).where(_same_address(e.c, s.c), changed).values(
            area_id=s.c.area_id, eligible_count=s.c.eligible, birth_year=s.c.birth_year,
            street=func.coalesce(s.c.street, e.c.street), woonplaats=func.coalesce(s.c.woonplaats, e.c.woonplaats),
        ).execution_options(preserve_rowcount=True)
    ).rowcount or 0
    new_rows = select(
        s.c.area_id, func.coalesce(s.c.street, ""), s.c.huisnummer, s.c.huisletter, s.c.huisnummertoevoeging,
        s.c.postcode, func.coalesce(s.c.woonplaats, ""), s.c.eligible, literal(0), s.c.birth_year,
        literal(utcnow(), type_=e.c.imported_at.type),
    ).where(~exists().where(_same_address(e.c, s.c)))
    created = conn.execute(
        insert(e).from_select(
            ["area_id", "street", "huisnummer", "huisletter", "huisnummertoevoeging", "postcode", "woonplaats",
             "eligible_count", "verified_count", "birth_year", "imported_at"], new_rows)
        .execution_options(preserve_rowcount=True)  # SQLAlchemy drops an INSERT's row count otherwise
    ).rowcount or 0
    return created, updated


def import_addresses(session: Session, source: bytes | IO[bytes], *, actor: User | None,
                     progress: Progress | None = None) -> ImportResult:
    """Check every row of a register CSV, then create or update the addresses. Audited.

    Memory stays flat whatever the file's size: the file is read as a stream and only a chunk
    of rows is held at a time.

    Args:
        session: the session; the caller commits (or rolls back after :class:`ImportFailed`).
        source: the file, as a binary stream or bytes (UTF-8, or Windows-1252 from older spreadsheets).
        actor: the admin (None for the CLI or a job).
        progress: called with the number of good rows read so far, every few thousand rows.

    Raises:
        ImportFailed: any row is wrong (``errors`` names the lines); nothing changed.
    """
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    conn = session.connection()
    conn.exec_driver_sql("DROP TABLE IF EXISTS register_import_rows")
    # On failure the caller's rollback removes the temporary table with everything else.
    STAGING.create(conn)
    per_area_id: Counter[int] = Counter()
    staged, errors, error_count = _stage(conn, session, stream, progress, per_area_id)
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ANALYZE register_import_rows")
    set_errors, set_count = _set_errors(conn)
    if errors or set_errors:
        raise ImportFailed(errors + set_errors, error_count + set_count)
    if not staged:
        raise ImportFailed([RowError(1, _("Het bestand bevat geen adressen."))])
    first_new_id = (session.scalar(select(func.max(RegisterEntry.id))) or 0) + 1
    created, updated = _apply(conn)
    # Residents verified on an address in an earlier register cycle still count (threat 23).
    address_keys.restore_used_places(session, first_new_id)
    slugs = dict(session.execute(select(Area.id, Area.slug)).all())
    per_area = {slugs[area_id]: n for area_id, n in sorted(per_area_id.items())}
    conn.exec_driver_sql("DROP TABLE register_import_rows")
    session.expire_all()
    result = ImportResult(created=created, updated=updated, unchanged=staged - created - updated,
                          per_area=per_area)
    audit.record(session, actor=actor, action="register.import", obj_type="register", obj_id="-",
                 after={"created": result.created, "updated": result.updated,
                        "unchanged": result.unchanged, "areas": result.per_area})
    return result


def error_report_csv(errors: Iterable[RowError], total: int | None = None) -> str:
    """The import errors as a CSV (``regel;fout``) to download and fix the file."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["regel", "fout"])
    shown = 0
    for err in errors:
        message = err.message
        writer.writerow([err.line, csv_safe(message)])
        shown += 1
    if total is not None and total > shown:
        writer.writerow(["", _("en nog %(n)d fouten; verbeter deze eerst en lees het bestand opnieuw in.",
                               n=total - shown)])
    return out.getvalue()
