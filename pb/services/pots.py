"""The area's pot for a year and its ledger: commitments, payments and returns.

The pot never goes below zero: every commitment lowers ``available_cents`` with one conditional
UPDATE (``... WHERE available_cents >= amount``), and a check constraint refuses a negative
balance whatever code runs. Two managers deciding at the same moment queue on the row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pb.db import utcnow
from pb.errors import InvalidState, ValidationFailed
from pb.models.area import Area
from pb.models.grant import GrantPot, LedgerEntry, LedgerKind
from pb.models.user import User
from pb.services import audit

LOCAL_TZ = ZoneInfo("Europe/Amsterdam")
MAX_POT_CENTS = 100_000_000 * 100


class PotExhausted(InvalidState):
    """Not enough money left in the pot for this commitment."""


@dataclass(frozen=True)
class PotData:
    """What the admin sets for an area's year."""

    year: int
    total_cents: int
    rounds_cents: int
    grants_cents: int


@dataclass(frozen=True)
class PotSummary:
    """The pot's figures for the public register."""

    pot: GrantPot
    committed_cents: int
    paid_cents: int
    returned_cents: int


def current_year(now: dt.datetime | None = None) -> int:
    """The calendar year in the Netherlands."""
    return (now or utcnow()).astimezone(LOCAL_TZ).year


def pot_for(session: Session, area: Area, year: int | None = None) -> GrantPot | None:
    """The area's pot for ``year`` (default: this year)."""
    return session.scalar(select(GrantPot).where(GrantPot.area_id == area.id,
                                                 GrantPot.year == (year or current_year())))


def _check(data: PotData) -> None:
    if not 2000 <= data.year <= 2100:
        raise ValidationFailed(_("Kies een jaar tussen 2000 en 2100."), field="year")
    for name, value in (("total", data.total_cents), ("rounds", data.rounds_cents), ("grants", data.grants_cents)):
        if value < 0 or value > MAX_POT_CENTS:
            raise ValidationFailed(_("Vul een bedrag in van 0 euro of meer."), field=name)
    if data.rounds_cents + data.grants_cents > data.total_cents:
        raise ValidationFailed(_("Het deel voor rondes en het deel voor kleine aanvragen zijn samen meer dan het "
                                 "totaal."), field="grants")


def set_pot(session: Session, area: Area, *, actor: User, data: PotData) -> GrantPot:
    """Create or change the area's pot for ``data.year``; what is already committed stays committed.

    Raises:
        ValidationFailed: amounts do not add up, or the new grants part is less than what is committed.
    """
    _check(data)
    pot = pot_for(session, area, data.year)
    if pot is None:
        pot = GrantPot(area_id=area.id, year=data.year, total_cents=data.total_cents,
                       rounds_cents=data.rounds_cents, grants_cents=data.grants_cents,
                       available_cents=data.grants_cents)
        session.add(pot)
        session.flush()
        before: dict[str, object] = {}
    else:
        before = {"total_cents": pot.total_cents, "rounds_cents": pot.rounds_cents, "grants_cents": pot.grants_cents}
        delta = data.grants_cents - pot.grants_cents
        result = session.execute(
            update(GrantPot).where(GrantPot.id == pot.id, GrantPot.available_cents + delta >= 0)
            .values(total_cents=data.total_cents, rounds_cents=data.rounds_cents, grants_cents=data.grants_cents,
                    available_cents=GrantPot.available_cents + delta)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ValidationFailed(_("Er is al meer toegezegd dan dit bedrag voor kleine aanvragen."), field="grants")
        session.refresh(pot)
    audit.record(session, actor=actor, action="grant_pot.set", obj_type="grant_pot", obj_id=pot.id,
                 area_id=area.id, public=True, before=before,
                 after={"year": data.year, "total_cents": data.total_cents, "rounds_cents": data.rounds_cents,
                        "grants_cents": data.grants_cents})
    return pot


def commit_money(session: Session, pot: GrantPot, amount_cents: int, *, application_id: int,
                 actor: User | None) -> LedgerEntry:
    """Take ``amount_cents`` out of the pot for a grant, atomically.

    Raises:
        PotExhausted: less than ``amount_cents`` is available (nothing written).
    """
    try:
        with session.begin_nested():
            result = session.execute(
                update(GrantPot).where(GrantPot.id == pot.id, GrantPot.available_cents >= amount_cents)
                .values(available_cents=GrantPot.available_cents - amount_cents)
            )
    except IntegrityError as exc:  # the check constraint: the last line of defence
        raise PotExhausted(_("Er is niet genoeg geld meer in het buurtbudget van dit jaar.")) from exc
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise PotExhausted(_("Er is niet genoeg geld meer in het buurtbudget van dit jaar."))
    return _ledger(session, pot, LedgerKind.COMMITMENT, amount_cents, application_id, actor)


def return_money(session: Session, pot: GrantPot, amount_cents: int, *, application_id: int,
                 actor: User | None) -> LedgerEntry:
    """Put unspent or reclaimed money back into the pot."""
    session.execute(update(GrantPot).where(GrantPot.id == pot.id)
                    .values(available_cents=GrantPot.available_cents + amount_cents))
    return _ledger(session, pot, LedgerKind.RETURN, amount_cents, application_id, actor)


def record_payment(session: Session, pot: GrantPot, amount_cents: int, *, application_id: int,
                   actor: User | None) -> LedgerEntry:
    """Record that committed money was paid out (what is available does not change)."""
    return _ledger(session, pot, LedgerKind.PAYMENT, amount_cents, application_id, actor)


def _ledger(session: Session, pot: GrantPot, kind: LedgerKind, amount_cents: int, application_id: int,
            actor: User | None) -> LedgerEntry:
    entry = LedgerEntry(pot_id=pot.id, application_id=application_id, kind=kind, amount_cents=amount_cents,
                        actor_id=actor.id if actor else None)
    session.add(entry)
    session.flush()
    session.refresh(pot)
    return entry


def summary(session: Session, pot: GrantPot) -> PotSummary:
    """The pot with its ledger totals."""
    rows = dict(session.execute(
        select(LedgerEntry.kind, func.sum(LedgerEntry.amount_cents)).where(LedgerEntry.pot_id == pot.id)
        .group_by(LedgerEntry.kind)
    ).all())
    return PotSummary(pot=pot, committed_cents=int(rows.get(LedgerKind.COMMITMENT, 0) or 0),
                      paid_cents=int(rows.get(LedgerKind.PAYMENT, 0) or 0),
                      returned_cents=int(rows.get(LedgerKind.RETURN, 0) or 0))


def ledger(session: Session, pot: GrantPot) -> list[LedgerEntry]:
    """The pot's ledger, oldest first."""
    return list(session.scalars(select(LedgerEntry).where(LedgerEntry.pot_id == pot.id).order_by(LedgerEntry.at, LedgerEntry.id)))
