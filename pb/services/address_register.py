"""The address register: search, counts, purge.

The import from CSV lives in :mod:`pb.services.register_import`.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from pb.errors import InvalidState, ValidationFailed
from pb.models.area import Area
from pb.models.register import LetterCode, RegisterEntry
from pb.models.round import BudgetRound
from pb.models.user import User
from pb.db import rowcount
from pb.services import address_keys, audit
from pb.services.addresses import normalise_full_postcode

FIND_LIMIT = 500  # a postcode has at most a few hundred addresses


def find_entries(session: Session, postcode: str, huisnummer: int | None, *,
                 area_ids: set[int] | None = None) -> list[RegisterEntry]:
    """Register entries at a postcode (and house number), for the information point; only in
    ``area_ids`` when given (the areas the staff member works for)."""
    normal = normalise_full_postcode(postcode)
    if normal is None:
        raise ValidationFailed(_("Vul een postcode in zoals 1234 AB."), field="postcode")
    query = select(RegisterEntry).where(RegisterEntry.postcode == normal)
    if huisnummer is not None:
        query = query.where(RegisterEntry.huisnummer == huisnummer)
    if area_ids is not None:
        query = query.where(RegisterEntry.area_id.in_(area_ids))
    return list(session.scalars(query.order_by(RegisterEntry.huisnummer, RegisterEntry.huisletter,
                                               RegisterEntry.huisnummertoevoeging).limit(FIND_LIMIT)))


def area_counts(session: Session) -> dict[int, tuple[int, int]]:
    """Per area id: (addresses, unused codes) in the register."""
    addresses = dict(session.execute(
        select(RegisterEntry.area_id, func.count()).group_by(RegisterEntry.area_id)
    ).all())
    codes = dict(session.execute(
        select(RegisterEntry.area_id, func.count()).select_from(LetterCode).join(RegisterEntry)
        .where(LetterCode.used_at.is_(None)).group_by(RegisterEntry.area_id)
    ).all())
    return {aid: (n, codes.get(aid, 0)) for aid, n in addresses.items()}


@dataclass(frozen=True)
class AreaRegister:
    """One area's part of the register: addresses, those without street or woonplaats, unused codes."""

    addresses: int
    without_postal_address: int
    unused_codes: int


def area_register(session: Session, area: Area) -> AreaRegister:
    """Counts for one area only (index range scans; the whole register is never counted here).

    Each count reads an index only: the area's addresses and their ids
    (``ix_register_entries_area_address``), the addresses without a postal address (a partial
    index, usually empty) and the unused codes (the partial index ``ix_letter_codes_unused``).
    """
    in_area = RegisterEntry.area_id == area.id
    addresses = session.scalar(select(func.count()).select_from(RegisterEntry).where(in_area)) or 0
    incomplete = session.scalar(select(func.count()).select_from(RegisterEntry).where(
        in_area, or_(RegisterEntry.street == "", RegisterEntry.woonplaats == ""))) or 0
    codes = session.scalar(
        select(func.count()).select_from(LetterCode).join(RegisterEntry)
        .where(in_area, LetterCode.used_at.is_(None))
    ) or 0
    return AreaRegister(addresses=int(addresses), without_postal_address=int(incomplete), unused_codes=codes)


@dataclass(frozen=True)
class PurgeResult:
    """What a purge removed."""

    addresses: int
    codes: int


def purge_register(session: Session, area: Area, *, actor: User | None) -> PurgeResult:
    """Remove an area's addresses and code HMACs; residencies stay. Audited.

    Raises:
        InvalidState: the area has a round whose results are not yet published.
    """
    open_rounds = session.scalar(
        select(func.count(BudgetRound.id))
        .where(BudgetRound.area_id == area.id, BudgetRound.results_published_at.is_(None))
    ) or 0
    if open_rounds:
        raise InvalidState(_("%(area)s heeft nog een ronde zonder gepubliceerde uitslag. "
                             "Wis het adressenbestand pas na de uitslag.", area=area.name))
    # What each address has used outlives the addresses themselves (keyed hashes only).
    address_keys.remember_keys_before_purge(session, area.id)
    entry_ids = select(RegisterEntry.id).where(RegisterEntry.area_id == area.id).scalar_subquery()
    codes = rowcount(session.execute(
        delete(LetterCode).where(LetterCode.register_entry_id.in_(entry_ids))
        .execution_options(synchronize_session=False)
    ))
    addresses = rowcount(session.execute(
        delete(RegisterEntry).where(RegisterEntry.area_id == area.id)
        .execution_options(synchronize_session=False)
    ))
    session.expire_all()
    audit.record(session, actor=actor, action="register.purge", obj_type="area", obj_id=area.id,
                 area_id=area.id, after={"addresses": addresses, "codes": codes})
    return PurgeResult(addresses=addresses, codes=codes)
