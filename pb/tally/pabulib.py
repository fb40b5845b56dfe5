"""Read and write pabulib ``.pb`` files.

API
---
``read_pb(source, *, name=None) -> Election``
    ``source`` is a path (``str`` without a newline or ``os.PathLike``), the file's text (``str``
    containing a newline), ``bytes``, or an open text/binary file object. Tolerates a UTF-8 BOM,
    ``\\r\\n`` and lone ``\\r`` line ends, spaces around ``;``, CSV-quoted fields (``"a;b"``),
    ``none`` for empty values and empty ballots. Malformed input raises
    :class:`~pb.tally.errors.TallyError` naming the line and the problem.

``write_pb(election, dest=None, *, selected=None, extra_meta=None, anonymise=False) -> str``
    Writes ``election`` as pabulib text and returns it; ``dest`` may be ``None`` (only return
    the text), a path or a text file object. ``selected`` (project ids) writes a ``selected``
    column with 1/0; ``extra_meta`` adds or replaces META entries; ``anonymise`` renumbers the
    voters 1..n in a canonical order and drops every voter column except the ballot itself, which
    is what the web app publishes. The output is deterministic (``\\n`` line ends, fields quoted
    only when needed) and reading it back gives an equal :class:`~pb.tally.model.Election`.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterable, Iterator
from operator import itemgetter
from typing import IO, Any

from pb.tally.errors import TallyError
from pb.tally.model import Ballot, Cap, Election, Project, VoteType, gc_paused
from pb.tally.numbers import Number, amount_problem, format_number, parse_number

SECTIONS = ("META", "PROJECTS", "VOTES")
_PROJECT_CORE = {"project_id": "id", "cost": "cost", "name": "name", "category": "category",
                 "neighborhood": "neighbourhood"}
_CAP_KEYS = (("neighborhoods", "budget_per_neighborhood", "neighbourhood"),
             ("categories", "budget_per_category", "category"))


def _clean(value: str) -> str:
    value = value.strip()
    return "" if value.lower() == "none" else value


def _decode(data: bytes, src: str | None) -> str:
    """UTF-8 text of ``data`` (BOM removed); a file in another encoding is refused, not guessed.

    Windows-1250 (Polish files) and Latin-1 (French files) cannot be told apart reliably from the
    bytes alone, and a wrong guess silently renames projects; so the error names the line and the
    byte and says how to convert the file.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start:exc.start + 1].hex().upper()
        raise TallyError(
            f"not UTF-8 text (byte 0x{byte} at position {exc.start}); the file is probably in "
            "another encoding such as Windows-1250 or Latin-1: convert it to UTF-8 first, e.g. "
            "iconv -f WINDOWS-1250 -t UTF-8", line=line, source=src) from None


def _read_text(source: Any) -> tuple[str, str | None]:
    if isinstance(source, bytes):
        return _decode(source, None), None
    if isinstance(source, str) and ("\n" in source or "\r" in source):
        return source, None
    if isinstance(source, (str, os.PathLike)):
        # os rather than pathlib: the command line then does not import pathlib (start-up).
        base = os.path.basename(os.fspath(source))
        try:
            with open(source, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise TallyError(f"cannot read file: {exc.strerror or exc}", source=str(source)) from exc
        return _decode(data, base), base
    if hasattr(source, "read"):
        content = source.read()
        name = getattr(source, "name", None)
        if isinstance(content, bytes):
            content = _decode(content, name if isinstance(name, str) else None)
        return content, name
    raise TypeError(f"cannot read a pabulib election from {type(source).__name__}")


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, stripped fields) of every non-empty row.

    A line without a quote character (and without NUL) is split with ``str.split``, which is what
    the ``csv`` module would do with it; a line with a quote goes to one ``csv`` reader fed from
    the same lines, so a quoted field may span lines. The line number is that of the row's last
    physical line, as ``csv.reader.line_num`` counts.
    """
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # io.StringIO yields no empty last line
    count = len(lines)
    pos = 0

    def feed() -> Iterator[str]:
        nonlocal pos
        while pos < count:
            line = lines[pos]
            pos += 1
            yield line + "\n" if pos < count or text.endswith("\n") else line

    reader = csv.reader(feed(), delimiter=";", skipinitialspace=True)
    while pos < count:
        line = lines[pos]
        if '"' in line or "\0" in line:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise TallyError(f"bad CSV quoting: {exc}", line=pos) from exc
            row = [f.strip() for f in row]
        else:
            pos += 1
            if not line or line.isspace():
                continue
            row = line.split(";")
            if " " in line or not line.isprintable():
                # (every str.isspace() character but " " is unprintable, so else nothing to strip)
                row = [f.strip() for f in row]
        if not any(row):
            continue
        yield pos, row


def _number(text: str, what: str, line: int | None) -> Number:
    """``text`` as an exact amount within the engine's bound (see :data:`MAX_AMOUNT`)."""
    try:
        value = parse_number(text)
    except ValueError as exc:
        shown = text if len(text) <= 40 else text[:40] + "..."
        raise TallyError(f"{what} is not a number: {shown!r} ({exc})", line=line) from None
    problem = amount_problem(value)
    if problem:
        raise TallyError(f"{what}: {problem}", line=line)
    return value


def _opt_number(meta: dict[str, str], key: str, line: int) -> Number | None:
    raw = _clean(meta.get(key, ""))
    return _number(raw, f"META {key}", line) if raw else None


def read_pb(source: str | os.PathLike[str] | bytes | IO[Any], *, name: str | None = None) -> Election:
    """Read a pabulib election from a path, text, bytes or file object (see module docstring)."""
    src = name
    try:
        text, found = _read_text(source)
        src = name or found
        with gc_paused():
            return _parse(text)
    except TallyError as exc:
        if exc.source is None and src:
            raise TallyError(exc.problem, line=exc.line, source=src) from None
        raise


def _parse(text: str) -> Election:
    section: str | None = None
    header: list[str] | None = None
    seen: list[str] = []
    meta: dict[str, str] = {}
    meta_lines: dict[str, int] = {}
    projects: list[Project] = []
    project_columns: tuple[str, ...] = ()
    index: dict[str, int] = {}
    ballots: list[Ballot] = []
    vote_columns: tuple[str, ...] = ()
    vote_type = VoteType.APPROVAL
    last_line = 0
    votes: _VoteReader | None = None
    for line, row in _rows(text):
        last_line = line
        if votes is not None:  # fast path for the (many) VOTES rows, same checks as below
            if len(row) == 1 or (not row[1] and not any(row[2:])):
                votes.section_word(row[0], line)
            if len(row) != votes.width:
                raise TallyError(f"{len(row)} fields but the VOTES header has {votes.width} "
                                 "(a stray line, or a line cut off?)", line=line)
            ballots.append(votes.ballot(row, len(ballots), line))
            continue
        if len(row) == 1 or (len(row) > 1 and not any(row[1:])):
            word = row[0].upper()
            if word in SECTIONS:
                expected = SECTIONS[len(seen)] if len(seen) < 3 else None
                if word != expected:
                    raise TallyError(
                        f"section {word} out of order: expected {expected or 'no more sections'}",
                        line=line)
                seen.append(word)
                section, header = word, None
                if word == "PROJECTS":
                    vote_type = _meta_vote_type(meta, meta_lines)
                continue
        if section is None:
            raise TallyError("data before the META section", line=line)
        if header is None:
            header = [h.strip().lower() for h in row]
            _check_header(section, header, line)
            if section == "PROJECTS":
                project_columns = tuple(header)
            elif section == "VOTES":
                vote_columns = tuple(h for h in header if h not in ("voter_id", "vote", "points"))
                votes = _VoteReader(header, vote_columns, vote_type, index)
            continue
        if len(row) > len(header):
            raise TallyError(f"{len(row)} fields but the {section} header has {len(header)}",
                             line=line)
        values = dict(zip(header, row + [""] * (len(header) - len(row))))
        if section == "META":
            key = values["key"].strip()
            meta[key] = values["value"]
            meta_lines[key] = line
        elif section == "PROJECTS":
            project = _project(values, header, line)
            if project.id in index:
                raise TallyError(f"duplicate project id {project.id!r}", line=line)
            index[project.id] = len(projects)
            projects.append(project)
        else:  # pragma: no cover - VOTES rows take the fast path above
            raise AssertionError("VOTES row outside the fast path")
    if len(seen) < 3:
        missing = SECTIONS[len(seen)]
        raise TallyError(f"missing section {missing}", line=last_line + 1)
    if header is None:
        raise TallyError("the VOTES section has no header row", line=last_line + 1)
    _check_counts(meta, meta_lines, len(projects), len(ballots), last_line)
    return _election(meta, meta_lines, vote_type, projects, ballots, project_columns, vote_columns)


def _check_counts(meta: dict[str, str], lines: dict[str, int], n_projects: int, n_ballots: int,
                  last_line: int) -> None:
    """Refuse a file whose PROJECTS or VOTES disagree with META ``num_projects``/``num_votes``.

    A file cut off in the middle of VOTES, or with rows added, would otherwise be counted
    silently with the wrong ballots.
    """
    for key, found, what in (("num_projects", n_projects, "projects"),
                             ("num_votes", n_ballots, "ballots")):
        raw = _clean(meta.get(key, ""))
        if not raw:
            continue
        if not raw.isdigit() or len(raw) > 12:
            raise TallyError(f"META {key} is not a whole number: {raw[:40]!r}", line=lines.get(key))
        if int(raw) != found:
            raise TallyError(f"META {key} announces {int(raw)} {what} but the file has {found} "
                             "(is the file cut off, or were lines added?)", line=last_line)


def _meta_vote_type(meta: dict[str, str], lines: dict[str, int]) -> VoteType:
    raw = _clean(meta.get("vote_type", "")).lower() or "approval"
    try:
        return VoteType(raw)
    except ValueError:
        raise TallyError(f"unknown vote_type {raw!r}", line=lines.get("vote_type")) from None


def _check_header(section: str, header: list[str], line: int) -> None:
    required = {"META": ("key", "value"), "PROJECTS": ("project_id", "cost"), "VOTES": ("vote",)}
    for column in required[section]:
        if column not in header:
            raise TallyError(f"{section} header lacks the column {column!r}", line=line)
    if len(set(header)) != len(header):
        raise TallyError(f"{section} header repeats a column", line=line)


def _project(values: dict[str, str], header: list[str], line: int) -> Project:
    pid = values["project_id"].strip()
    if not _clean(pid):
        raise TallyError("project without an id", line=line)
    raw_cost = _clean(values["cost"])
    if not raw_cost:
        raise TallyError(f"project {pid}: missing cost", line=line)
    cost = _number(raw_cost, f"cost of project {pid}", line)
    if cost < 0:
        raise TallyError(f"project {pid}: negative cost {raw_cost}", line=line)
    core = {attr: _clean(values[col]) for col, attr in _PROJECT_CORE.items()
            if col in values and attr not in ("id", "cost")}
    extra = tuple((h, values[h]) for h in header if h not in _PROJECT_CORE)
    return Project(id=pid, cost=cost, extra=extra, **core)


class _VoteReader:
    """Turns VOTES rows (lists of stripped fields) into ballots, by column position.

    Identical vote strings are resolved once (vote string -> tuple of project indices); the
    errors are those of the per-row path, with the same words and line numbers.
    """

    def __init__(self, header: list[str], columns: tuple[str, ...], vote_type: VoteType,
                 index: dict[str, int]) -> None:
        self.width = len(header)
        self.header = header
        self.i_voter = header.index("voter_id") if "voter_id" in header else None
        self.i_vote = header.index("vote")
        self.i_points = header.index("points") if "points" in header else None
        i_extra = [header.index(c) for c in columns]
        self.extra: Callable[[list[str]], tuple[str, ...]] = (
            (lambda row: ()) if not i_extra else
            (lambda row, get=itemgetter(i_extra[0]): (get(row),)) if len(i_extra) == 1 else  # type: ignore[misc]
            itemgetter(*i_extra))
        self.cumulative = vote_type.has_points
        self.index = index
        self.cache: dict[str, tuple[int, ...]] = {}
        self.voter_ids: set[str] = set()

    def section_word(self, word: str, line: int) -> None:
        """Raise the out-of-order error when a lone ``word`` names a section."""
        if word.upper() in SECTIONS:
            raise TallyError(f"section {word.upper()} out of order: expected no more sections",
                             line=line)

    def ballot(self, row: list[str], position: int, line: int) -> Ballot:
        """The ballot of ``row`` (at most ``width`` fields)."""
        if len(row) < self.width:
            row = row + [""] * (self.width - len(row))
        voter_id = row[self.i_voter] if self.i_voter is not None else ""
        if voter_id:
            if voter_id in self.voter_ids:
                raise TallyError(f"voter {voter_id} appears twice", line=line)
            self.voter_ids.add(voter_id)
        else:
            voter_id = str(position + 1)
        chosen = self.cache.get(row[self.i_vote])
        if chosen is None:
            chosen = self._projects(row[self.i_vote], voter_id, line)
            self.cache[row[self.i_vote]] = chosen
        points: tuple[Number, ...] | None = None
        if self.cumulative:
            raw = row[self.i_points] if self.i_points is not None else ""
            points = self._points(_clean(raw), len(chosen), voter_id, line)
        return Ballot(voter_id, chosen, points, self.extra(row))

    def _projects(self, raw_vote: str, voter_id: str, line: int) -> tuple[int, ...]:
        raw = _clean(raw_vote)
        names = [v.strip() for v in raw.split(",")] if raw else []
        index = self.index
        chosen: list[int] = []
        for pid in names:
            if pid not in index:
                raise TallyError(f"voter {voter_id} votes for unknown project {pid!r}", line=line)
            chosen.append(index[pid])
        return tuple(chosen)

    @staticmethod
    def _points(raw_points: str, n_chosen: int, voter_id: str, line: int
                ) -> tuple[Number, ...]:
        parts = [p.strip() for p in raw_points.split(",")] if raw_points else []
        if len(parts) != n_chosen:
            raise TallyError(f"voter {voter_id}: {n_chosen} projects but {len(parts)} points",
                             line=line)
        pts = []
        for p in parts:
            try:
                x = parse_number(p)
            except ValueError:
                raise TallyError(f"voter {voter_id}: points {p[:40]!r} do not parse",
                                 line=line) from None
            problem = amount_problem(x)
            if problem:
                raise TallyError(f"voter {voter_id}: points {problem}", line=line)
            if x < 0:
                raise TallyError(f"voter {voter_id}: negative points {p}", line=line)
            pts.append(x)
        return tuple(pts)


def _election(meta: dict[str, str], lines: dict[str, int], vote_type: VoteType,
              projects: list[Project], ballots: list[Ballot],
              project_columns: tuple[str, ...], vote_columns: tuple[str, ...]) -> Election:
    raw_budget = _clean(meta.get("budget", ""))
    if not raw_budget:
        raise TallyError("META has no budget", line=lines.get("budget"))
    budget = _number(raw_budget, "META budget", lines.get("budget", 0))
    if budget < 0:
        raise TallyError(f"negative budget {raw_budget}", line=lines.get("budget"))

    def opt(key: str) -> Number | None:
        return _opt_number(meta, key, lines.get(key, 0))

    def opt_int(key: str) -> int | None:
        value = opt(key)
        if value is not None and not isinstance(value, int):
            raise TallyError(f"META {key} is not a whole number", line=lines.get(key))
        return value

    caps: list[Cap] = []
    for names_key, limits_key, kind in _CAP_KEYS:
        if limits_key not in meta:
            continue
        names = [n.strip() for n in meta.get(names_key, "").split(",")]
        limits = [x.strip() for x in meta[limits_key].split(",")]
        if len(names) != len(limits):
            raise TallyError(f"META {limits_key} has {len(limits)} values for {len(names)} "
                             f"{names_key}", line=lines.get(limits_key))
        for group, limit in zip(names, limits):
            caps.append(Cap(kind, group, _number(limit, f"META {limits_key}", lines[limits_key])))
    rule = _clean(meta.get("rule", "")) or None
    return Election(
        budget=budget, projects=tuple(projects), ballots=tuple(ballots), vote_type=vote_type,
        rule=rule, meta=meta, min_length=opt_int("min_length"), max_length=opt_int("max_length"),
        max_sum_cost=opt("max_sum_cost"), min_sum_points=opt("min_sum_points"),
        max_sum_points=opt("max_sum_points"),
        min_project_score_threshold=opt("min_project_score_threshold"), caps=tuple(caps),
        project_columns=project_columns, vote_columns=vote_columns,
    )


def _meta_out(election: Election, extra_meta: dict[str, str] | None) -> dict[str, str]:
    meta = {"key": "value"}
    meta.update(election.meta)
    try:
        same_budget = parse_number(meta.get("budget", "")) == election.budget
    except ValueError:
        same_budget = False
    if not same_budget:  # keep the original spelling ("400000.0") when the value is unchanged
        meta["budget"] = format_number(election.budget)
    if _clean(meta.get("vote_type", "")).lower() != str(election.vote_type):
        meta["vote_type"] = str(election.vote_type)
    if election.rule and _clean(meta.get("rule", "")) != election.rule:
        meta["rule"] = election.rule
    for key, value in (extra_meta or {}).items():
        meta[key] = value
    return meta


def write_pb(election: Election, dest: str | os.PathLike[str] | IO[str] | None = None, *,
             selected: Iterable[str] | None = None, extra_meta: dict[str, str] | None = None,
             anonymise: bool = False) -> str:
    """Write ``election`` as pabulib text to ``dest`` (path or file) and return the text."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(["META"])
    for key, value in _meta_out(election, extra_meta).items():
        writer.writerow([key, value])

    chosen = set(selected) if selected is not None else None
    if chosen is not None:
        unknown = chosen - set(election.index)
        if unknown:
            raise TallyError(f"selected names unknown projects: {sorted(unknown)}")
    columns = list(election.project_columns or ("project_id", "cost", "name"))
    for required in ("project_id", "cost"):
        if required not in columns:
            columns.insert(0 if required == "project_id" else 1, required)
    for p in election.projects:
        for key, _ in p.extra:
            if key not in columns:
                columns.append(key)
        for col, attr in (("name", p.name), ("category", p.category),
                          ("neighborhood", p.neighbourhood)):
            if attr and col not in columns:
                columns.append(col)
    if chosen is not None and "selected" not in columns:
        columns.append("selected")
    writer.writerow(["PROJECTS"])
    writer.writerow(columns)
    for p in election.projects:
        values = dict(p.extra)
        values.update(project_id=p.id, cost=format_number(p.cost), name=p.name,
                      category=p.category, neighborhood=p.neighbourhood)
        if chosen is not None:
            values["selected"] = "1" if p.id in chosen else "0"
        writer.writerow([values.get(c, "") for c in columns])

    cumulative = election.vote_type.has_points
    extra_cols = () if anonymise else election.vote_columns
    writer.writerow(["VOTES"])
    writer.writerow(["voter_id", "vote"] + (["points"] if cumulative else []) + list(extra_cols))
    ballots: list[Ballot] = list(election.ballots)
    if anonymise:
        ballots.sort(key=lambda b: (b.projects, b.points or ()))
    ids = [p.id for p in election.projects]
    for number, b in enumerate(ballots, start=1):
        row = [str(number) if anonymise else b.voter_id, ",".join(ids[i] for i in b.projects)]
        if cumulative:
            row.append(",".join(format_number(x) for x in (b.points or ())))
            if not b.projects:  # pabutools reads an empty points ballot only as "none;none"
                row[1:] = ["none", "none"]
        if not anonymise:
            row.extend(b.extra)
        writer.writerow(row)
    text = out.getvalue()
    if dest is not None:
        if hasattr(dest, "write"):
            dest.write(text)  # type: ignore[union-attr]
        else:
            with open(dest, "w", encoding="utf-8") as handle:  # type: ignore[arg-type]
                handle.write(text)
    return text
