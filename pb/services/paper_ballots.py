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
from pb.models.area import Area
from pb.models.ballot import Channel, PaperEntry
from pb.models.round import BudgetRound
from pb.models.user import Role, User
from pb.services import audit, authz
from pb.services.ballots import CastResult, Choices, cast_ballot, check_ballot, participation_of


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


def rounds_for_paper(session: Session, staff: User, *, now: dt.datetime) -> list[BudgetRound]:
    """Rounds open for voting at ``now`` in which ``staff`` may enter paper ballots, closing first."""
    candidates = session.scalars(
        select(BudgetRound).where(BudgetRound.voting_open_at <= now, BudgetRound.voting_close_at > now)
        .order_by(BudgetRound.voting_close_at))
    return [r for r in candidates if r.is_voting_open(now) and can_enter_paper(staff, r.area)]


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
    require_info_point(staff, round_.area)
    check_ballot(session, round_, voter=voter, choices=choices)
    if participation_of(session, round_, voter) is not None:  # friendly early answer; confirm decides
        raise AlreadyVoted(_("Deze bewoner heeft al gestemd in deze ronde."))
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
    require_info_point(staff, round_.area)
    if entry.entered_by_id == staff.id:
        raise PermissionDenied(_("Een tweede medewerker moet deze stem bevestigen, niet degene die hem invoerde."))
    voter = session.get(User, entry.voter_id)
    assert voter is not None
    choices = entry_choices(entry)
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
    require_info_point(staff, round_.area)
    entry_id, voter_id = entry.id, entry.voter_id
    _take_entry(session, entry)
    audit.record(session, actor=staff, action="paper_ballot.reject", obj_type="paper_entry", obj_id=entry_id,
                 area_id=round_.area_id, round_id=round_.id, after={"voter_id": voter_id}, reason=reason)
