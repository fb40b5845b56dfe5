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


def make_round(session: Session, area: Area, **overrides: object) -> "BudgetRound":
    """A budget round of ``area`` in its voting phase now (knapsack ballot, € 50.000 budget).

    Pass any ``BudgetRound`` column to override, e.g. ``ballot_type=BallotType.RANKED``.
    """
    import datetime as dt

    from pb.models.round import BallotType, BudgetRound

    now = utcnow()
    day = dt.timedelta(days=1)
    values: dict[str, object] = {
        "title": f"Buurtbudget {next(_seq)}",
        "description": "",
        "budget_cents": 5_000_000,
        "proposals_open_at": now - 40 * day,
        "proposals_close_at": now - 30 * day,
        "support_close_at": now - 20 * day,
        "review_close_at": now - 10 * day,
        "voting_open_at": now - day,
        "voting_close_at": now + 7 * day,
        "ballot_type": BallotType.KNAPSACK,
        "allow_revote": False,
    }
    values.update(overrides)
    round_ = BudgetRound(area_id=area.id, **values)
    session.add(round_)
    session.flush()
    return round_


def make_proposal(session: Session, round_: "BudgetRound", **overrides: object) -> "Proposal":
    """A feasible proposal (on the ballot) in ``round_`` costing € 10.000 unless overridden."""
    from pb.models.proposal import Proposal, ProposalStatus

    n = next(_seq)
    values: dict[str, object] = {
        "title": f"Project {n}",
        "summary": f"Samenvatting van project {n}.",
        "status": ProposalStatus.FEASIBLE,
        "estimated_cost_cents": 1_000_000,
    }
    values.update(overrides)
    proposal = Proposal(round_id=round_.id, **values)
    session.add(proposal)
    session.flush()
    return proposal

def make_register_entry(session: Session, area: Area, *, postcode: str = "7071AB", huisnummer: int | None = None,
                        toevoeging: str = "", eligible_count: int = 1, birth_year: int | None = None):
    """An address of ``area`` in the register (a fresh house number unless given)."""
    from pb.models.register import RegisterEntry

    entry = RegisterEntry(area_id=area.id, postcode=postcode, huisnummer=huisnummer or next(_seq),
                          toevoeging=toevoeging, eligible_count=eligible_count, verified_count=0,
                          birth_year=birth_year)
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

def make_results_round(session: Session, area: Area, *, phase: str = "closed", budget_cents: int = 100_000_00,
                       ballot_type: str = "knapsack", counting_rule: str = "greedy",
                       tie_break: str = "lower-cost", costs_cents: list[int] | None = None,
                       titles: list[str] | None = None, **config: object) -> "BudgetRound":
    """A round in ``phase`` (voting / closed) with feasible proposals of ``costs_cents``."""
    import datetime as dt

    from pb.models.proposal import Proposal, ProposalStatus
    from pb.models.round import BudgetRound

    now = utcnow()
    day = dt.timedelta(days=1)
    close = now - day if phase == "closed" else now + day
    round_ = BudgetRound(
        area_id=area.id, title=f"Ronde {next(_seq)}", budget_cents=budget_cents,
        proposals_open_at=now - 10 * day, proposals_close_at=now - 8 * day, support_close_at=now - 7 * day,
        review_close_at=now - 6 * day, voting_open_at=now - 5 * day, voting_close_at=close,
        ballot_type=ballot_type, counting_rule=counting_rule, tie_break=tie_break, **config,
    )
    session.add(round_)
    session.flush()
    costs = costs_cents or [40_000_00, 30_000_00, 25_000_00, 20_000_00, 10_000_00]
    for i, cost in enumerate(costs):
        title = titles[i] if titles else f"Project {chr(65 + i)}"
        session.add(Proposal(round_id=round_.id, title=title, status=ProposalStatus.FEASIBLE,
                             estimated_cost_cents=cost, cost_cents=cost))
    session.flush()
    return round_


def make_results_ballot(session: Session, round_: "BudgetRound", choices: dict[int, int | None], *,
                        channel: str = "online") -> "Ballot":
    """A stored ballot: proposal id -> None (approval), points (cumulative) or rank (ranked)."""
    from pb.models.ballot import Ballot, BallotItem, random_ballot_id
    from pb.services.voting import new_receipt_code

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


# --- budget rounds and proposals (issue 5) ---

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


def make_phase_round(session: Session, area: Area, *, phase: str = "proposals", **fields):
    """A budget round of ``area`` currently in ``phase`` (knapsack, € 10.000 unless overridden)."""
    from pb.models.round import BallotType, BudgetRound, RoundTheme

    values = {"title": f"Ronde {next(_seq)}", "description": "", "budget_cents": 1_000_000,
              "ballot_type": BallotType.KNAPSACK, "support_threshold": 0, **round_dates(phase), **fields}
    themes = values.pop("themes", ["Spelen", "Groen"])
    rnd = BudgetRound(area=area, **values)
    rnd.themes = [RoundTheme(name=t) for t in themes]
    session.add(rnd)
    session.flush()
    return rnd


def make_resident_proposal(session: Session, rnd, author: User, *, status: str = "submitted", title: str | None = None,
                  cost_cents: int = 100_000, supporters: list[User] | None = None):
    """A proposal in ``rnd`` with one cost line, in ``status``, supported by ``supporters``."""
    from pb.models.proposal import CostLine, Proposal, ProposalStatus, Support

    p = Proposal(round=rnd, author_id=author.id, title=title or f"Plan {next(_seq)}", status=ProposalStatus(status),
                 estimated_cost_cents=cost_cents, submitted_at=None if status == "draft" else utcnow())
    p.cost_lines = [CostLine(position=0, description="Materiaal", amount_cents=cost_cents)]
    session.add(p)
    session.flush()
    for user in supporters or []:
        session.add(Support(proposal_id=p.id, user_id=user.id))
    session.flush()
    return p
