"""The gebiedsregisseur's workspace. Default deny: only managers and admins get in."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template, request

from pb.db import db_session, utcnow
from pb.models.user import Role
from pb.services import areas as area_service
from pb.services import authz
from pb.services import residency as residency_service
from pb.views.common import actor, require_roles

bp = Blueprint("manage", __name__, url_prefix="/manage")


@bp.before_request
def _managers_only() -> None:
    require_roles(Role.MANAGER)


@bp.get("/")
def index() -> str:
    """The areas this manager runs."""
    areas = authz.managed_areas(db_session(), actor())
    return render_template("manage/index.html", areas=areas)


@bp.get("/areas/<slug>/infopunt-accounts")
def infopunt_accounts(slug: str) -> str:
    """Accounts the information point made in an area on one day (default today)."""
    area = area_service.get_by_slug(db_session(), slug)
    authz.require_area_manager(actor(), area)
    tz = ZoneInfo("Europe/Amsterdam")
    today = utcnow().astimezone(tz).date()
    try:
        day = dt.date.fromisoformat(request.args.get("dag", "")) if request.args.get("dag") else today
    except ValueError:
        day = today
    made = residency_service.accounts_made_in_person(db_session(), area.id, day, tz)
    return render_template("manage/infopunt_accounts.html", area=area, day=day, made=made, tz=tz,
                           previous=day - dt.timedelta(days=1),
                           next_day=day + dt.timedelta(days=1) if day < today else None)
