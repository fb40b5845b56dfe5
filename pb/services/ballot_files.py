"""The published ballots file (pabulib text), its SHA-256 and the hash chain over its votes.

The file holds the anonymised ballots (random ballot ids, shuffled order, no times or voter
data). The hash chain runs over its VOTES rows::

    h_0 = "0" * 64;  h_i = sha256_hex(h_(i-1) + "\\n" + row_i);  head = h_n

where ``row_i`` is the i-th line after the VOTES header, exactly as in the file.
"""

from __future__ import annotations

import hashlib

from flask import current_app

from pb.models.result import RoundResult
from pb.services import pabulib_meta
from pb.services.counting import Count
from pb.tally import Election, Project, VoteType, write_pb
from pb.tally.numbers import format_number

GENESIS = "0" * 64


def ballots_file(count: Count) -> str:
    """The anonymised ballots of a count as pabulib text, with ``selected`` and the scores."""
    election = count.election
    outcome = count.outcome
    round_ = count.round
    scores = election.profile.scores
    unit = "votes" if election.vote_type in (VoteType.APPROVAL, VoteType.CHOOSE_1) else "score"
    projects = tuple(
        Project(id=p.id, cost=p.cost, name=p.name, category=p.category, neighbourhood=p.neighbourhood,
                extra=((unit, format_number(scores[i])),))
        for i, p in enumerate(election.projects)
    )
    columns = ["project_id", "cost", unit, "name"]
    if any(p.category for p in projects):
        columns.append("category")
    if any(p.neighbourhood for p in projects):
        columns.append("neighborhood")
    imported = count.imported
    meta = pabulib_meta.export_meta(
        title=round_.title, round_id=round_.id, currency=round_.currency,
        municipality=current_app.config["MUNICIPALITY_NAME"], area=round_.area.name,
        voting_open_at=round_.voting_open_at, voting_close_at=round_.voting_close_at,
        file_meta=pabulib_meta.imported_meta(imported.meta_json) if imported is not None else None,
        file_rule=imported.file_rule if imported is not None else "", rule=outcome.rule)
    meta.update({
        "num_projects": str(len(projects)),
        "num_votes": str(len(election.ballots)),
        "tie_break": outcome.tie_break.kind + (f":{outcome.tie_break.seed}" if outcome.tie_break.seed is not None else ""),
    })
    if round_.points_max_per_project is not None:
        meta["max_points"] = str(round_.points_max_per_project)
    for key in ("min_length", "max_length", "max_sum_cost", "min_sum_points", "max_sum_points",
                "min_project_score_threshold"):
        value = getattr(election, key)
        if value is not None:
            meta[key] = format_number(value)
    for kind, names_key, limits_key in (("neighbourhood", "neighborhoods", "budget_per_neighborhood"),
                                        ("category", "categories", "budget_per_category")):
        caps = [c for c in election.caps if c.kind == kind]
        if caps:
            meta[names_key] = ",".join(c.group for c in caps)
            meta[limits_key] = ",".join(format_number(c.limit) for c in caps)
    published = Election(
        budget=election.budget, projects=projects, ballots=election.ballots,
        vote_type=election.vote_type, rule=outcome.rule, meta=meta,
        project_columns=tuple(columns), vote_columns=(),
    )
    return write_pb(published, selected=outcome.selected_ids)


def sha256_hex(text: str) -> str:
    """SHA-256 of the UTF-8 bytes of ``text``."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def vote_rows(pb_text: str) -> list[str]:
    """The data lines of the VOTES section of a pabulib text (after its header)."""
    lines = pb_text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.strip().upper() == "VOTES")
    return [line for line in lines[start + 2:] if line]


def chain_head(pb_text: str) -> str:
    """The head of the hash chain over the VOTES rows (see the module docstring)."""
    head = GENESIS
    for row in vote_rows(pb_text):
        head = hashlib.sha256(f"{head}\n{row}".encode()).hexdigest()
    return head


def verify_ballots_file(pb_text: str, result: RoundResult) -> bool:
    """True when ``pb_text`` has the published SHA-256 and chain head of ``result``."""
    return sha256_hex(pb_text) == result.ballots_sha256 and chain_head(pb_text) == result.chain_head
