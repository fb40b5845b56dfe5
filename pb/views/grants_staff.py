"""Small grants at the information point: file an application for a resident who comes by (marked
assisted) and enter paper lists of signatures with their scan. Scoped to the staff member's areas."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from pb.db import db_session
from pb.errors import NotFound, ValidationFailed
from pb.forms.grants import AssistedApplicationForm, PaperBackingForm
from pb.models.grant import ApplicationStatus
from pb.models.user import Role
from pb.services import accounts, area_agenda, authz, backings, grant_applications, grant_settings
from pb.services import areas as area_service
from pb.views.common import actor, require_roles, unit_of_work
from pb.views.grants import application_data, upload
from pb.views.presenters_grants import agenda_options

bp = Blueprint("grants_staff", __name__, url_prefix="/infopunt")


@bp.before_request
def _staff_only() -> None:
    require_roles(Role.STAFF, Role.MANAGER)


@bp.get("/grants")
def index() -> str:
    """The staff member's areas with their open applications."""
    session = db_session()
    areas = list(session.scalars(authz.info_point_areas_query(actor())))
    open_by_area = {
        area.id: [a for a in grant_applications.applications_of(session, area) if a.status in backings.BACKING_OPEN]
        for area in areas
    }
    return render_template("grants_staff/index.html", areas=areas, open_by_area=open_by_area)


@bp.route("/areas/<slug>/grants/new", methods=["GET", "POST"])
def file_for_resident(slug: str) -> str | Response:
    """File an application on behalf of a verified resident of the area."""
    session = db_session()
    area = area_service.get_by_slug(session, slug)
    authz.require_info_point(actor(), area)
    form = AssistedApplicationForm()
    form.agenda_item_id.choices = agenda_options(area_agenda.items_of(session, area))
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            resident = accounts.find_by_login(session, form.resident_login.data or "")
            if resident is None or authz.residency_in(session, resident, area) is None:
                raise NotFound(_("Geen bevestigde bewoner van %(area)s gevonden met deze gegevens. Bevestig de "
                                 "bewoner eerst persoonlijk.", area=area.name), field="resident_login")
            created = grant_applications.file_assisted(session, area, staff=actor(), resident=resident,
                                                       data=application_data(form), photo=upload(form.photo))
        if not work.failed:
            flash(_("De aanvraag is ingediend voor de bewoner."), "success")
            return redirect(url_for("grants.application", application_id=created.id))
    return render_template("grants/apply.html", form=form, area=area,
                           settings=grant_settings.settings_for(session, area), assisted=True)


@bp.route("/grants/<int:application_id>/paper", methods=["GET", "POST"])
def paper(application_id: int) -> str | Response:
    """Enter the number of signatures on a paper list, with the list's scan."""
    session = db_session()
    app_row = grant_applications.get_application(session, application_id)
    authz.require_info_point(actor(), app_row.area)
    form = PaperBackingForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            scan = upload(form.scan)
            if scan is None:
                raise ValidationFailed(_("Voeg de scan van de lijst toe."), field="scan")
            backings.add_paper(session, app_row, staff=actor(), signatures=form.signatures.data or 0, scan=scan)
        if not work.failed:
            flash(_("De handtekeningen zijn geteld."), "success")
            return redirect(url_for("grants_staff.index"))
    return render_template("grants_staff/paper.html", form=form, a=app_row,
                           open=app_row.status in backings.BACKING_OPEN, backing=backings.total(session, app_row),
                           lists=backings.paper_lists(session, app_row), ApplicationStatus=ApplicationStatus)
