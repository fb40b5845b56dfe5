"""Small factories for models. They add and flush; the test commits when it needs to."""

from __future__ import annotations

import itertools
import re
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from pb.db import utcnow
from pb.models.area import Area, AreaPostcode
from pb.models.residency import Residency, VerificationMethod
from pb.models.user import Role, User

if TYPE_CHECKING:
    from pb.models.ballot import Ballot
    from pb.models.proposal import Proposal
    from pb.models.round import BudgetRound

PASSWORD = "correct horse battery"


def without_csrf_token(body: str) -> str:
    """A page with its CSRF token values blanked.

    A token carries a timestamp, so two identical answers a second apart differ only there;
    tests that compare whole pages (identical answers to hide what the server knows) use this.
    """
    return re.sub(r'(<input[^>]*name="csrf_token"[^>]*value=")[^"]*"', r'\1"', body)


_PASSWORD_HASH = generate_password_hash(PASSWORD)
_seq = itertools.count(1)


def make_user(
    session: Session,
    *,
    role: Role = Role.RESIDENT,
    email: str | None = None,
    name: str | None = None,
    confirmed: bool = True,
    areas: list[Area] | None = None,
) -> User:
    """A user with password ``PASSWORD``; managers get ``areas`` to manage."""
    n = next(_seq)
    user = User(
        email=email or f"user{n}@example.test",
        name=name or f"Gebruiker {n}",
        password_hash=_PASSWORD_HASH,
        role=role,
        email_confirmed_at=utcnow() if confirmed else None,
    )
    user.managed_areas = list(areas or [])
    session.add(user)
    session.flush()
    return user


def make_area(session: Session, *, slug: str | None = None, name: str | None = None,
              postcodes: list[str] | None = None) -> Area:
    """An area with optional postcodes."""
    n = next(_seq)
    area = Area(name=name or f"Gebied {n}", slug=slug or f"gebied-{n}", description="")
    area.postcodes = [AreaPostcode(postcode=pc) for pc in postcodes or []]
    session.add(area)
    session.flush()
    return area


def make_resident(session: Session, area: Area, *, user: User | None = None,
                  method: VerificationMethod = VerificationMethod.IN_PERSON) -> User:
    """A verified resident of ``area``."""
    user = user or make_user(session)
    session.add(Residency(user=user, area=area, method=method, verified_at=utcnow()))
    session.flush()
    return user


def make_register_entry(session: Session, area: Area, *, postcode: str = "7071AB", huisnummer: int | None = None,
                        toevoeging: str = "", eligible_count: int = 1, birth_year: int | None = None,
                        street: str = "Dorpsstraat", woonplaats: str = "Ulft"):
    """An address of ``area`` in the register (a fresh house number unless given).

    ``toevoeging`` is what follows the number ("A", "A-2", "bis"), split as the import does.
    """
    from pb.models.register import RegisterEntry
    from pb.services.addresses import split_suffix

    letter, addition = split_suffix(toevoeging)
    entry = RegisterEntry(area_id=area.id, street=street, postcode=postcode, huisnummer=huisnummer or next(_seq),
                          huisletter=letter, huisnummertoevoeging=addition, woonplaats=woonplaats,
                          eligible_count=eligible_count, verified_count=0, birth_year=birth_year)
    session.add(entry)
    session.flush()
    return entry


def make_letter_code(session: Session, entry, *, valid_days: int = 30, used: bool = False) -> str:
    """Store a letter code for ``entry`` (as HMAC, in a request or app context); return the plaintext."""
    import datetime as dt

    from pb.models.register import LetterCode
    from pb.services import letter_codes

    code = letter_codes.new_code()
    session.add(LetterCode(register_entry_id=entry.id, code_hmac=letter_codes.code_hmac(code), batch="test",
                           valid_until=dt.date.today() + dt.timedelta(days=valid_days),
                           used_at=utcnow() if used else None))
    session.flush()
    return code

def make_results_ballot(session: Session, round_: "BudgetRound", choices: dict[int, int | None], *,
                        channel: str = "online") -> "Ballot":
    """A stored ballot: proposal id -> None (approval), points (cumulative) or rank (ranked)."""
    from pb.models.ballot import Ballot, BallotItem, random_ballot_id
    from pb.services.ballots import new_receipt_code

    ballot = Ballot(id=random_ballot_id(), round_id=round_.id, channel=channel, receipt_code=new_receipt_code())
    for pid, value in choices.items():
        item = BallotItem(proposal_id=pid)
        if round_.ballot_type == "cumulative":
            item.points = value
        elif round_.ballot_type == "ranked":
            item.rank = value
        ballot.items.append(item)
    session.add(ballot)
    session.flush()
    return ballot


_PHASE_ORDER = ["upcoming", "proposals", "support", "review", "waiting", "voting", "closed"]


def round_dates(phase: str, *, now=None, step_days: int = 2) -> dict:
    """Phase boundary dates such that ``now`` (default: the clock) lies in the middle of ``phase``."""
    import datetime as dt

    now = now or utcnow()
    i = _PHASE_ORDER.index(str(phase))
    names = ["proposals_open_at", "proposals_close_at", "support_close_at", "review_close_at",
             "voting_open_at", "voting_close_at"]
    return {name: now + dt.timedelta(days=step_days * k - step_days * i + step_days / 2)
            for k, name in enumerate(names)}


def make_round(session: Session, area: Area, *, phase: str = "voting", **overrides: object) -> "BudgetRound":
    """A budget round of ``area`` now in the middle of ``phase``.

    Knapsack ballot, € 10.000, themes Spelen and Groen, no support threshold, no re-vote, counted
    with greedy (lower cost first on ties). Pass any ``BudgetRound`` column to override, and
    ``themes=[...]`` for other themes.
    """
    from pb.models.round import BallotType, BudgetRound, RoundTheme

    values: dict[str, object] = {
        "title": f"Ronde {next(_seq)}", "description": "", "budget_cents": 1_000_000,
        "ballot_type": BallotType.KNAPSACK, "support_threshold": 0, "allow_revote": False,
        **round_dates(phase), **overrides,
    }
    themes = values.pop("themes", ["Spelen", "Groen"])
    round_ = BudgetRound(area=area, **values)
    round_.themes = [RoundTheme(name=t) for t in themes]  # type: ignore[union-attr]
    session.add(round_)
    session.flush()
    return round_


def make_proposal(session: Session, round_: "BudgetRound", *, author: User | None = None,
                  status: str = "feasible", supporters: list[User] | None = None,
                  **overrides: object) -> "Proposal":
    """A proposal in ``round_`` with one cost line, in ``status`` (on the ballot unless overridden).

    € 1.000 estimated unless ``estimated_cost_cents`` is given; submitted now unless a draft;
    ``supporters`` each add a support. Pass any ``Proposal`` column to override.
    """
    from pb.models.proposal import CostLine, Proposal, ProposalStatus, Support

    n = next(_seq)
    values: dict[str, object] = {
        "title": f"Project {n}", "summary": f"Samenvatting van project {n}.",
        "status": ProposalStatus(status), "estimated_cost_cents": 100_000,
        "author_id": author.id if author else None,
        "submitted_at": None if status == "draft" else utcnow(),
        **overrides,
    }
    proposal = Proposal(round=round_, **values)
    proposal.cost_lines = [CostLine(position=0, description="Materiaal", amount_cents=values["estimated_cost_cents"])]
    session.add(proposal)
    session.flush()
    for user in supporters or []:
        session.add(Support(proposal_id=proposal.id, user_id=user.id))
    session.flush()
    return proposal


def make_round_with_proposals(session: Session, area: Area, *, phase: str = "closed",
                              costs_cents: list[int] | None = None, titles: list[str] | None = None,
                              **overrides: object) -> "BudgetRound":
    """A round (€ 100.000 unless overridden) in ``phase`` with reviewed proposals of ``costs_cents``.

    Defaults: A € 40.000, B € 30.000, C € 25.000, D € 20.000, E € 10.000.
    """
    round_ = make_round(session, area, phase=phase, **{"budget_cents": 100_000_00, **overrides})
    costs = costs_cents or [40_000_00, 30_000_00, 25_000_00, 20_000_00, 10_000_00]
    for i, cost in enumerate(costs):
        make_proposal(session, round_, title=titles[i] if titles else f"Project {chr(65 + i)}",
                      estimated_cost_cents=cost, cost_cents=cost)
    return round_


def mix_now(session: Session, round_) -> int:
    """Move every waiting sealed ballot of ``round_`` into ``ballots`` now (tests read ballots)."""
    from pb.services import ballot_mixing

    moved = ballot_mixing.mix_round(session, round_, minimum=1)
    session.commit()
    return moved


def close_and_seal(session: Session, round_) -> None:
    """End voting of ``round_`` a second ago and seal it (final mix), committed."""
    import datetime as dt

    from pb.services import ballot_mixing

    round_.voting_close_at = utcnow() - dt.timedelta(seconds=1)
    session.flush()
    ballot_mixing.seal_round(session, round_)
    session.commit()
