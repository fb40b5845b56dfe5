"""Paper ballots at the information point: one staff member enters, a second confirms.
"""

from __future__ import annotations

import datetime as dt
import json

from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pb.db import utcnow
from pb.errors import AlreadyVoted, InvalidState, NotFound, PermissionDenied
from pb.models.ballot import Channel, PaperEntry
from pb.models.proposal import Proposal
from pb.models.round import BudgetRound
from pb.models.user import User
from pb.services import audit, authz, ballot_seal
from pb.services.ballots import (CastResult, Choices, ballot_proposals, cast_ballot, check_ballot,
                                 participation_of)


def rounds_for_paper(session: Session, staff: User, *, now: dt.datetime) -> list[BudgetRound]:
    """Rounds open for voting at ``now`` in which ``staff`` may enter paper ballots, closing first."""
    candidates = session.scalars(
        select(BudgetRound).where(BudgetRound.voting_open_at <= now, BudgetRound.voting_close_at > now)
        .order_by(BudgetRound.voting_close_at))
    return [r for r in candidates if r.is_voting_open(now) and authz.can_work_info_point(staff, r.area)]


def numbered_ballot(session: Session, round_: BudgetRound) -> list[tuple[int, Proposal]]:
    """The projects on the round's paper ballot with their numbers (1, 2, ...), in the round's
    project order: the staff's paper-entry form, the printed ballot and the booklet share them."""
    return list(enumerate(ballot_proposals(session, round_), start=1))


def find_voter(session: Session, round_: BudgetRound, login: str) -> User:
    """Find a resident of the round's area by e-mail address or username.

    Raises:
        NotFound: no such account, or not a verified resident of the area.
    """
    from pb.services.accounts import find_by_login

    user = find_by_login(session, login) if login.strip() else None
    area = round_.area
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
    authz.require_info_point(staff, round_.area)
    check_ballot(session, round_, voter=voter, choices=choices)
    if participation_of(session, round_, voter) is not None:  # friendly early answer; confirm decides
        raise AlreadyVoted(_("Deze bewoner heeft al gestemd in deze ronde."))
    # Sealed to the round key: the pending row names the voter, so its choices must not survive
    # in clear in a dead tuple once it is confirmed and deleted.
    key = ballot_seal.round_key(session, round_, create=True)
    entry = PaperEntry(round_id=round_.id, voter_id=voter.id, entered_by_id=staff.id, entered_at=utcnow(),
                       choices_json=ballot_seal.seal_text(
                           key, round_.id, json.dumps({str(k): v for k, v in sorted(choices.items())})))
    try:
        with session.begin_nested():
            session.add(entry)
    except IntegrityError:
        raise InvalidState(_("Voor deze bewoner staat al een papieren stem klaar om te bevestigen.")) from None
    # Never the ballot's content in the log: only who entered a paper ballot for whom.
    audit.record(session, actor=staff, action="paper_ballot.enter", obj_type="paper_entry", obj_id=entry.id,
                 area_id=round_.area_id, round_id=round_.id, after={"voter_id": voter.id})
    return entry


def entry_choices(session: Session, round_: BudgetRound, entry: PaperEntry) -> dict[int, int]:
    """The choices of a pending paper entry (opened with the round key).

    Raises:
        VotingClosed: the round's key is gone (sealed) or changed.
    """
    key = ballot_seal.round_key(session, round_)
    return {int(k): int(v) for k, v in json.loads(ballot_seal.open_text(key, round_.id, entry.choices_json)).items()}


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
    """A second staff member confirms a paper entry: now the participation and the sealed ballot
    are written (the mix writes the ballot row later).

    Raises:
        PermissionDenied: not staff, or the same person who entered it.
        InvalidState: voting not open; the resident voted meanwhile (online); already handled.
        ValidationFailed: the ballot breaks a rule.
    """
    authz.require_info_point(staff, round_.area)
    if entry.entered_by_id == staff.id:
        raise PermissionDenied(_("Een tweede medewerker moet deze stem bevestigen, niet degene die hem invoerde."))
    voter = session.get(User, entry.voter_id)
    assert voter is not None
    choices = entry_choices(session, round_, entry)
    entry_id, entered_by = entry.id, entry.entered_by_id
    _take_entry(session, entry)
    try:
        result = cast_ballot(session, round_, voter=voter, choices=choices, channel=Channel.PAPER)
    except AlreadyVoted:
        raise AlreadyVoted(_("Deze bewoner heeft al gestemd in deze ronde.")) from None
    except InvalidState:
        if participation_of(session, round_, voter) is not None:
            raise AlreadyVoted(_("Deze bewoner heeft al gestemd in deze ronde.")) from None
        raise
    # Who confirmed whose entry; the voter is named only in the entry's own "enter" row, and the
    # ballot itself is written later by the mix, not in this transaction.
    audit.record(session, actor=staff, action="paper_ballot.confirm", obj_type="paper_entry", obj_id=entry_id,
                 area_id=round_.area_id, round_id=round_.id, after={"entered_by_id": entered_by})
    return result


def reject_paper_ballot(session: Session, round_: BudgetRound, entry: PaperEntry, *, staff: User,
                        reason: str) -> None:
    """Throw away a pending paper entry that does not match the paper (audited, with reason).

    Raises:
        PermissionDenied: not staff.
        InvalidState: already handled.
    """
    authz.require_info_point(staff, round_.area)
    entry_id, voter_id = entry.id, entry.voter_id
    _take_entry(session, entry)
    audit.record(session, actor=staff, action="paper_ballot.reject", obj_type="paper_entry", obj_id=entry_id,
                 area_id=round_.area_id, round_id=round_.id, after={"voter_id": voter_id}, reason=reason)
