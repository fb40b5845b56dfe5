"""What happened with the money: the public page per area and year, and the managers' updates."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from pb.clock import local_today
from pb.db import db_session
from pb.errors import ValidationFailed
from pb.forms.after_vote import ImplementationForm, MilestoneForm
from pb.models.implementation import ImplementationStatus
from pb.models.user import Role
from pb.services import areas as area_service
from pb.services import authz, implementations, money, photos, stored_files
from pb.views.common import actor, require_roles, stored_file_response, unit_of_work

bp = Blueprint("implementations", __name__)


@bp.get("/areas/<slug>/geld")
def money_latest(slug: str) -> str | Response:
    """The newest year of an area's "what happened with the money" page."""
    session = db_session()
    area = area_service.get_by_slug(session, slug)
    years = implementations.years_of(session, area)
    if years:
        return redirect(url_for("implementations.money_year", slug=slug, year=years[0]))
    return render_template("implementations/money.html", area=area, report=None, years=[])


@bp.get("/areas/<slug>/geld/<int:year>")
def money_year(slug: str, year: int) -> str:
    """What happened with the money of an area in one year: every funded project, with totals."""
    session = db_session()
    area = area_service.get_by_slug(session, slug)
    return render_template("implementations/money.html", area=area, years=implementations.years_of(session, area),
                           report=implementations.money_report(session, area, year))


@bp.get("/milestones/<int:milestone_id>/photo")
def milestone_photo(milestone_id: int) -> Response:
    """The photo of a milestone (re-encoded on upload, served with its own type)."""
    milestone = implementations.get_milestone(db_session(), milestone_id)
    if not milestone.photo_filename:
        abort(404)
    stored = stored_files.find(db_session(), milestone.photo_filename, kind=photos.PHOTO_KIND)
    if stored is None:
        abort(404)
    return stored_file_response(stored, max_age=300)


@bp.get("/manage/implementations")
@login_required
def manage_list() -> str:
    """The funded projects in the manager's areas."""
    require_roles(Role.MANAGER)
    return render_template("implementations/manage_list.html",
                           projects=implementations.managed(db_session(), actor()))


def _editable(implementation_id: int) -> implementations.Implementation:
    require_roles(Role.MANAGER)
    found = implementations.get_implementation(db_session(), implementation_id)
    authz.require_area_manager(actor(), found.area)
    return found


def _status_form(project: implementations.Implementation) -> ImplementationForm:
    if request.method == "POST" and "status" in request.form:
        return ImplementationForm()
    form = ImplementationForm(formdata=None)
    form.status.data = project.status.value
    form.actual_cost.data = "" if project.actual_cents is None else f"{project.actual_cents / 100:.2f}".replace(".", ",")
    form.reason.data = project.cancel_reason
    return form


def _page(project: implementations.Implementation, form: ImplementationForm, milestone_form: MilestoneForm,
          status: int = 200) -> tuple[str, int]:
    return render_template("implementations/manage.html", project=project, form=form,
                           milestone_form=milestone_form), status


@bp.route("/manage/implementations/<int:implementation_id>", methods=["GET", "POST"])
@login_required
def manage(implementation_id: int) -> tuple[str, int] | Response:
    """Update a funded project's status and actual cost."""
    session = db_session()
    project = _editable(implementation_id)
    form = _status_form(project)
    milestone_form = MilestoneForm(formdata=None, happened_on=local_today())
    if request.method == "POST" and form.validate_on_submit():
        with unit_of_work(form) as work:
            typed = (form.actual_cost.data or "").strip()
            try:
                cents = money.parse_euros(typed) if typed else None
            except ValidationFailed as exc:
                raise ValidationFailed(exc.message, field="actual_cost") from exc
            implementations.update_implementation(session, project, actor=actor(),
                                                  status=ImplementationStatus(form.status.data),
                                                  actual_cents=cents, reason=form.reason.data or "")
        if not work.failed:
            flash(_("De uitvoering is bijgewerkt."), "success")
            return redirect(url_for("implementations.manage", implementation_id=project.id))
    return _page(project, form, milestone_form, 400 if request.method == "POST" else 200)


@bp.post("/manage/implementations/<int:implementation_id>/milestones")
@login_required
def add_milestone(implementation_id: int) -> tuple[str, int] | Response:
    """Add a milestone (date, text, optional photo) to a funded project."""
    session = db_session()
    project = _editable(implementation_id)
    milestone_form = MilestoneForm()
    if milestone_form.validate_on_submit():
        with unit_of_work(milestone_form) as work:  # a refusal rolls the stored photo back too
            upload = milestone_form.photo.data
            photo_name = (photos.store_photo(session, upload.stream)
                          if upload is not None and getattr(upload, "filename", None) else None)
            implementations.add_milestone(session, project, actor=actor(), happened_on=milestone_form.happened_on.data,
                                          text=milestone_form.text.data or "", photo=photo_name)
        if not work.failed:
            flash(_("De stap is toegevoegd."), "success")
            return redirect(url_for("implementations.manage", implementation_id=project.id))
    return _page(project, _status_form(project), milestone_form, 400)
