"""The address register: import from CSV, search, purge.

The CSV has the header ``postcode;huisnummer;toevoeging;gebied`` (comma or semicolon separated)
with the optional columns ``aantal_stemgerechtigden`` (default 1) and ``geboortejaar``. Every row
is checked before anything is written: one bad row and nothing is imported. Rows are matched on
postcode + huisnummer + toevoeging, so importing the same file again changes nothing. Addresses
missing from a later file are kept (a file may cover only part of the municipality).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from pb.clock import local_today
from pb.db import rowcount
from pb.csv_cells import csv_safe
from pb.errors import InvalidState, ValidationFailed
from pb.models.area import Area, AreaPostcode
from pb.models.register import LetterCode, RegisterEntry
from pb.models.round import BudgetRound
from pb.models.user import User
from pb.services import audit

REQUIRED_COLUMNS = ("postcode", "huisnummer", "toevoeging", "gebied")
OPTIONAL_COLUMNS = ("aantal_stemgerechtigden", "geboortejaar")
FULL_POSTCODE_RE = re.compile(r"^([1-9][0-9]{3}) ?([A-Za-z]{2})$")
TOEVOEGING_RE = re.compile(r"^[A-Za-z0-9]{0,8}$")
MAX_ELIGIBLE = 50


def normalise_full_postcode(text: str) -> str | None:
    """Return ``1234AB`` for ``1234 ab``/``1234AB``, or None when it is not a full postcode."""
    match = FULL_POSTCODE_RE.match(text.strip())
    return (match.group(1) + match.group(2).upper()) if match else None


def normalise_toevoeging(text: str) -> str:
    """Upper case, without spaces and dashes (``-a`` and ``A`` are the same addition)."""
    return re.sub(r"[\s\-]", "", text or "").upper()


@dataclass(frozen=True)
class RowError:
    """A problem in one line of the file (line 1 is the header)."""

    line: int
    message: str


class ImportFailed(ValidationFailed):
    """The file has errors; nothing was imported."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(_("Het bestand heeft %(n)d fout(en). Er is niets ingelezen.", n=len(errors)))
        self.errors = errors


@dataclass
class ImportResult:
    """What an import changed."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    per_area: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Row:
    line: int
    postcode: str
    huisnummer: int
    toevoeging: str
    area: Area
    eligible: int
    birth_year: int | None


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _area_for_postcode(session: Session, postcode: str) -> Area | None:
    for candidate in (postcode, postcode[:4]):
        area = session.scalar(select(Area).join(AreaPostcode).where(AreaPostcode.postcode == candidate))
        if area is not None:
            return area
    return None


def _parse(session: Session, data: bytes) -> list[_Row]:
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ImportFailed([RowError(1, _("De kolom(men) %(cols)s ontbreken in de eerste regel.",
                                          cols=", ".join(missing)))])
    unknown = [h for h in header if h not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        raise ImportFailed([RowError(1, _("Onbekende kolom(men): %(cols)s.", cols=", ".join(unknown)))])
    index = {name: header.index(name) for name in header}
    areas_by_slug = {a.slug: a for a in session.scalars(select(Area))}
    this_year = local_today().year
    rows: list[_Row] = []
    errors: list[RowError] = []
    seen: dict[tuple[str, int, str], int] = {}
    for line, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            errors.append(RowError(line, _("Deze regel heeft %(n)d kolommen in plaats van %(m)d.",
                                           n=len(values), m=len(header))))
            continue
        cell = {name: values[i].strip() for name, i in index.items()}
        problems: list[str] = []
        postcode = normalise_full_postcode(cell["postcode"])
        if postcode is None:
            problems.append(_("'%(pc)s' is geen postcode zoals 1234 AB.", pc=cell["postcode"]))
        huisnummer = int(cell["huisnummer"]) if cell["huisnummer"].isdigit() else 0
        if not 1 <= huisnummer <= 99999:
            problems.append(_("'%(n)s' is geen huisnummer.", n=cell["huisnummer"]))
        toevoeging = normalise_toevoeging(cell["toevoeging"])
        if not TOEVOEGING_RE.match(toevoeging):
            problems.append(_("'%(t)s' is geen geldige toevoeging (hoogstens 8 letters of cijfers).",
                              t=cell["toevoeging"]))
        area: Area | None = None
        if cell["gebied"]:
            area = areas_by_slug.get(cell["gebied"].lower())
            if area is None:
                problems.append(_("Gebied '%(slug)s' bestaat niet.", slug=cell["gebied"]))
        elif postcode is not None:
            area = _area_for_postcode(session, postcode)
            if area is None:
                problems.append(_("Postcode %(pc)s hoort bij geen enkel gebied. Vul de kolom gebied in.",
                                  pc=postcode))
        eligible = 1
        raw_eligible = cell.get("aantal_stemgerechtigden", "")
        if raw_eligible:
            eligible = int(raw_eligible) if raw_eligible.isdigit() else -1
            if not 0 <= eligible <= MAX_ELIGIBLE:
                problems.append(_("'%(n)s' is geen geldig aantal stemgerechtigden (0 tot en met %(max)d).",
                                  n=raw_eligible, max=MAX_ELIGIBLE))
        birth_year: int | None = None
        raw_year = cell.get("geboortejaar", "")
        if raw_year:
            birth_year = int(raw_year) if raw_year.isdigit() else 0
            if not 1900 <= birth_year <= this_year:
                problems.append(_("'%(y)s' is geen geldig geboortejaar.", y=raw_year))
        if postcode is not None and not problems:
            key = (postcode, huisnummer, toevoeging)
            if key in seen:
                problems.append(_("Dit adres staat ook al op regel %(line)d.", line=seen[key]))
            else:
                seen[key] = line
        if problems:
            errors.extend(RowError(line, p) for p in problems)
            continue
        assert postcode is not None and area is not None
        rows.append(_Row(line, postcode, huisnummer, toevoeging, area, eligible, birth_year))
    if errors:
        raise ImportFailed(errors)
    if not rows:
        raise ImportFailed([RowError(1, _("Het bestand bevat geen adressen."))])
    return rows


def import_addresses(session: Session, data: bytes, *, actor: User | None) -> ImportResult:
    """Check every row of a register CSV, then create or update the addresses. Audited.

    Args:
        session: the session; the caller commits.
        data: the file's bytes (UTF-8, or Windows-1252 from older spreadsheets).
        actor: the admin (None for the CLI).

    Raises:
        ImportFailed: any row is wrong (``errors`` lists them with line numbers); nothing changed.
    """
    rows = _parse(session, data)
    existing = {
        (e.postcode, e.huisnummer, e.toevoeging): e for e in session.scalars(select(RegisterEntry))
    }
    result = ImportResult()
    for row in rows:
        entry = existing.get((row.postcode, row.huisnummer, row.toevoeging))
        result.per_area[row.area.slug] = result.per_area.get(row.area.slug, 0) + 1
        if entry is None:
            session.add(RegisterEntry(area_id=row.area.id, postcode=row.postcode, huisnummer=row.huisnummer,
                                      toevoeging=row.toevoeging, eligible_count=row.eligible,
                                      verified_count=0, birth_year=row.birth_year))
            result.created += 1
        elif (entry.area_id, entry.eligible_count, entry.birth_year) == (row.area.id, row.eligible, row.birth_year):
            result.unchanged += 1
        else:
            if row.eligible < entry.verified_count:
                raise ImportFailed([RowError(row.line, _(
                    "Op dit adres zijn al %(n)d bewoners bevestigd; het aantal kan niet lager.",
                    n=entry.verified_count))])
            entry.area_id = row.area.id
            entry.eligible_count = row.eligible
            entry.birth_year = row.birth_year
            result.updated += 1
    session.flush()
    audit.record(session, actor=actor, action="register.import", obj_type="register", obj_id="-",
                 after={"created": result.created, "updated": result.updated,
                        "unchanged": result.unchanged, "areas": result.per_area})
    return result


def error_report_csv(errors: list[RowError]) -> str:
    """The import errors as a CSV (``regel;fout``) to download and fix the file."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["regel", "fout"])
    for err in errors:
        writer.writerow([err.line, csv_safe(err.message)])
    return out.getvalue()


def find_entries(session: Session, postcode: str, huisnummer: int | None) -> list[RegisterEntry]:
    """Register entries at a postcode (and house number), for the information point."""
    normal = normalise_full_postcode(postcode)
    if normal is None:
        raise ValidationFailed(_("Vul een postcode in zoals 1234 AB."), field="postcode")
    query = select(RegisterEntry).where(RegisterEntry.postcode == normal)
    if huisnummer is not None:
        query = query.where(RegisterEntry.huisnummer == huisnummer)
    return list(session.scalars(query.order_by(RegisterEntry.huisnummer, RegisterEntry.toevoeging)))


def area_counts(session: Session) -> dict[int, tuple[int, int]]:
    """Per area id: (addresses, unused codes) in the register."""
    addresses = dict(session.execute(
        select(RegisterEntry.area_id, func.count(RegisterEntry.id)).group_by(RegisterEntry.area_id)
    ).all())
    codes = dict(session.execute(
        select(RegisterEntry.area_id, func.count(LetterCode.id)).join(LetterCode)
        .where(LetterCode.used_at.is_(None)).group_by(RegisterEntry.area_id)
    ).all())
    return {aid: (n, codes.get(aid, 0)) for aid, n in addresses.items()}


@dataclass(frozen=True)
class PurgeResult:
    """What a purge removed."""

    addresses: int
    codes: int


def purge_register(session: Session, area: Area, *, actor: User | None) -> PurgeResult:
    """Remove an area's addresses and code HMACs; residencies stay. Audited.

    Raises:
        InvalidState: the area has a round whose results are not yet published.
    """
    open_rounds = session.scalar(
        select(func.count(BudgetRound.id))
        .where(BudgetRound.area_id == area.id, BudgetRound.results_published_at.is_(None))
    ) or 0
    if open_rounds:
        raise InvalidState(_("%(area)s heeft nog een ronde zonder gepubliceerde uitslag. "
                             "Wis het adressenbestand pas na de uitslag.", area=area.name))
    entry_ids = select(RegisterEntry.id).where(RegisterEntry.area_id == area.id).scalar_subquery()
    codes = rowcount(session.execute(
        delete(LetterCode).where(LetterCode.register_entry_id.in_(entry_ids))
        .execution_options(synchronize_session=False)
    ))
    addresses = rowcount(session.execute(
        delete(RegisterEntry).where(RegisterEntry.area_id == area.id)
        .execution_options(synchronize_session=False)
    ))
    session.expire_all()
    audit.record(session, actor=actor, action="register.purge", obj_type="area", obj_id=area.id,
                 area_id=area.id, after={"addresses": addresses, "codes": codes})
    return PurgeResult(addresses=addresses, codes=codes)
