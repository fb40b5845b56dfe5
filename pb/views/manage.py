"""The gebiedsregisseur's workspace. Default deny: only managers and admins get in."""

from __future__ import annotations

from flask import Blueprint, render_template

from pb.db import db_session
from pb.models.user import Role
from pb.services import authz
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
