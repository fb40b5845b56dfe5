"""Voting: check and cast ballots, re-vote, receipts, paper ballots, sealing, turnout, tally input.

A vote writes two unrelated rows in one transaction: a :class:`Participation` (who voted; the
``UNIQUE(round_id, voter_id)`` constraint makes a second one impossible) and a :class:`Ballot`
(what was chosen; no voter, no time, random id). While re-voting is possible the participation
holds a *sealed pointer*: the ballot id encrypted and authenticated with a per-round key
``HMAC-SHA256(SECRET_KEY, "pb-ballot-seal" || salt)`` (the salt is in ``ballot_seal_keys``).
Encryption is one block of an HMAC-SHA256 keystream (the ballot id is 8 bytes):

    nonce = 16 random bytes
    ct    = id (8 bytes, big endian) XOR HMAC(key, "pad" || nonce)[:8]
    tag   = HMAC(key, "tag" || nonce || ct || round_id || voter_id)[:16]
    sealed = base64url(nonce || ct || tag)

HMAC-SHA256 is a PRF, so with a fresh nonce the pad is a one-time pad and the tag binds the
pointer to its participation (swapping pointers between voters is detected). ``seal_round``
deletes the salt and every pointer once voting has closed. See ``docs/secret-ballot.md``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pb.db import utcnow
from pb.errors import InvalidState, NotFound, PermissionDenied, ValidationFailed
from pb.models.area import Area
from pb.models.ballot import (
    Ballot,
    BallotItem,
    BallotSealKey,
    Channel,
    PaperEntry,
    Participation,
    RoundSeal,
    random_ballot_id,
)
from pb.models.proposal import Proposal, ProposalStatus, project_order
from pb.models.register import RegisterEntry
from pb.models.residency import Residency
from pb.models.round import BallotType, BudgetRound, Phase
from pb.models.user import Role, User
from pb.services import residency as residency_rules
from pb.services import audit, authz, voting_readiness
from pb.templating import euro

Choices = Mapping[int, int]
"""proposal id -> value: 1 for approval-style ballots, points (cumulative) or rank (ranked)."""

MAX_REVOTES = 1  # a voter may replace their ballot once, until the round closes
RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I look-alikes
RECEIPT_LENGTH = 12  # 12 x 5 bits = 60 bits
TURNOUT_MIN_GROUP = 10
LOCAL_TZ = ZoneInfo("Europe/Amsterdam")
_SEAL_CONTEXT = b"pb-ballot-seal\x00"


def already_voted_message() -> str:
    """The answer to a second vote (a double click, a retry, a second device)."""
    return _("U heeft al gestemd in deze ronde.")


# --- Reading the ballot ---------------------------------------------------------------------

def ballot_proposals(session: Session, round_: BudgetRound) -> list[Proposal]:
    """The projects on the ballot of ``round_``: its feasible proposals, in the round's project order."""
    return list(session.scalars(
        select(Proposal)
        .where(Proposal.round_id == round_.id, Proposal.status == ProposalStatus.FEASIBLE)
        .order_by(*project_order())
    ))


def ballot_order(round_: BudgetRound, proposals: Sequence[Proposal], voter_id: int) -> list[Proposal]:
    """Shuffle the projects for one voter: random-looking, but the same on every visit.

    The order key is HMAC(SECRET_KEY, round id, voter id, proposal id), so nobody can predict
    another voter's order and the first project is not favoured.
    """
    secret = str(current_app.config["SECRET_KEY"]).encode()

    def key(proposal: Proposal) -> bytes:
        msg = f"ballot-order:{round_.id}:{voter_id}:{proposal.id}".encode()
        return hmac.new(secret, msg, hashlib.sha256).digest()

    return sorted(proposals, key=key)


def participation_of(session: Session, round_: BudgetRound, voter: User) -> Participation | None:
    """The voter's participation in ``round_``, if they voted."""
    return session.scalar(
        select(Participation).where(Participation.round_id == round_.id, Participation.voter_id == voter.id)
    )


def can_change_vote(round_: BudgetRound, participation: Participation | None) -> bool:
    """Whether this voter may still replace their ballot."""
    return bool(
        participation is not None and round_.allow_revote and participation.channel == Channel.ONLINE
        and participation.revotes < MAX_REVOTES and participation.sealed_pointer is not None
    )


# --- Eligibility and validation -------------------------------------------------------------

def require_voting_open(round_: BudgetRound, now: dt.datetime) -> None:
    """Raise unless ``round_`` is in its voting phase at ``now`` (server time).

    Raises:
        InvalidState: before opening or after closing.
    """
    phase = round_.phase_at(now)
    if phase == Phase.VOTING:
        return
    if phase in (Phase.CLOSED, Phase.RESULTS):
        raise InvalidState(_("De stemming is gesloten. U kunt niet meer stemmen."))
    raise InvalidState(_("De stemming is nog niet open. U kunt stemmen vanaf %(d)s.",
                         d=round_.voting_open_at.astimezone(LOCAL_TZ).strftime("%d-%m-%Y %H:%M")))


def require_eligible(session: Session, round_: BudgetRound, voter: User, now: dt.datetime) -> Residency:
    """Return the voter's residency in the round's area, or raise.

    Raises:
        PermissionDenied: not a verified resident of the area, or outside the age limits.
    """
    area = session.get(Area, round_.area_id)
    assert area is not None
    residency = authz.require_resident(session, voter, area)
    day = now.astimezone(LOCAL_TZ).date()
    # The register's birth year wins over a declared birth date (pb.services.residency).
    if not residency_rules.meets_age_limits(residency, round_, on=day):
        if residency_rules.age_on(residency, day) is None:
            raise PermissionDenied(_("Voor deze ronde geldt een leeftijdsgrens en uw geboortedatum is niet "
                                     "bekend. Ga naar het informatiepunt met uw identiteitsbewijs."))
        raise PermissionDenied(_("U valt buiten de leeftijdsgrens van deze ronde."))
    return residency


def validate_choices(round_: BudgetRound, proposals: Sequence[Proposal], choices: Choices) -> None:
    """Check a whole ballot against the round's ballot type and limits.

    Args:
        round_: the round (ballot type, limits, budget).
        proposals: the projects on this round's ballot.
        choices: proposal id -> 1, points or rank.

    Raises:
        ValidationFailed: with a Dutch explanation of the first rule the ballot breaks.
    """
    on_ballot = {p.id: p for p in proposals}
    if any(pid not in on_ballot for pid in choices):
        raise ValidationFailed(_("U koos een project dat niet op het stembiljet van deze ronde staat."))
    if any(not isinstance(v, int) or isinstance(v, bool) for v in choices.values()):
        raise ValidationFailed(_("Uw stem is niet goed ingevuld."))
    n = len(choices)
    bt = round_.ballot_type
    if n == 0:
        raise ValidationFailed(_("U heeft nog geen project gekozen."))
    if bt == BallotType.CHOOSE_ONE:
        if n != 1 or set(choices.values()) != {1}:
            raise ValidationFailed(_("Kies precies één project."))
        return
    if bt in (BallotType.APPROVAL, BallotType.K_APPROVAL, BallotType.KNAPSACK) and set(choices.values()) != {1}:
        raise ValidationFailed(_("Uw stem is niet goed ingevuld."))
    minimum, maximum = round_.min_projects, round_.max_projects
    if bt == BallotType.CUMULATIVE:
        _validate_points(round_, choices)
    if bt == BallotType.RANKED:
        ranks = sorted(choices.values())
        if ranks != list(range(1, n + 1)):
            raise ValidationFailed(_("Geef elke plaats (1, 2, 3, ...) aan één project, zonder plaatsen over te slaan."))
    if minimum is not None and n < minimum:
        raise ValidationFailed(ngettext("Kies minstens %(num)d project.", "Kies minstens %(num)d projecten.", minimum))
    if maximum is not None and n > maximum:
        raise ValidationFailed(ngettext("Kies hoogstens %(num)d project.", "Kies hoogstens %(num)d projecten.", maximum))
    if bt == BallotType.KNAPSACK:
        total = sum(on_ballot[pid].ballot_cost_cents for pid in choices)
        if total > round_.budget_cents:
            raise ValidationFailed(_("Uw keuze kost %(total)s. Dat is meer dan het budget van %(budget)s.",
                                     total=euro(total), budget=euro(round_.budget_cents)))
        pct = round_.min_budget_share_pct
        if pct and total * 100 < pct * round_.budget_cents:
            raise ValidationFailed(_("Kies projecten voor minstens %(pct)d%% van het budget (%(min)s). "
                                     "Uw keuze kost %(total)s.", pct=pct, total=euro(total),
                                     min=euro(-(-pct * round_.budget_cents // 100))))


def _validate_points(round_: BudgetRound, choices: Choices) -> None:
    per_max = round_.points_max_per_project
    if any(v < 1 for v in choices.values()):
        raise ValidationFailed(_("Geef elk gekozen project minstens 1 punt."))
    if per_max is not None and any(v > per_max for v in choices.values()):
        raise ValidationFailed(_("Geef een project hoogstens %(n)d punten.", n=per_max))
    total = sum(choices.values())
    if round_.points_total is not None and total != round_.points_total:
        raise ValidationFailed(_("Verdeel precies %(n)d punten. U heeft er nu %(t)d verdeeld.",
                                 n=round_.points_total, t=total))


def check_ballot(session: Session, round_: BudgetRound, *, voter: User, choices: Choices,
                 now: dt.datetime | None = None) -> None:
    """Everything :func:`cast_ballot` checks before writing (used by the review step).

    Raises:
        InvalidState: voting not open.
        PermissionDenied: voter not eligible.
        ValidationFailed: the ballot breaks a rule.
    """
    now = now or utcnow()
    require_voting_open(round_, now)
    voting_readiness.require_ready(session, round_)
    require_eligible(session, round_, voter, now)
    validate_choices(round_, ballot_proposals(session, round_), choices)


# --- Casting ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class CastResult:
    """What casting did: the receipt to give the voter and whether an earlier ballot was replaced."""

    receipt_code: str
    replaced: bool


def new_receipt_code() -> str:
    """A random tracking code such as ``K7QM-2XHD-9PWA``; never derived from the ballot."""
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, RECEIPT_LENGTH, 4))


def cast_ballot(session: Session, round_: BudgetRound, *, voter: User, choices: Choices,
                channel: Channel = Channel.ONLINE, now: dt.datetime | None = None) -> CastResult:
    """Validate and store a whole ballot, or replace the voter's earlier one (re-vote).

    Inserts the participation first and lets ``UNIQUE(round_id, voter_id)`` decide races: no
    check-then-insert. The caller commits (participation and ballot in one transaction) or rolls
    back on an error.

    Args:
        session: the request's session.
        round_: the round voted in.
        voter: the resident whose ballot this is.
        choices: proposal id -> 1, points or rank.
        channel: online, or paper (via :func:`confirm_paper_ballot`).
        now: server time (tests pass a moment to check the window edges).

    Returns:
        The receipt code and whether an earlier ballot was replaced.

    Raises:
        InvalidState: voting not open; already voted (and no re-vote possible).
        PermissionDenied: not eligible.
        ValidationFailed: the ballot breaks a rule of the round.
    """
    now = now or utcnow()
    check_ballot(session, round_, voter=voter, choices=choices, now=now)
    ballot_id = random_ballot_id()
    revotable = round_.allow_revote and channel == Channel.ONLINE
    pointer = _seal_pointer(_round_key(session, round_), ballot_id, round_.id, voter.id) if revotable else None
    participation = Participation(round_id=round_.id, voter_id=voter.id, channel=channel, cast_at=now,
                                  revotes=0, sealed_pointer=pointer)
    replaced = False
    try:
        with session.begin_nested():
            session.add(participation)
    except IntegrityError:  # the savepoint rollback already expunged the new participation
        _replace_earlier_ballot(session, round_, voter=voter, channel=channel, new_ballot_id=ballot_id)
        replaced = True
    receipt = new_receipt_code()
    session.add(Ballot(id=ballot_id, round_id=round_.id, channel=channel, receipt_code=receipt,
                       items=_items(round_, choices)))
    session.flush()
    return CastResult(receipt_code=receipt, replaced=replaced)


def _items(round_: BudgetRound, choices: Choices) -> list[BallotItem]:
    if round_.ballot_type == BallotType.CUMULATIVE:
        return [BallotItem(proposal_id=pid, points=v) for pid, v in sorted(choices.items())]
    if round_.ballot_type == BallotType.RANKED:
        return [BallotItem(proposal_id=pid, rank=v) for pid, v in sorted(choices.items())]
    return [BallotItem(proposal_id=pid) for pid in sorted(choices)]


def _replace_earlier_ballot(session: Session, round_: BudgetRound, *, voter: User, channel: Channel,
                            new_ballot_id: int) -> None:
    """Re-vote: point the participation at the new ballot and delete the old one, race-safely."""
    existing = session.scalars(
        select(Participation)
        .where(Participation.round_id == round_.id, Participation.voter_id == voter.id)
        .execution_options(populate_existing=True)
    ).one()
    if channel != Channel.ONLINE or existing.channel != Channel.ONLINE or not round_.allow_revote:
        raise InvalidState(already_voted_message())
    if existing.revotes >= MAX_REVOTES:
        raise InvalidState(_("U heeft uw stem al een keer gewijzigd. Meer keren wijzigen kan niet."))
    if existing.sealed_pointer is None:
        raise InvalidState(already_voted_message())
    key = _round_key(session, round_)
    old_ballot_id = _open_pointer(key, existing.sealed_pointer, round_.id, voter.id)
    # Optimistic lock on ``revotes``: of two simultaneous re-votes exactly one matches the row
    # (PostgreSQL re-checks the WHERE after the other commits; SQLite serialises writers).
    result = session.execute(
        update(Participation)
        .where(Participation.id == existing.id, Participation.revotes == existing.revotes)
        .values(revotes=existing.revotes + 1,
                sealed_pointer=_seal_pointer(key, new_ballot_id, round_.id, voter.id))
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidState(_("Uw stem werd tegelijk al gewijzigd. Kijk of uw stem goed is opgeslagen."))
    session.execute(delete(BallotItem).where(BallotItem.ballot_id == old_ballot_id))
    session.execute(delete(Ballot).where(Ballot.id == old_ballot_id, Ballot.round_id == round_.id))
    session.expire(existing)


# --- The sealed pointer -----------------------------------------------------------------------

def _round_key(session: Session, round_: BudgetRound) -> bytes:
    """The round's pointer key, creating its salt on first use (race-safe)."""
    row = session.get(BallotSealKey, round_.id)
    if row is None:
        if session.get(RoundSeal, round_.id) is not None:
            raise InvalidState(_("De stemming is gesloten. U kunt niet meer stemmen."))
        try:
            with session.begin_nested():
                session.add(BallotSealKey(round_id=round_.id, salt=secrets.token_hex(32)))
        except IntegrityError:
            pass  # another first voter created it; read theirs
        row = session.scalars(
            select(BallotSealKey).where(BallotSealKey.round_id == round_.id)
            .execution_options(populate_existing=True)
        ).one()
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, _SEAL_CONTEXT + row.salt.encode(), hashlib.sha256).digest()


def _bind(round_id: int, voter_id: int) -> bytes:
    return round_id.to_bytes(8, "big") + voter_id.to_bytes(8, "big")


def _seal_pointer(key: bytes, ballot_id: int, round_id: int, voter_id: int) -> str:
    nonce = secrets.token_bytes(16)
    pad = hmac.new(key, b"pad" + nonce, hashlib.sha256).digest()[:8]
    ct = bytes(a ^ b for a, b in zip(ballot_id.to_bytes(8, "big"), pad, strict=True))
    tag = hmac.new(key, b"tag" + nonce + ct + _bind(round_id, voter_id), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(nonce + ct + tag).decode().rstrip("=")


def _open_pointer(key: bytes, sealed: str, round_id: int, voter_id: int) -> int:
    """Decrypt a sealed pointer; raise if it was tampered with or the key changed.

    Raises:
        InvalidState: the pointer does not open with this key for this voter.
    """
    raw = base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))
    nonce, ct, tag = raw[:16], raw[16:24], raw[24:]
    expected = hmac.new(key, b"tag" + nonce + ct + _bind(round_id, voter_id), hashlib.sha256).digest()[:16]
    if len(raw) != 40 or not hmac.compare_digest(tag, expected):
        raise InvalidState(_("Uw stem kan niet meer gewijzigd worden."))
    pad = hmac.new(key, b"pad" + nonce, hashlib.sha256).digest()[:8]
    return int.from_bytes(bytes(a ^ b for a, b in zip(ct, pad, strict=True)), "big")


def seal_round(session: Session, round_: BudgetRound, *, now: dt.datetime | None = None,
               actor: User | None = None) -> bool:
    """Destroy the round's pointer key and every sealed pointer once voting has closed.

    Idempotent: returns True when this call sealed the round, False when it already was.

    Raises:
        InvalidState: voting has not closed yet.
    """
    now = now or utcnow()
    if round_.phase_at(now) not in (Phase.CLOSED, Phase.RESULTS):
        raise InvalidState(_("De stemming is nog niet gesloten."))
    if session.get(RoundSeal, round_.id) is not None:
        return False
    session.execute(delete(BallotSealKey).where(BallotSealKey.round_id == round_.id))
    session.execute(
        update(Participation).where(Participation.round_id == round_.id)
        .values(sealed_pointer=None).execution_options(synchronize_session=False)
    )
    try:
        with session.begin_nested():
            session.add(RoundSeal(round_id=round_.id, sealed_at=now))
    except IntegrityError:
        return False  # sealed at the same moment by another process
    audit.record(session, actor=actor, action="round.seal_ballots", obj_type="round", obj_id=round_.id,
                 area_id=round_.area_id, round_id=round_.id, public=True)
    return True


def seal_closed_rounds(session: Session, *, now: dt.datetime | None = None) -> list[BudgetRound]:
    """Seal every round whose voting has closed and is not sealed yet; return those sealed."""
    now = now or utcnow()
    sealed_ids = select(RoundSeal.round_id)
    candidates = session.scalars(
        select(BudgetRound).where(BudgetRound.voting_close_at <= now, BudgetRound.id.not_in(sealed_ids))
    ).all()
    return [r for r in candidates if seal_round(session, r, now=now)]


# --- Paper ballots at the information point ---------------------------------------------------

def can_enter_paper(user: User | None, area: Area) -> bool:
    """Staff (any area), managers of the area and admins may work the information point."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.role == Role.STAFF:
        return True
    return authz.can_manage_area(user, area)


def require_info_point(user: User | None, area: Area) -> None:
    """Raise unless ``user`` may enter paper ballots for ``area``.

    Raises:
        PermissionDenied: not staff for this area.
    """
    if not can_enter_paper(user, area):
        raise PermissionDenied(_("Alleen medewerkers van het informatiepunt kunnen dit doen."))


def find_voter(session: Session, round_: BudgetRound, login: str) -> User:
    """Find a resident of the round's area by e-mail address or username.

    Raises:
        NotFound: no such account, or not a verified resident of the area.
    """
    from pb.services.accounts import find_by_login

    user = find_by_login(session, login) if login.strip() else None
    area = session.get(Area, round_.area_id)
    assert area is not None
    if user is None or authz.residency_in(session, user, area) is None:
        raise NotFound(_("Geen geverifieerde bewoner van %(area)s gevonden met deze gegevens. "
                         "Verifieer de bewoner eerst persoonlijk.", area=area.name), field="login")
    return user


def enter_paper_ballot(session: Session, round_: BudgetRound, *, staff: User, voter: User,
                       choices: Choices) -> PaperEntry:
    """First staff member types in a resident's paper ballot; it waits for a second one.

    Raises:
        PermissionDenied: not staff, or the voter is not eligible.
        InvalidState: voting not open; the voter already voted or has a pending entry.
        ValidationFailed: the ballot breaks a rule.
    """
    area = session.get(Area, round_.area_id)
    assert area is not None
    require_info_point(staff, area)
    check_ballot(session, round_, voter=voter, choices=choices)
    if participation_of(session, round_, voter) is not None:  # friendly early answer; confirm decides
        raise InvalidState(_("Deze bewoner heeft al gestemd in deze ronde."))
    entry = PaperEntry(round_id=round_.id, voter_id=voter.id, entered_by_id=staff.id, entered_at=utcnow(),
                       choices_json=json.dumps({str(k): v for k, v in sorted(choices.items())}))
    try:
        with session.begin_nested():
            session.add(entry)
    except IntegrityError:
        raise InvalidState(_("Voor deze bewoner staat al een papieren stem klaar om te bevestigen.")) from None
    # Never the ballot's content in the log: only who entered a paper ballot for whom.
    audit.record(session, actor=staff, action="paper_ballot.enter", obj_type="paper_entry", obj_id=entry.id,
                 area_id=round_.area_id, round_id=round_.id, after={"voter_id": voter.id})
    return entry


def entry_choices(entry: PaperEntry) -> dict[int, int]:
    """The choices of a pending paper entry."""
    return {int(k): int(v) for k, v in json.loads(entry.choices_json).items()}


def pending_paper_entries(session: Session, round_: BudgetRound) -> list[PaperEntry]:
    """Paper entries of ``round_`` waiting for a second staff member, oldest first."""
    return list(session.scalars(
        select(PaperEntry).where(PaperEntry.round_id == round_.id).order_by(PaperEntry.entered_at, PaperEntry.id)
    ))


def get_paper_entry(session: Session, round_: BudgetRound, entry_id: int) -> PaperEntry:
    """Return a pending entry of this round.

    Raises:
        NotFound: no such pending entry (perhaps already confirmed or rejected).
    """
    entry = session.get(PaperEntry, entry_id)
    if entry is None or entry.round_id != round_.id:
        raise NotFound(_("Deze papieren stem wacht niet (meer) op bevestiging."))
    return entry


def _take_entry(session: Session, entry: PaperEntry) -> None:
    """Delete the pending entry; only one confirmer or rejecter can succeed."""
    result = session.execute(delete(PaperEntry).where(PaperEntry.id == entry.id)
                             .execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidState(_("Deze papieren stem is al door iemand anders afgehandeld."))
    session.expunge(entry)


def confirm_paper_ballot(session: Session, round_: BudgetRound, entry: PaperEntry, *, staff: User) -> CastResult:
    """A second staff member confirms a paper entry: now participation and ballot are written.

    Raises:
        PermissionDenied: not staff, or the same person who entered it.
        InvalidState: voting not open; the resident voted meanwhile (online); already handled.
        ValidationFailed: the ballot breaks a rule.
    """
    area = session.get(Area, round_.area_id)
    assert area is not None
    require_info_point(staff, area)
    if entry.entered_by_id == staff.id:
        raise PermissionDenied(_("Een tweede medewerker moet deze stem bevestigen, niet degene die hem invoerde."))
    voter = session.get(User, entry.voter_id)
    assert voter is not None
    choices = entry_choices(entry)
    entry_id, entered_by = entry.id, entry.entered_by_id
    _take_entry(session, entry)
    try:
        result = cast_ballot(session, round_, voter=voter, choices=choices, channel=Channel.PAPER)
    except InvalidState as exc:
        if exc.message == already_voted_message() or participation_of(session, round_, voter) is not None:
            raise InvalidState(_("Deze bewoner heeft al gestemd in deze ronde.")) from None
        raise
    audit.record(session, actor=staff, action="paper_ballot.confirm", obj_type="paper_entry", obj_id=entry_id,
                 area_id=round_.area_id, round_id=round_.id,
                 after={"voter_id": voter.id, "entered_by_id": entered_by})
    return result


def reject_paper_ballot(session: Session, round_: BudgetRound, entry: PaperEntry, *, staff: User,
                        reason: str) -> None:
    """Throw away a pending paper entry that does not match the paper (audited, with reason).

    Raises:
        PermissionDenied: not staff.
        InvalidState: already handled.
    """
    area = session.get(Area, round_.area_id)
    assert area is not None
    require_info_point(staff, area)
    entry_id, voter_id = entry.id, entry.voter_id
    _take_entry(session, entry)
    audit.record(session, actor=staff, action="paper_ballot.reject", obj_type="paper_entry", obj_id=entry_id,
                 area_id=round_.area_id, round_id=round_.id, after={"voter_id": voter_id}, reason=reason)


# --- Turnout (managers) -----------------------------------------------------------------------

@dataclass(frozen=True)
class Turnout:
    """How many people voted: in total, per day (Dutch dates) and per channel. No choices."""

    total: int
    per_day: list[tuple[dt.date, int]]
    per_channel: dict[Channel, int]
    per_postcode: list[tuple[str, int | None]] | None  # None: no postcodes known for voters


def postcode_groups(postcodes: Sequence[str | None], *, minimum: int = TURNOUT_MIN_GROUP) -> list[tuple[str, int | None]]:
    """Count voters per 4-digit postcode; groups under ``minimum`` are shown without a number
    (None) so a small group cannot be singled out. Unknown postcodes are left out."""
    counts = Counter(pc[:4] for pc in postcodes if pc)
    return [(pc, n if n >= minimum else None) for pc, n in sorted(counts.items())]


def turnout(session: Session, round_: BudgetRound) -> Turnout:
    """Turnout of a round for its managers: participations only, never ballot contents.

    The postcode comes from the register entry that verified the voter's residency (none for
    residents verified without one, or after the register was purged).
    """
    rows = session.execute(
        select(Participation.cast_at, Participation.channel, RegisterEntry.postcode)
        .join(Residency, (Residency.user_id == Participation.voter_id) & (Residency.area_id == round_.area_id),
              isouter=True)
        .join(RegisterEntry, RegisterEntry.id == Residency.register_entry_id, isouter=True)
        .where(Participation.round_id == round_.id)
    ).all()
    per_day = Counter(cast_at.astimezone(LOCAL_TZ).date() for cast_at, _c, _p in rows)
    per_channel = Counter(channel for _a, channel, _p in rows)
    postcodes = [postcode for _a, _c, postcode in rows]
    return Turnout(
        total=len(rows),
        per_day=sorted(per_day.items()),
        per_channel={c: per_channel.get(c, 0) for c in Channel},
        per_postcode=postcode_groups(postcodes) if any(postcodes) else None,
    )


# --- Tally input (results) --------------------------------------------------------------------

@dataclass(frozen=True)
class StoredBallot:
    """One cast ballot as the tally reads it."""

    ballot_id: int  # random; safe to publish
    channel: Channel
    receipt_code: str
    items: tuple[tuple[int, int | None, int | None], ...]  # (proposal_id, points, rank)


def ballots_of_round(session: Session, round_: BudgetRound, *, now: dt.datetime | None = None) -> list[StoredBallot]:
    """All ballots of a closed round, online and paper, in random-id order (which says nothing
    about the casting order). Seals the round first (flushes; the caller commits).

    Raises:
        InvalidState: voting has not closed (no interim counts).
    """
    now = now or utcnow()
    if round_.phase_at(now) not in (Phase.CLOSED, Phase.RESULTS):
        raise InvalidState(_("De stemming is nog niet gesloten."))
    seal_round(session, round_, now=now)
    ballots = session.scalars(
        select(Ballot).where(Ballot.round_id == round_.id).order_by(Ballot.id)
    ).all()
    items: dict[int, list[tuple[int, int | None, int | None]]] = {}
    for item in session.scalars(
        select(BallotItem).join(Ballot).where(Ballot.round_id == round_.id)
        .order_by(BallotItem.ballot_id, BallotItem.proposal_id)
    ):
        items.setdefault(item.ballot_id, []).append((item.proposal_id, item.points, item.rank))
    return [StoredBallot(ballot_id=b.id, channel=b.channel, receipt_code=b.receipt_code,
                         items=tuple(items.get(b.id, ()))) for b in ballots]


def receipt_codes(session: Session, round_: BudgetRound, *, now: dt.datetime | None = None) -> list[str]:
    """The receipt codes of every counted ballot of a closed round, sorted.

    Raises:
        InvalidState: voting has not closed.
    """
    now = now or utcnow()
    if round_.phase_at(now) not in (Phase.CLOSED, Phase.RESULTS):
        raise InvalidState(_("De stemming is nog niet gesloten."))
    return sorted(session.scalars(select(Ballot.receipt_code).where(Ballot.round_id == round_.id)))


# --- Demo data --------------------------------------------------------------------------------

DEMO_ROUND_TITLE = "Buurtbudget Varsseveld 2026"
DEMO_PROJECTS = [
    ("Nieuwe bankjes rond de Slingeland", "Tien houten bankjes langs de wandelroute.", 1_200_000),
    ("Speeltoestellen bij de Kerkplaats", "Een klimrek en twee schommels voor kinderen tot 12 jaar.", 2_400_000),
    ("Bloembakken in de Dorpsstraat", "Twintig bloembakken, onderhouden door buurtbewoners.", 600_000),
    ("Jeu-de-boulesbaan bij het dorpshuis", "Een baan voor jong en oud, met verlichting.", 1_500_000),
    ("Defibrillator in de Molenwijk", "Een AED-kast die dag en nacht te gebruiken is.", 300_000),
]


def load_demo_voting(session: Session) -> None:
    """Demo: a knapsack round in Varsseveld that is open for voting now (idempotent)."""
    area = session.scalar(select(Area).where(Area.slug == "varsseveld"))
    if area is None or session.scalar(select(BudgetRound).where(BudgetRound.title == DEMO_ROUND_TITLE)):
        return
    now = utcnow()
    day = dt.timedelta(days=1)
    round_ = BudgetRound(
        area_id=area.id, title=DEMO_ROUND_TITLE, budget_cents=4_000_000,
        description="Kies projecten die samen binnen het budget van € 40.000 passen.",
        proposals_open_at=now - 60 * day, proposals_close_at=now - 45 * day, support_close_at=now - 30 * day,
        review_close_at=now - 14 * day, voting_open_at=now - day, voting_close_at=now + 21 * day,
        ballot_type=BallotType.KNAPSACK, allow_revote=True,
    )
    session.add(round_)
    session.flush()
    session.add_all(Proposal(round_id=round_.id, title=title, summary=summary, description=summary,
                             status=ProposalStatus.FEASIBLE, estimated_cost_cents=cost)
                    for title, summary, cost in DEMO_PROJECTS)
    session.flush()
