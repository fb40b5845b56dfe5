"""Importing a past round from a pabulib ``.pb`` file as a closed round with its ballots.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from pb.db import utcnow
from pb.errors import ValidationFailed
from pb.models.area import Area
from pb.models.ballot import Ballot as StoredBallotRow
from pb.models.ballot import BallotItem, random_ballot_id
from pb.models.proposal import Proposal, ProposalStatus
from pb.models.result import RoundImport
from pb.models.round import BallotType, BudgetRound, CountingRule, RoundNeighbourhood, RoundTheme
from pb.models.round import TieBreak as RoundTieBreak
from pb.models.user import User
from pb.services import audit, ballots, pabulib_meta
from pb.services.money import cents
from pb.tally import RULES, Election, TallyError, VoteType, read_pb
from pb.tally.numbers import format_number

_ROUND_RULE = {
    "greedy": CountingRule.GREEDY,
    "greedy-threshold": CountingRule.GREEDY,
    "greedy-no-skip": CountingRule.GREEDY_NO_SKIP,
    "equalshares": CountingRule.EQUAL_SHARES,
    "equalshares/add1": CountingRule.EQUAL_SHARES,
    "equalshares/add1+greedy": CountingRule.EQUAL_SHARES,
    "phragmen": CountingRule.PHRAGMEN,
    "max-welfare": CountingRule.MAX_WELFARE,
}


@dataclass(frozen=True)
class ImportSummary:
    """What an import created."""

    round: BudgetRound
    projects: int
    ballots: int
    rule: str


def bulk_receipt_codes(n: int) -> Iterator[str]:
    """Random tracking codes in the voting service's format (``K7QM-2XHD-9PWA``), made in bulk.

    One byte of ``secrets.token_bytes`` per character, reduced mod 32: the alphabet has exactly
    32 letters, so every character is uniform; there is one extra batch for collision retries.
    """
    alphabet = ballots.RECEIPT_ALPHABET
    size = ballots.RECEIPT_LENGTH
    assert len(alphabet) == 32
    while True:
        raw = secrets.token_bytes((n + 16) * size)
        for start in range(0, len(raw), size):
            chars = "".join(alphabet[b & 31] for b in raw[start:start + size])
            yield "-".join(chars[i:i + 4] for i in range(0, size, 4))


def _bulk_insert(session: Session, table: Table, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    """Insert many rows fast, in the session's transaction: COPY on PostgreSQL, else executemany.

    A city has ~10^5 ballots and ~10^6 items; the ORM's per-row bookkeeping, or executemany over
    the network, would take tens of seconds.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        assert raw is not None
        column_list = ", ".join(f'"{c}"' for c in columns)
        with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({column_list}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(tuple(row[c] for c in columns))
        return
    if connection.dialect.name == "sqlite":
        raw = connection.connection.driver_connection
        assert raw is not None
        marks = ", ".join("?" for _ in columns)
        raw.cursor().executemany(f'INSERT INTO "{table.name}" ({", ".join(columns)}) VALUES ({marks})',
                                 [tuple(row[c] for c in columns) for row in rows])
        return
    for start in range(0, len(rows), 50000):
        session.execute(insert(table), rows[start:start + 50000])


def _round_type(election: Election) -> tuple[BallotType, dict[str, Any]]:
    vt = election.vote_type
    if vt is VoteType.CHOOSE_1:
        return BallotType.CHOOSE_ONE, {}
    if vt.has_points:  # (a scoring file is stored as points: the engine counts both alike)
        pts = election.max_sum_points
        most = election.meta.get("max_points", "").strip()
        per = int(most) if most.isdigit() else None
        return BallotType.CUMULATIVE, {"points_total": int(pts) if pts is not None else None,
                                       "points_max_per_project": per}
    if vt is VoteType.ORDINAL:
        return BallotType.RANKED, {"max_projects": election.max_length}
    if election.max_sum_cost is not None:
        return BallotType.KNAPSACK, {}
    if election.max_length is not None:
        return BallotType.K_APPROVAL, {"max_projects": election.max_length}
    return BallotType.APPROVAL, {}


def import_pabulib(session: Session, source: str | Path, *, area: Area, actor: User | None = None,
                   now: dt.datetime | None = None) -> ImportSummary:
    """Import a pabulib election as a closed round of ``area``: projects, costs, themes, ballots.

    Projects keep the file's project ids as ``external_id``; categories become themes (the first
    category when a project has several), neighbourhoods with a cap become sub-budgets; the
    ballots are stored as cast (no voters, random receipts). The round is counted with the file's
    rule when the engine supports it, else greedy. The round keeps the file's whole META
    (:mod:`pb.services.pabulib_meta`): its currency, voting dates and score threshold (for every
    greedy rule), and the rest for the export.

    Raises:
        ValidationFailed: the file cannot be read or is malformed (naming file, line and problem),
            or a number is beyond what the database stores (:func:`pabulib_meta.check_storable`).
    """
    now = now or utcnow()
    path = Path(source)
    try:
        raw = path.read_bytes()
        election = read_pb(raw, name=path.name)
    except OSError as exc:
        raise ValidationFailed(f"{path}: {exc.strerror or exc}") from exc
    except TallyError as exc:
        raise ValidationFailed(str(exc)) from exc
    pabulib_meta.check_storable(election, raw.decode("utf-8-sig"), path.name)
    file_rule = election.rule or ""
    rule = file_rule if file_rule in RULES else "greedy"
    ballot_type, config = _round_type(election)
    budget_cents = cents(election.budget)
    costs = [cents(p.cost) for p in election.projects]
    meta = election.meta
    title = (meta.get("description") or path.stem).strip()[:200]
    day = dt.timedelta(days=1)
    opens, closes = pabulib_meta.voting_dates(meta, now) or (now - 2 * day, now - day)
    round_ = BudgetRound(
        area_id=area.id, title=title,
        description=f"Geïmporteerd uit {path.name} (pabulib).",
        budget_cents=budget_cents, currency=pabulib_meta.currency_of(election),
        proposals_open_at=opens - 4 * day, proposals_close_at=opens - 3 * day,
        support_close_at=opens - 2 * day, review_close_at=opens - day, voting_open_at=opens,
        voting_close_at=closes, ballot_type=ballot_type, min_projects=election.min_length,
        counting_rule=_ROUND_RULE[rule], tie_break=RoundTieBreak.ORDER, **config,
    )
    session.add(round_)
    session.flush()
    themes: dict[str, RoundTheme] = {}
    hoods: dict[str, RoundNeighbourhood] = {}
    caps = {c.group: c.limit for c in election.caps if c.kind == "neighbourhood"}
    for p in election.projects:
        if p.categories and p.categories[0] not in themes:
            themes[p.categories[0]] = RoundTheme(round_id=round_.id, name=p.categories[0][:80])
        if p.neighbourhood and p.neighbourhood not in hoods:
            limit = caps.get(p.neighbourhood)
            hoods[p.neighbourhood] = RoundNeighbourhood(
                round_id=round_.id, name=p.neighbourhood[:80],
                budget_cents=cents(limit) if limit is not None else None)
    session.add_all([*themes.values(), *hoods.values()])
    session.flush()
    proposals = []
    for p, cost in zip(election.projects, costs):
        proposal = Proposal(
            round_id=round_.id, external_id=p.id[:64], title=(p.name or p.id)[:200],
            description=p.field("description"), status=ProposalStatus.FEASIBLE,
            estimated_cost_cents=cost, cost_cents=cost, submitted_at=opens - 3 * day,
            theme_id=themes[p.categories[0]].id if p.categories else None,
            neighbourhood_id=hoods[p.neighbourhood].id if p.neighbourhood else None,
        )
        proposals.append(proposal)
    session.add_all(proposals)
    session.flush()
    proposal_ids = [p.id for p in proposals]
    method_col = election.vote_columns.index("voting_method") if "voting_method" in election.vote_columns else None
    ballot_rows: list[dict[str, Any]] = []
    item_rows: list[dict[str, Any]] = []
    used: set[int] = set()
    codes: set[str] = set()
    fresh_codes = bulk_receipt_codes(len(election.ballots))
    for b in election.ballots:
        b_id = random_ballot_id()
        while b_id in used:
            b_id = random_ballot_id()
        used.add(b_id)
        code = next(fresh_codes)
        while code in codes:
            code = next(fresh_codes)
        codes.add(code)
        method = b.extra[method_col].lower() if method_col is not None else ""
        ballot_rows.append({"id": b_id, "round_id": round_.id, "receipt_code": code,
                            "channel": "paper" if "paper" in method else "online"})
        seen: dict[int, dict[str, Any]] = {}
        for position, index in enumerate(b.projects):
            row = seen.get(index)
            if election.vote_type.has_points:
                points = int(b.points[position]) if b.points else 0
                if row is not None:
                    row["points"] += points
                    continue
                row = {"ballot_id": b_id, "proposal_id": proposal_ids[index], "points": points, "rank": None}
            elif row is not None:
                continue
            elif election.vote_type is VoteType.ORDINAL:
                row = {"ballot_id": b_id, "proposal_id": proposal_ids[index], "points": None,
                       "rank": len(seen) + 1}
            else:
                row = {"ballot_id": b_id, "proposal_id": proposal_ids[index], "points": None, "rank": None}
            seen[index] = row
        item_rows.extend(seen.values())
    _bulk_insert(session, cast(Table, StoredBallotRow.__table__), ("id", "round_id", "receipt_code", "channel"), ballot_rows)
    _bulk_insert(session, cast(Table, BallotItem.__table__), ("ballot_id", "proposal_id", "points", "rank"), item_rows)
    threshold = election.min_project_score_threshold  # every greedy variant applies it
    session.add(RoundImport(round_id=round_.id, source_name=path.name[:200],
                            source_sha256=hashlib.sha256(raw).hexdigest(), file_rule=file_rule[:40],
                            rule=rule, score_threshold=format_number(threshold) if threshold is not None else None,
                            extra_json=json.dumps({
                                "categories": {p.id: p.category for p in election.projects if "," in p.category},
                                "category_caps": {c.group: format_number(c.limit) for c in election.caps
                                                  if c.kind == "category"},
                            }, ensure_ascii=False, sort_keys=True),
                            meta_json=json.dumps(meta, ensure_ascii=False), imported_at=now))
    session.flush()
    audit.record(session, actor=actor, action="round.import_pabulib", obj_type="round", obj_id=round_.id,
                 area_id=area.id, round_id=round_.id, public=True,
                 after={"file": path.name, "projects": len(proposals), "ballots": len(ballot_rows),
                        "rule": rule})
    return ImportSummary(round=round_, projects=len(proposals), ballots=len(ballot_rows), rule=rule)


def pabulib_dir() -> Path:
    """The shared pabulib folder: ``PB_PABULIB_DIR``, else ``../shared/pabulib`` next to the repo."""
    env = os.environ.get("PB_PABULIB_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / ".." / "shared" / "pabulib"


def import_of(session: Session, round_: BudgetRound) -> RoundImport | None:
    """The import record of a round imported from a pabulib file, or None."""
    return session.get(RoundImport, round_.id)


def imported_rule_note(session: Session, round_: BudgetRound) -> str | None:
    """For an imported round whose file names a rule we do not implement: which rule counted it and why."""
    imported = import_of(session, round_)
    if imported is None or not imported.file_rule or imported.file_rule in RULES:
        return None
    # The fallback is always greedy (import_pabulib); pages name it plainly, never by its id.
    return _("Het bestand %(file)s noemt de telregel ‘%(original)s’. Die regel is eigen aan die stad en zit "
             "niet in ons rekenprogramma. Daarom is deze ronde geteld met de regel ‘meeste stemmen eerst’: "
             "de projecten met de meeste stemmen die nog in het budget passen. De uitslag kan daardoor "
             "afwijken van de officiële uitslag.", file=imported.source_name, original=imported.file_rule)
