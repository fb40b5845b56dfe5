"""The META section of pabulib files: what an import keeps, what an export writes back.

An imported round keeps its file's whole META section (``RoundImport.meta_json``): the counting
settings (``min_project_score_threshold`` for every greedy rule, limits, points) and the meaning
(``country``, ``unit``, ``subunit``, dates, ``language``, ``currency``, the original ``rule``). The
published ``ballots.pb`` writes them back in pabulib's words: the municipality as ``unit``, the area
as ``subunit``, the voting dates as local (Europe/Amsterdam) days ``dd.mm.yyyy``.

Before anything is stored, :func:`check_storable` refuses a file whose numbers the database cannot
hold (BIGINT cents, INTEGER points and limits), naming the file, the line and the problem.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from babel.numbers import get_currency_name

from pb.errors import ValidationFailed
from pb.tally import Election
from pb.tally.numbers import format_number

LOCAL_TZ = ZoneInfo("Europe/Amsterdam")
BIGINT_MAX = 2**63 - 1
INTEGER_MAX = 2**31 - 1
# META keys the export computes itself (never copied from the imported file).
COMPUTED = ("budget", "vote_type", "rule", "num_projects", "num_votes", "instance", "description", "currency",
            "country", "unit", "subunit", "language", "date_begin", "date_end", "tie_break",
            "min_length", "max_length", "max_sum_cost", "min_sum_points", "max_sum_points",
            "max_points", "min_project_score_threshold", "neighborhoods", "budget_per_neighborhood",
            "categories", "budget_per_category")
_DAY = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_YEAR = re.compile(r"^(\d{4})$")


def _line_of(text: str, key: str, section: str = "META") -> int | None:
    """The line number of the first row of ``section`` whose first field is ``key``."""
    inside = False
    for number, line in enumerate(text.splitlines(), start=1):
        first = line.split(";", 1)[0].strip().strip('"')
        if first.upper() in ("META", "PROJECTS", "VOTES") and ";" not in line.strip().rstrip(";"):
            inside = first.upper() == section
            continue
        if inside and first == key:
            return number
    return None


def _fail(name: str, line: int | None, problem: str) -> ValidationFailed:
    where = f"{name}: " + (f"regel {line}: " if line else "")
    return ValidationFailed(where + problem)


def _cents(value: Fraction | int) -> int | None:
    cents = Fraction(value) * 100
    return int(cents) if cents.denominator == 1 else None


def check_storable(election: Election, text: str, name: str) -> None:
    """Refuse numbers the database cannot store, naming file, line and problem.

    Raises:
        ValidationFailed: an amount is not a whole number of cents or beyond BIGINT cents, a
            points value or limit is not whole or beyond INTEGER, the currency is unknown.
    """
    amounts = [("budget", election.budget, _line_of(text, "budget"))]
    amounts += [(f"kosten van project {p.id}", p.cost, _line_of(text, p.id, "PROJECTS")) for p in election.projects]
    amounts += [(f"deelbudget {c.group}", c.limit, None) for c in election.caps]
    for what, value, line in amounts:
        cents = _cents(value)
        if cents is None:
            raise _fail(name, line, f"{what} ({format_number(value)}) is geen heel aantal centen.")
        if abs(cents) > BIGINT_MAX:
            raise _fail(name, line, f"{what} ({format_number(value)}) is groter dan de database kan bewaren.")
    for key in ("min_length", "max_length", "max_sum_points", "min_sum_points", "max_points"):
        raw = election.meta.get(key, "").strip()
        if not raw or raw.lower() == "none":
            continue
        try:
            value = Fraction(raw)
        except (ValueError, ZeroDivisionError):
            raise _fail(name, _line_of(text, key), f"META {key} is geen getal: {raw[:40]!r}.") from None
        if value.denominator != 1 or not 0 <= value <= INTEGER_MAX:
            raise _fail(name, _line_of(text, key),
                        f"META {key} ({raw[:40]}) is geen heel getal tussen 0 en {INTEGER_MAX}.")
    for ballot in election.ballots:
        for points in ballot.points or ():
            if Fraction(points).denominator != 1 or points > INTEGER_MAX:
                raise _fail(name, _line_of(text, ballot.voter_id, "VOTES"),
                            f"stemmer {ballot.voter_id}: punten {format_number(points)} zijn geen heel "
                            f"getal tot {INTEGER_MAX}.")
    currency_of(election, text, name)


def currency_of(election: Election, text: str = "", name: str = "") -> str:
    """The file's ISO 4217 currency (EUR when META has none).

    Raises:
        ValidationFailed: META ``currency`` is not a currency code Babel knows.
    """
    raw = election.meta.get("currency", "").strip().upper()
    if not raw or raw == "NONE":
        return "EUR"
    if not re.fullmatch(r"[A-Z]{3}", raw) or get_currency_name(raw, locale="en") == raw:
        raise _fail(name, _line_of(text, "currency"), f"META currency {raw[:20]!r} is geen bekende valuta (ISO 4217).")
    return raw


def _local_day(raw: str, *, end: bool) -> dt.date | None:
    raw = raw.strip()
    match = _DAY.match(raw)
    try:
        if match:
            return dt.date(int(match[3]), int(match[2]), int(match[1]))
        match = _YEAR.match(raw)
        if match:
            return dt.date(int(match[1]), 12, 31) if end else dt.date(int(match[1]), 1, 1)
    except ValueError:
        return None
    return None


def voting_dates(meta: dict[str, str], now: dt.datetime) -> tuple[dt.datetime, dt.datetime] | None:
    """The voting period of META ``date_begin``/``date_end`` (local whole days) in UTC, or None.

    None when the dates are missing, unreadable, reversed or not yet over (an imported round is
    closed).
    """
    begin = _local_day(meta.get("date_begin", ""), end=False)
    end = _local_day(meta.get("date_end", ""), end=True)
    if begin is None or end is None or end < begin:
        return None
    opens = dt.datetime.combine(begin, dt.time(), LOCAL_TZ).astimezone(dt.UTC)
    closes = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), LOCAL_TZ).astimezone(dt.UTC)
    if closes > now:
        return None
    return opens, closes


def local_day(moment: dt.datetime) -> str:
    """A moment as the pabulib date ``dd.mm.yyyy`` of its day in Europe/Amsterdam."""
    return moment.astimezone(LOCAL_TZ).strftime("%d.%m.%Y")


def imported_meta(meta_json: str | None) -> dict[str, str]:
    """The stored META of an imported round (empty for a round made here)."""
    data: dict[str, str] = json.loads(meta_json or "{}")
    return data


def export_meta(*, title: str, round_id: int, currency: str, municipality: str, area: str,
                voting_open_at: dt.datetime, voting_close_at: dt.datetime,
                file_meta: dict[str, str] | None, file_rule: str, rule: str) -> dict[str, str]:
    """The descriptive META of a published ``ballots.pb`` (the counting keys are added by the caller).

    A round made here: the municipality as ``unit``, the area as ``subunit``, Dutch, the voting
    days in Europe/Amsterdam. An imported round: its file's values, and every other key of the
    file's META (``comment``, ``district``, ...) unchanged; when the file's rule is not the rule
    that counted it, a ``comment`` line says so.
    """
    meta: dict[str, Any] = {
        "description": f"Buurtbudget: {title}",
        "country": "Netherlands",
        "unit": municipality,
        "subunit": area,
        "instance": str(round_id),
        "language": "nl",
        "currency": currency,
        "date_begin": local_day(voting_open_at),
        "date_end": local_day(voting_close_at - dt.timedelta(seconds=1)),
    }
    if file_meta is not None:
        for key in ("description", "country", "unit", "subunit", "language", "date_begin", "date_end"):
            value = file_meta.get(key, "").strip()
            if value:
                meta[key] = value
            elif key in ("country", "unit", "subunit", "language"):
                del meta[key]  # our municipality or area would be a false statement about the file
        for key, value in file_meta.items():
            if key not in COMPUTED and key not in meta:
                meta[key] = value
        if file_rule and file_rule != rule:
            note = f"(rule in the original file: {file_rule}, counted here with {rule})"
            meta["comment"] = f"{meta['comment']} {note}" if meta.get("comment") else note
    return meta
