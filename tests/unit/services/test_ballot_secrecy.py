"""Threat 21: nothing in PostgreSQL's own metadata links a ballot to its voter.

An insider with read-only SQL access runs the two attacks that linked 300 of 300 ballots in the
old design: joining participations to ballots on ``xmin`` (within 2 transaction ids), and zipping
both tables in ``xmin`` order (ballots with the same ``xmin`` in physical order). With 260 ballots
(online, paper, and re-votes), during voting (after mixes of at least 100) and after sealing and
``VACUUM``, neither links more than chance. A superuser with ``pageinspect`` finds no dead tuple
left behind. The ground truth is each voter's receipt code, which the test keeps.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from pb.models.round import BallotType
from pb.models.user import Role
from pb.services import ballot_mixing, paper_ballots
from pb.services import ballots as ballot_service
from tests.conftest import is_postgres
from tests.factories import close_and_seal, make_area, make_proposal, make_resident, make_round, make_user

pytestmark = pytest.mark.skipif(not is_postgres(), reason="xmin, ctid and pageinspect are PostgreSQL's")

ONLINE, PAPER, REVOTES = 230, 30, 12
# Chance level: within one mix batch the rows are a random permutation (about one fixed point
# per batch); all ballots of a batch share one xmin next to at most a couple of participations.
# The old design linked every ballot (260 of 260).
MAX_LINKS = 10


def _xid(value: str) -> int:
    return int(value)


def _linkage(session, round_id: int, receipt_of: dict[int, str]) -> tuple[int, int]:
    """(ballots linked by the xmin join, ballots linked by the xmin-order zip)."""
    parts = session.execute(text(
        "SELECT voter_id, xmin::text FROM participations WHERE round_id = :r ORDER BY xmin::text::bigint, id"
    ), {"r": round_id}).all()
    ballots = session.execute(text(
        "SELECT receipt_code, xmin::text FROM ballots WHERE round_id = :r ORDER BY xmin::text::bigint, ctid"
    ), {"r": round_id}).all()
    p_xids = [(_xid(x), voter) for voter, x in parts]
    joined = 0
    for receipt, x in ballots:
        near = [(abs(px - _xid(x)), voter) for px, voter in p_xids if abs(px - _xid(x)) <= 2]
        if near and receipt_of[min(near)[1]] == receipt:
            joined += 1
    zipped = sum(1 for (voter, _x), (receipt, _y) in zip(parts, ballots, strict=False) if receipt_of[voter] == receipt)
    return joined, zipped


def _dead_tuples(session, table: str) -> int:
    """Tuples with data on the table's pages (what pageinspect shows) beyond the live rows."""
    on_pages = session.execute(text(
        f"SELECT count(*) FROM generate_series(0, (pg_relation_size('{table}') / 8192)::int - 1) AS blk, "
        f"LATERAL heap_page_items(get_raw_page('{table}', blk)) AS item WHERE item.t_data IS NOT NULL"
    )).scalar_one()
    return int(on_pages) - int(session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_no_xmin_join_or_xmin_order_links_ballots_to_voters(app, session):
    area = make_area(session)
    round_ = make_round(session, area, ballot_type=BallotType.APPROVAL, allow_revote=True)
    proposals = [make_proposal(session, round_) for _ in range(6)]
    voters = [make_resident(session, area) for _ in range(ONLINE + PAPER)]
    staff = [make_user(session, role=Role.STAFF, areas=[area]) for _ in range(2)]
    session.commit()
    round_id = round_.id
    paper_ids = {v.id for v in voters[ONLINE:]}
    receipt_of: dict[int, str] = {}

    def choices_for(n: int) -> dict[int, int]:
        return {proposals[n % 6].id: 1, proposals[(n // 6) % 6].id: 1}

    def cron() -> None:
        ballot_mixing.mix_round(session, round_, minimum=100)
        session.commit()

    for n, voter in enumerate(voters[:ONLINE]):
        receipt_of[voter.id] = ballot_service.cast_ballot(session, round_, voter=voter, choices=choices_for(n)).receipt_code
        session.commit()
        cron()
        if n % 20 == 0:  # a paper ballot now and then, under four eyes, each step its own transaction
            paper_voter = voters[ONLINE + n // 20]
            entry = paper_ballots.enter_paper_ballot(session, round_, staff=staff[0], voter=paper_voter,
                                              choices=choices_for(n + 1))
            session.commit()
            result = paper_ballots.confirm_paper_ballot(session, round_, entry, staff=staff[1])
            receipt_of[paper_voter.id] = result.receipt_code
            session.commit()
            cron()
    for n, voter in enumerate(voters[ONLINE + 12:]):  # the remaining paper voters, in a row
        entry = paper_ballots.enter_paper_ballot(session, round_, staff=staff[1], voter=voter, choices=choices_for(n))
        session.commit()
        receipt_of[voter.id] = paper_ballots.confirm_paper_ballot(session, round_, entry, staff=staff[0]).receipt_code
        session.commit()
        cron()
    for n, voter in enumerate(voters[:REVOTES]):  # re-votes replace ballots that were already mixed
        result = ballot_service.cast_ballot(session, round_, voter=voter, choices=choices_for(n + 3))
        assert result.replaced
        receipt_of[voter.id] = result.receipt_code
        session.commit()
        cron()

    mixed = session.execute(text("SELECT count(*) FROM ballots WHERE round_id = :r"), {"r": round_.id}).scalar_one()
    assert mixed >= 200  # during voting: most ballots have been mixed in batches of 100 or more
    joined, zipped = _linkage(session, round_.id, receipt_of)
    assert joined <= MAX_LINKS and zipped <= MAX_LINKS, (joined, zipped)
    # A sealed ballot carries no receipt or choice in clear.
    for (sealed,) in session.execute(text("SELECT sealed FROM sealed_ballots")):
        assert not any(code in sealed for code in receipt_of.values())

    assert len(paper_ids & set(receipt_of)) == PAPER
    close_and_seal(session, round_)
    session.close()
    with app.app_context():
        from pb.db import engine

        with engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM participations, ballots, ballot_items, sealed_ballots, paper_entries"))
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))

    counted = sorted(session.execute(text("SELECT receipt_code FROM ballots WHERE round_id = :r"),
                                     {"r": round_id}).scalars())
    assert counted == sorted(receipt_of.values())  # every voter counted once, replaced ballots gone
    joined, zipped = _linkage(session, round_id, receipt_of)
    assert joined <= MAX_LINKS and zipped <= MAX_LINKS, (joined, zipped)
    xmins = set(session.execute(text("SELECT xmin::text FROM ballots WHERE round_id = :r"),
                                {"r": round_id}).scalars())
    assert len(xmins) == 1  # after sealing every ballot has the same transaction id
    for table in ("ballots", "ballot_items", "sealed_ballots", "paper_entries"):
        assert _dead_tuples(session, table) == 0, table
    assert session.execute(text("SELECT count(*) FROM sealed_ballots")).scalar_one() == 0
    assert session.execute(text("SELECT count(*) FROM ballot_seal_keys")).scalar_one() == 0
