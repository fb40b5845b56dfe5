"""Voting service: races (THREATS #1), limits (#2), window (#3), secrecy (#8), sealing."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import DateTime, Date, Time, func, inspect, select

from pb.db import db_session, engine, utcnow
from pb.errors import InvalidState, PermissionDenied, ValidationFailed
from pb.forms.voting import parse_choices
from pb.models.ballot import Ballot, BallotItem, BallotSealKey, Participation, RoundSeal, SealedBallot
from pb.models.proposal import ProposalStatus
from pb.models.residency import Residency
from pb.models.round import BallotType, BudgetRound
from pb.models.user import User
from pb import clock
from pb.services import ballot_mixing, ballot_seal, counting
from pb.services import ballots as ballot_service
from pb.services import turnout as turnout_service
from tests.factories import close_and_seal, make_area, make_proposal, make_resident, make_round, mix_now

N_THREADS = 8


def _rows(session, model) -> int:
    session.commit()
    return session.scalar(select(func.count()).select_from(model)) or 0


def _hammer(app, round_id: int, voter_id: int, choices: dict[int, int], n: int = N_THREADS) -> list[str]:
    """``n`` threads cast the same voter's ballot at the same moment; return each outcome."""
    barrier = threading.Barrier(n)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        # A request context of its own (Dutch messages need one), so its own database session.
        with app.test_request_context():
            session = db_session()
            barrier.wait()
            try:
                round_ = session.get(BudgetRound, round_id)
                voter = session.get(User, voter_id)
                result = ballot_service.cast_ballot(session, round_, voter=voter, choices=choices)
                session.commit()
                outcome = "replaced" if result.replaced else "cast"
            except InvalidState as exc:
                session.rollback()
                outcome = exc.message
            except Exception as exc:  # noqa: BLE001 - a crash must fail the test, visibly
                session.rollback()
                outcome = f"crash: {exc!r}"
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes


# --- THREATS #1: double votes by race -----------------------------------------------------------

def test_parallel_casts_for_one_voter_store_exactly_one_vote(app, session):
    area = make_area(session)
    round_ = make_round(session, area, ballot_type=BallotType.APPROVAL)
    proposal = make_proposal(session, round_)
    voter = make_resident(session, area)
    round_id, voter_id, choices = round_.id, voter.id, {proposal.id: 1}
    session.commit()  # (reading attributes after this would start a transaction holding SQLite's lock)

    outcomes = _hammer(app, round_id, voter_id, choices)

    assert outcomes.count("cast") == 1, outcomes
    assert outcomes.count(ballot_service.already_voted_message()) == N_THREADS - 1, outcomes
    assert _rows(session, Participation) == 1
    assert _rows(session, SealedBallot) == 1 and _rows(session, Ballot) == 0  # sealed until mixed
    mix_now(session, session.get(BudgetRound, round_id))
    assert _rows(session, Ballot) == 1 and _rows(session, SealedBallot) == 0
    assert _rows(session, BallotItem) == 1


def test_parallel_casts_with_revote_allowed_keep_one_ballot(app, session):
    area = make_area(session)
    round_ = make_round(session, area, ballot_type=BallotType.APPROVAL, allow_revote=True)
    proposal = make_proposal(session, round_)
    voter = make_resident(session, area)
    round_id, voter_id, choices = round_.id, voter.id, {proposal.id: 1}
    session.commit()  # (reading attributes after this would start a transaction holding SQLite's lock)

    outcomes = _hammer(app, round_id, voter_id, choices)

    assert not [o for o in outcomes if o.startswith("crash")], outcomes
    assert outcomes.count("cast") == 1, outcomes
    assert outcomes.count("replaced") <= ballot_service.MAX_REVOTES, outcomes
    assert _rows(session, Participation) == 1
    participation = session.scalars(select(Participation)).one()
    assert participation.revotes == outcomes.count("replaced")
    assert _rows(session, SealedBallot) == 1 + participation.revotes
    # Sealing drops the replaced ballot: exactly one counts.
    close_and_seal(session, session.get(BudgetRound, round_id))
    assert _rows(session, Ballot) == 1 and _rows(session, SealedBallot) == 0


# --- THREATS #2: limits, property-based ---------------------------------------------------------

def _satisfies_limits(round_: BudgetRound, costs: dict[int, int], items: list[BallotItem]) -> bool:
    """An independent restatement of the ballot rules, checked on the stored rows."""
    n = len(items)
    ids = [i.proposal_id for i in items]
    if n == 0 or len(set(ids)) != n or not set(ids) <= set(costs):
        return False
    if round_.min_projects is not None and round_.ballot_type != BallotType.CHOOSE_ONE and n < round_.min_projects:
        return False
    if round_.max_projects is not None and round_.ballot_type != BallotType.CHOOSE_ONE and n > round_.max_projects:
        return False
    bt = round_.ballot_type
    if bt == BallotType.CHOOSE_ONE:
        return n == 1
    if bt == BallotType.KNAPSACK:
        total = sum(costs[i] for i in ids)
        share = round_.min_budget_share_pct or 0
        return total <= round_.budget_cents and total * 100 >= share * round_.budget_cents
    if bt == BallotType.CUMULATIVE:
        points = [i.points for i in items]
        return (all(p is not None and 1 <= p <= (round_.points_max_per_project or p) for p in points)
                and sum(points) == round_.points_total)
    if bt == BallotType.RANKED:
        return sorted(i.rank for i in items) == list(range(1, n + 1))
    return all(i.points is None and i.rank is None for i in items)


round_configs = st.one_of(
    st.fixed_dictionaries({"ballot_type": st.just(BallotType.APPROVAL),
                           "min_projects": st.sampled_from([None, 1, 2]), "max_projects": st.sampled_from([None, 3])}),
    st.fixed_dictionaries({"ballot_type": st.just(BallotType.K_APPROVAL), "max_projects": st.integers(1, 4)}),
    st.fixed_dictionaries({"ballot_type": st.just(BallotType.KNAPSACK), "budget_cents": st.integers(1, 60) .map(lambda k: k * 50_000),
                           "min_budget_share_pct": st.sampled_from([None, 50, 80])}),
    st.fixed_dictionaries({"ballot_type": st.just(BallotType.CUMULATIVE), "points_total": st.integers(1, 12),
                           "points_max_per_project": st.sampled_from([None, 3, 6])}),
    st.fixed_dictionaries({"ballot_type": st.just(BallotType.RANKED), "max_projects": st.sampled_from([None, 2, 3])}),
    st.fixed_dictionaries({"ballot_type": st.just(BallotType.CHOOSE_ONE)}),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(config=round_configs,
       costs=st.lists(st.integers(1, 20).map(lambda k: k * 50_000), min_size=1, max_size=6),
       picks=st.lists(st.tuples(st.integers(0, 7), st.integers(-1, 8)), max_size=8))
def test_every_stored_ballot_satisfies_the_round_limits(session, config, costs, picks):
    area = make_area(session)
    round_ = make_round(session, area, **config)
    proposals = [make_proposal(session, round_, estimated_cost_cents=c) for c in costs]
    other = make_proposal(session, make_round(session, area))  # index 7 -> another round's project
    voter = make_resident(session, area)
    session.commit()
    ids = [p.id for p in proposals] + [other.id] * (8 - len(proposals))
    choices = {ids[i]: v for i, v in picks}
    before = _rows(session, SealedBallot)
    try:
        ballot_service.cast_ballot(session, round_, voter=voter, choices=choices)
        session.commit()
    except (ValidationFailed, InvalidState, PermissionDenied):
        session.rollback()
        assert _rows(session, SealedBallot) == before
        assert session.scalar(select(func.count()).select_from(Participation)
                              .where(Participation.voter_id == voter.id)) == 0
        return
    mix_now(session, round_)
    ballot = session.scalars(select(Ballot).where(Ballot.round_id == round_.id)).one()
    assert _satisfies_limits(round_, {p.id: p.ballot_cost_cents for p in proposals}, list(ballot.items))


# --- Invalid ballots of every kind: refused, nothing stored ----------------------------------

INVALID = [
    ("unknown project", BallotType.APPROVAL, {}, lambda p, x: {999_999: 1}, "niet op het stembiljet"),
    ("other round's project", BallotType.APPROVAL, {}, lambda p, x: {x["other"].id: 1}, "niet op het stembiljet"),
    ("infeasible project", BallotType.APPROVAL, {}, lambda p, x: {x["infeasible"].id: 1}, "niet op het stembiljet"),
    ("empty", BallotType.APPROVAL, {}, lambda p, x: {}, "nog geen project"),
    ("approval value 2", BallotType.APPROVAL, {}, lambda p, x: {p[0].id: 2}, "niet goed ingevuld"),
    ("boolean value", BallotType.APPROVAL, {}, lambda p, x: {p[0].id: True}, "niet goed ingevuld"),
    ("too few", BallotType.APPROVAL, {"min_projects": 2}, lambda p, x: {p[0].id: 1}, "minstens 2"),
    ("too many k", BallotType.K_APPROVAL, {"max_projects": 1}, lambda p, x: {p[0].id: 1, p[1].id: 1}, "hoogstens 1"),
    ("over budget", BallotType.KNAPSACK, {"budget_cents": 150_000}, lambda p, x: {p[0].id: 1, p[1].id: 1}, "meer dan het budget"),
    ("under min share", BallotType.KNAPSACK, {"budget_cents": 400_000, "min_budget_share_pct": 50},
     lambda p, x: {p[0].id: 1}, "minstens 50%"),
    ("points sum low", BallotType.CUMULATIVE, {"points_total": 10}, lambda p, x: {p[0].id: 5, p[1].id: 4}, "precies 10"),
    ("points sum high", BallotType.CUMULATIVE, {"points_total": 10}, lambda p, x: {p[0].id: 6, p[1].id: 5}, "precies 10"),
    ("points per project", BallotType.CUMULATIVE, {"points_total": 10, "points_max_per_project": 5},
     lambda p, x: {p[0].id: 7, p[1].id: 3}, "hoogstens 5"),
    ("negative points", BallotType.CUMULATIVE, {"points_total": 10}, lambda p, x: {p[0].id: 11, p[1].id: -1}, "minstens 1"),
    ("rank gap", BallotType.RANKED, {}, lambda p, x: {p[0].id: 1, p[1].id: 3}, "zonder plaatsen"),
    ("rank twice", BallotType.RANKED, {}, lambda p, x: {p[0].id: 1, p[1].id: 1}, "zonder plaatsen"),
    ("rank starts at 2", BallotType.RANKED, {}, lambda p, x: {p[0].id: 2}, "zonder plaatsen"),
    ("ranked too many", BallotType.RANKED, {"max_projects": 1}, lambda p, x: {p[0].id: 1, p[1].id: 2}, "hoogstens 1"),
    ("choose one of two", BallotType.CHOOSE_ONE, {}, lambda p, x: {p[0].id: 1, p[1].id: 1}, "precies één"),
]


@pytest.mark.parametrize("name,ballot_type,config,choices_of,message", INVALID, ids=[c[0] for c in INVALID])
def test_invalid_ballots_are_refused_and_nothing_is_stored(session, name, ballot_type, config, choices_of, message):
    area = make_area(session)
    round_ = make_round(session, area, ballot_type=ballot_type, **config)
    proposals = [make_proposal(session, round_) for _ in range(3)]
    extra = {"other": make_proposal(session, make_round(session, area)),
             "infeasible": make_proposal(session, round_, status=ProposalStatus.INFEASIBLE)}
    voter = make_resident(session, area)
    session.commit()
    with pytest.raises(ValidationFailed) as exc:
        ballot_service.cast_ballot(session, round_, voter=voter, choices=choices_of(proposals, extra))
    session.rollback()
    assert message in exc.value.message
    assert _rows(session, Participation) == 0
    assert _rows(session, Ballot) == 0
    assert _rows(session, BallotItem) == 0


def test_form_parsing_refuses_duplicates_and_non_numbers(app):
    from werkzeug.datastructures import MultiDict

    with app.test_request_context():
        with pytest.raises(ValidationFailed, match="twee keer"):
            parse_choices(BallotType.APPROVAL, MultiDict([("project", "4"), ("project", "4")]), [4])
        with pytest.raises(ValidationFailed, match="twee keer"):
            parse_choices(BallotType.RANKED, MultiDict({"rank-1": "4", "rank-2": "4"}), [4, 5])
        with pytest.raises(ValidationFailed, match="hele getallen"):
            parse_choices(BallotType.CUMULATIVE, MultiDict({"points-4": "drie"}), [4])
        assert parse_choices(BallotType.CUMULATIVE, MultiDict({"points-4": "3", "points-5": "0"}), [4, 5]) == {4: 3}


# --- THREATS #3: the voting window and eligibility -----------------------------------------

def test_just_before_open_and_at_close_are_refused(session):
    area = make_area(session)
    round_ = make_round(session, area, ballot_type=BallotType.APPROVAL)
    proposal = make_proposal(session, round_)
    voters = [make_resident(session, area) for _ in range(3)]
    session.commit()
    tick = dt.timedelta(microseconds=1)
    for moment, voter in ((round_.voting_open_at - tick, voters[0]), (round_.voting_close_at, voters[1]),
                          (round_.voting_close_at + dt.timedelta(seconds=1), voters[2])):
        with pytest.raises(InvalidState):
            ballot_service.cast_ballot(session, round_, voter=voter, choices={proposal.id: 1}, now=moment)
        session.rollback()
    assert _rows(session, Participation) == 0 and _rows(session, Ballot) == 0
    ballot_service.cast_ballot(session, round_, voter=voters[0], choices={proposal.id: 1}, now=round_.voting_open_at)
    ballot_service.cast_ballot(session, round_, voter=voters[1], choices={proposal.id: 1},
                       now=round_.voting_close_at - tick)
    session.commit()
    assert _rows(session, SealedBallot) == 2


def test_rounds_not_yet_open_or_closed_refuse_by_server_clock(session):
    area = make_area(session)
    now = utcnow()
    later = make_round(session, area, voting_open_at=now + dt.timedelta(minutes=1))
    closed = make_round(session, area, voting_open_at=now - dt.timedelta(days=8),
                        voting_close_at=now - dt.timedelta(seconds=1))
    voter = make_resident(session, area)
    for r in (later, closed):
        p = make_proposal(session, r)
        session.commit()
        with pytest.raises(InvalidState):
            ballot_service.cast_ballot(session, r, voter=voter, choices={p.id: 1})
        session.rollback()
    assert _rows(session, Participation) == 0


def test_age_limits_use_the_birth_date(session):
    area = make_area(session)
    round_ = make_round(session, area, ballot_type=BallotType.APPROVAL, min_age=16, max_age=99)
    proposal = make_proposal(session, round_)
    today = utcnow().astimezone(clock.LOCAL_TZ).date()
    def resident(birth: dt.date | None) -> User:
        user = make_resident(session, area)
        session.scalars(select(Residency).where(Residency.user_id == user.id)).one().birth_date = birth
        return user
    too_young = resident(today.replace(year=today.year - 16) + dt.timedelta(days=1))
    unknown = resident(None)
    just_sixteen = resident(today.replace(year=today.year - 16) if (today.month, today.day) != (2, 29)
                            else dt.date(today.year - 16, 2, 28))
    session.commit()
    for voter in (too_young, unknown):
        with pytest.raises(PermissionDenied):
            ballot_service.cast_ballot(session, round_, voter=voter, choices={proposal.id: 1})
        session.rollback()
    ballot_service.cast_ballot(session, round_, voter=just_sixteen, choices={proposal.id: 1})
    session.commit()
    assert _rows(session, Participation) == 1
    from pb.services import residency as residency_rules

    leapling = Residency(birth_date=dt.date(2008, 2, 29))
    assert residency_rules.age_on(leapling, dt.date(2026, 2, 28)) == 17
    assert residency_rules.age_on(leapling, dt.date(2026, 3, 1)) == 18


def test_register_birth_year_wins_over_declared_birth_date(session):
    area = make_area(session)
    round_ = make_round(session, area, ballot_type=BallotType.APPROVAL, min_age=16)
    proposal = make_proposal(session, round_)
    today = utcnow().astimezone(clock.LOCAL_TZ).date()
    voter = make_resident(session, area)
    residency = session.scalars(select(Residency).where(Residency.user_id == voter.id)).one()
    residency.birth_date = dt.date(today.year - 40, 1, 1)  # declared: old enough
    residency.birth_year = today.year - 10  # register: a child
    session.commit()
    with pytest.raises(PermissionDenied):
        ballot_service.cast_ballot(session, round_, voter=voter, choices={proposal.id: 1})
    session.rollback()
    assert _rows(session, Participation) == 0


def test_non_resident_is_refused(session):
    from tests.factories import make_user

    area, elsewhere = make_area(session), make_area(session)
    round_ = make_round(session, area, ballot_type=BallotType.APPROVAL)
    proposal = make_proposal(session, round_)
    voter = make_resident(session, elsewhere)
    plain = make_user(session)
    session.commit()
    for user in (voter, plain):
        with pytest.raises(PermissionDenied):
            ballot_service.cast_ballot(session, round_, voter=user, choices={proposal.id: 1})
        session.rollback()
    assert _rows(session, Participation) == 0


# --- THREATS #8: secrecy ------------------------------------------------------------------------

def test_ballot_tables_have_no_user_and_no_time_columns(app):
    with app.app_context():
        insp = inspect(engine())
        for table in ("ballots", "ballot_items", "sealed_ballots"):
            columns = insp.get_columns(table)
            names = {c["name"] for c in columns}
            forbidden = {"user", "voter", "by", "at", "time", "date", "ip", "created", "updated", "cast", "session"}
            assert not {n for n in names if forbidden & set(n.split("_"))}, names
            assert not [c for c in columns if isinstance(c["type"], DateTime | Date | Time)], columns
            referred = {fk["referred_table"] for fk in insp.get_foreign_keys(table)}
            assert referred <= {"rounds", "ballots", "proposals", "ballot_seal_keys"}, referred
            # No sequence: keys are random (ballots: 62-bit numbers; sealed ballots: uuid4 text).
            assert not any(c.get("autoincrement") is True for c in columns), columns
        assert {"round_id", "voter_id"} in [set(u["column_names"]) for u in insp.get_unique_constraints("participations")]


def test_identical_ballots_get_different_random_receipts_and_ids(session):
    area = make_area(session)
    round_ = make_round(session, area, ballot_type=BallotType.APPROVAL)
    proposal = make_proposal(session, round_)
    voters = [make_resident(session, area) for _ in range(40)]
    session.commit()
    codes = [ballot_service.cast_ballot(session, round_, voter=v, choices={proposal.id: 1}).receipt_code for v in voters]
    session.commit()
    assert len(set(codes)) == len(codes)
    assert all(len(c) == 14 and set(c.replace("-", "")) <= set(ballot_service.RECEIPT_ALPHABET) for c in codes)
    mix_now(session, round_)
    assert sorted(session.scalars(select(Ballot.receipt_code))) == sorted(codes)
    ids = [b for b in session.scalars(select(Ballot.id))]
    assert len(set(ids)) == 40
    assert ids != sorted(ids) or max(ids) > 2**40  # random, not a small sequence
    assert max(ids) > 2**40


def test_export_order_is_uncorrelated_with_cast_order_and_needs_a_closed_round(session):
    area = make_area(session)
    round_ = make_round(session, area, ballot_type=BallotType.CHOOSE_ONE)
    proposals = [make_proposal(session, round_) for _ in range(30)]
    codes = []
    for p in proposals:  # ballot i chooses proposal i: the export reveals the cast order if it keeps it
        codes.append(ballot_service.cast_ballot(session, round_, voter=make_resident(session, area),
                                                choices={p.id: 1}).receipt_code)
    session.commit()
    with pytest.raises(InvalidState):
        counting.count_round(session, round_, seal=False)
    after = round_.voting_close_at + dt.timedelta(minutes=1)
    # A private preview before sealing opens the waiting sealed ballots in memory and writes nothing.
    count = counting.count_round(session, round_, seal=False, now=after)
    order = [count.proposals[b.projects[0]].id for b in count.election.ballots]
    assert sorted(order) == [p.id for p in proposals]
    assert order != [p.id for p in proposals]
    assert (count.online, count.paper) == (30, 0)
    assert count.receipts == sorted(codes)
    assert _rows(session, Ballot) == 0 and _rows(session, SealedBallot) == 30


def test_sealing_destroys_key_and_pointers_idempotently(session):
    area = make_area(session)
    round_ = make_round(session, area, ballot_type=BallotType.APPROVAL, allow_revote=True)
    proposal = make_proposal(session, round_)
    voters = [make_resident(session, area) for _ in range(3)]
    for v in voters:
        ballot_service.cast_ballot(session, round_, voter=v, choices={proposal.id: 1})
    session.commit()
    pointers = list(session.scalars(select(Participation.sealed_pointer)))
    assert all(pointers) and len(set(pointers)) == 3
    ballot_ids = {str(i) for i in session.scalars(select(Ballot.id))}
    assert not any(bid in p for p in pointers for bid in ballot_ids)
    with pytest.raises(InvalidState):
        ballot_mixing.seal_round(session, round_)  # still open
    session.rollback()
    after = round_.voting_close_at + dt.timedelta(seconds=1)
    assert ballot_mixing.seal_round(session, round_, now=after) is True
    session.commit()
    assert ballot_mixing.seal_round(session, round_, now=after) is False
    assert list(session.scalars(select(Participation.sealed_pointer))) == [None, None, None]
    assert _rows(session, BallotSealKey) == 0 and _rows(session, RoundSeal) == 1
    assert _rows(session, Ballot) == 3


def test_swapped_pointer_or_other_secret_key_cannot_redirect_a_revote(app, session):
    area = make_area(session)
    round_ = make_round(session, area, ballot_type=BallotType.APPROVAL, allow_revote=True)
    p1, p2 = make_proposal(session, round_), make_proposal(session, round_)
    alice, bob = make_resident(session, area), make_resident(session, area)
    ballot_service.cast_ballot(session, round_, voter=alice, choices={p1.id: 1})
    ballot_service.cast_ballot(session, round_, voter=bob, choices={p1.id: 1})
    session.commit()
    pa, pb_ = session.scalars(select(Participation).order_by(Participation.voter_id)).all()
    pa.sealed_pointer, pb_.sealed_pointer = pb_.sealed_pointer, pa.sealed_pointer  # a DBA swaps them
    session.commit()
    with pytest.raises(InvalidState):
        ballot_service.cast_ballot(session, round_, voter=alice, choices={p2.id: 1})
    session.rollback()
    pa.sealed_pointer, pb_.sealed_pointer = pb_.sealed_pointer, pa.sealed_pointer
    session.commit()
    key = ballot_seal.round_key(session, round_)
    app.config["SECRET_KEY"] = "another-secret"
    assert ballot_seal.round_key(session, round_) != key  # the database alone cannot open pointers
    with pytest.raises(InvalidState):
        ballot_service.cast_ballot(session, round_, voter=alice, choices={p2.id: 1})
    session.rollback()
    assert _rows(session, SealedBallot) == 2


def test_turnout_per_postcode_from_the_register_hides_small_groups(session):
    from tests.factories import make_register_entry

    area = make_area(session)
    round_ = make_round(session, area, ballot_type=BallotType.APPROVAL)
    proposal = make_proposal(session, round_)
    for postcode, voters in (("7071AB", 11), ("7072CD", 3)):
        entry = make_register_entry(session, area, postcode=postcode, eligible_count=voters)
        for _ in range(voters):
            voter = make_resident(session, area)
            session.scalars(select(Residency).where(Residency.user_id == voter.id)).one().register_entry_id = entry.id
            ballot_service.cast_ballot(session, round_, voter=voter, choices={proposal.id: 1})
    unlinked = make_resident(session, area)
    ballot_service.cast_ballot(session, round_, voter=unlinked, choices={proposal.id: 1})
    session.commit()
    report = turnout_service.turnout(session, round_)
    assert report.total == 15
    assert report.per_postcode == [("7071", 11), ("7072", None)]  # under 10: no number shown


def test_a_cast_that_commits_after_sealing_is_refused_not_stranded(app, session):
    """A server process that still knows the round key (its cached salt) casts after the round was
    sealed: the sealed ballot's foreign key to the deleted key row refuses it, and the rollback
    removes the participation too. Nothing is stored that the count would never see."""
    area = make_area(session)
    round_ = make_round(session, area, ballot_type=BallotType.APPROVAL)
    proposal = make_proposal(session, round_)
    early, late = make_resident(session, area), make_resident(session, area)
    ballot_service.cast_ballot(session, round_, voter=early, choices={proposal.id: 1})
    session.commit()
    close = round_.voting_close_at
    salt = app.extensions["pb_ballot_salts"][round_.id]
    assert ballot_mixing.seal_round(session, round_, now=close + dt.timedelta(seconds=1))
    session.commit()
    app.extensions["pb_ballot_salts"][round_.id] = salt  # another worker's stale copy
    with pytest.raises(InvalidState):
        ballot_service.cast_ballot(session, round_, voter=late, choices={proposal.id: 1}, now=close - dt.timedelta(seconds=1))
    session.rollback()
    assert _rows(session, Participation) == 1 and _rows(session, SealedBallot) == 0 and _rows(session, Ballot) == 1
