"""Public pages: home, areas, language switch."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session
from werkzeug.wrappers import Response

from pb.db import db_session, utcnow
from pb.forms.admin import LanguageForm
from pb.services import areas as area_service
from pb.forms.rounds import ActionForm
from pb.services import follows, implementations
from pb.services import results as result_service
from pb.services import rounds as round_service
from pb.views.common import optional_actor, safe_next

bp = Blueprint("public", __name__)


@bp.get("/")
def home() -> str:
    """Home page: the municipality's areas."""
    return render_template("public/home.html", areas=area_service.list_areas(db_session()),
                           rounds_by_area=round_service.current_rounds_by_area(db_session()),
                           published_by_area=result_service.published_by_area(db_session()), now=utcnow())


@bp.get("/areas/<slug>")
def area(slug: str) -> str:
    """An area's page."""
    session = db_session()
    area = area_service.get_by_slug(session, slug)
    return render_template("public/area.html", area=area, rounds=round_service.rounds_of_area(session, area),
                           now=utcnow(), money_years=implementations.years_of(session, area),
                           following=follows.is_following(session, optional_actor(), area=area), form=ActionForm())


@bp.post("/language")
def language() -> Response:
    """Switch the interface language and return to the page the visitor came from."""
    form = LanguageForm()
    if form.validate_on_submit():
        session["lang"] = form.lang.data
    return redirect(safe_next(request.form.get("next")))
