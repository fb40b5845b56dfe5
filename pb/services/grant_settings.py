"""What the admin sets for small grants: per-area settings, information-point staff, mandates."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from pb.errors import ValidationFailed
from pb.models.area import Area
from pb.models.grant import GrantMandate, GrantSettings
from pb.models.user import Role, User
from pb.services import audit
from pb.services.pots import MAX_POT_CENTS


@dataclass(frozen=True)
class SettingsData:
    """Per-area rules for small grants."""

    min_backing: int
    ceiling_cents: int
    receipts_above_cents: int
    service_days: int


def settings_for(session: Session, area: Area) -> GrantSettings:
    """The area's settings (defaults until the admin saves them; nothing is written)."""
    row = session.get(GrantSettings, area.id)
    if row is None:
        row = GrantSettings(area_id=area.id, min_backing=3, ceiling_cents=500_000, receipts_above_cents=50_000,
                            service_days=10)
    return row


def save_settings(session: Session, area: Area, *, actor: User, data: SettingsData) -> GrantSettings:
    """Store the area's settings.

    Raises:
        ValidationFailed: a number out of range.
    """
    if not 0 <= data.min_backing <= 10_000:
        raise ValidationFailed(_("Vul een aantal van 0 tot 10.000 in."), field="min_backing")
    if not 1 <= data.service_days <= 365:
        raise ValidationFailed(_("Vul een aantal werkdagen van 1 tot 365 in."), field="service_days")
    for name, cents in (("ceiling", data.ceiling_cents), ("receipts_above", data.receipts_above_cents)):
        if not 0 <= cents <= MAX_POT_CENTS:
            raise ValidationFailed(_("Vul een bedrag in van 0 euro of meer."), field=name)
    row = session.get(GrantSettings, area.id)
    before = {} if row is None else _snapshot(row)
    if row is None:
        row = GrantSettings(area_id=area.id)
        session.add(row)
    row.min_backing, row.ceiling_cents = data.min_backing, data.ceiling_cents
    row.receipts_above_cents, row.service_days = data.receipts_above_cents, data.service_days
    session.flush()
    audit.record(session, actor=actor, action="grant_settings.update", obj_type="area", obj_id=area.id,
                 area_id=area.id, before=before, after=_snapshot(row))
    return row


def _snapshot(row: GrantSettings) -> dict[str, int]:
    return {"min_backing": row.min_backing, "ceiling_cents": row.ceiling_cents,
            "receipts_above_cents": row.receipts_above_cents, "service_days": row.service_days}


def staff_accounts(session: Session) -> list[User]:
    """Accounts with the information-point role, by name."""
    return list(session.scalars(select(User).where(User.role == Role.STAFF).order_by(User.name)))


def staff_ids_of(session: Session, area: Area) -> list[int]:
    """Ids of the information-point staff assigned to ``area``."""
    return sorted(u.id for u in area.managers if u.role == Role.STAFF)


def set_staff(session: Session, area: Area, *, actor: User, user_ids: list[int]) -> None:
    """Assign exactly these information-point staff to ``area`` (its managers stay).

    Raises:
        ValidationFailed: an id that is not a staff account.
    """
    staff = {u.id: u for u in staff_accounts(session)}
    wanted = sorted(set(user_ids))
    if not set(wanted) <= set(staff):
        raise ValidationFailed(_("Kies medewerkers van het informatiepunt uit de lijst."), field="staff_ids")
    before = staff_ids_of(session, area)
    if before == wanted:
        return
    area.managers = [u for u in area.managers if u.role != Role.STAFF] + [staff[uid] for uid in wanted]
    session.flush()
    audit.record(session, actor=actor, action="area.staff", obj_type="area", obj_id=area.id, area_id=area.id,
                 before={"staff_ids": before}, after={"staff_ids": wanted})


def decision_makers(session: Session) -> list[User]:
    """Managers and admins: the accounts that can have a mandate."""
    return list(session.scalars(select(User).where(User.role.in_((Role.MANAGER, Role.ADMIN))).order_by(User.name)))


def mandate_of(session: Session, user: User) -> int:
    """The amount ``user`` may grant alone (0 when the admin set none)."""
    row = session.get(GrantMandate, user.id)
    return row.amount_cents if row is not None else 0


def set_mandate(session: Session, user: User, *, actor: User, amount_cents: int) -> None:
    """Set the amount up to which ``user`` grants alone.

    Raises:
        ValidationFailed: not a manager or admin, or a negative or huge amount.
    """
    if user.role not in (Role.MANAGER, Role.ADMIN):
        raise ValidationFailed(_("Alleen gebiedsregisseurs en beheerders kunnen een mandaat hebben."))
    if not 0 <= amount_cents <= MAX_POT_CENTS:
        raise ValidationFailed(_("Vul een bedrag in van 0 euro of meer."), field="amount")
    row = session.get(GrantMandate, user.id)
    before = {"amount_cents": row.amount_cents} if row is not None else {}
    if row is None:
        row = GrantMandate(user_id=user.id, amount_cents=amount_cents)
        session.add(row)
    row.amount_cents = amount_cents
    session.flush()
    audit.record(session, actor=actor, action="grant_mandate.set", obj_type="user", obj_id=user.id,
                 before=before, after={"amount_cents": amount_cents})
