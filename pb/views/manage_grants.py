"""The gebiedsregisseur's small grants: the queue with the service-level target, deciding, the
second decision, payment, reviewing reports, the ledger and the area agenda. Managers and admins only."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from pb.db import db_session
from pb.errors import ValidationFailed
from pb.forms.grants import AgendaItemForm, DecisionForm, ReportReviewForm, SecondOpinionForm
from pb.forms.rounds import ActionForm
from pb.models.area import Area
from pb.models.grant import ApplicationStatus, FileKind, GrantApplication, ReportStatus
from pb.models.user import Role
from pb.services import (
    accountability, area_agenda, authz, backings, grant_applications, grant_decisions, grant_settings, pots,
)
from pb.services import areas as area_service
from pb.views.common import actor, require_roles, unit_of_work
from pb.views.grants import euros_field

bp = Blueprint("manage_grants", __name__, url_prefix="/manage")


@bp.before_request
def _managers_only() -> None:
    require_roles(Role.MANAGER)


def _area(slug: str) -> Area:
    area = area_service.get_by_slug(db_session(), slug)
    authz.require_area_manager(actor(), area)
    return area


def _application(application_id: int) -> GrantApplication:
    app_row = grant_applications.get_application(db_session(), application_id)
    authz.require_area_manager(actor(), app_row.area)
    return app_row


@bp.get("/areas/<slug>/grants")
def queue(slug: str) -> str:
    """The area's applications: overdue first, waiting, reports to review, the pot and its ledger."""
    session = db_session()
    area = _area(slug)
    pot = pots.pot_for(session, area)
    apps = grant_applications.applications_of(session, area)
    return render_template(
        "manage_grants/queue.html", area=area, pot=pot, summary=pots.summary(session, pot) if pot else None,
        ledger=pots.ledger(session, pot) if pot else [], waiting=grant_decisions.waiting_for_decision(session, area.id),
        overdue=grant_decisions.overdue(session, area.id),
        questions=[a for a in apps if a.status == ApplicationStatus.QUESTION],
        reports=[a for a in apps if a.report is not None and a.report.status == ReportStatus.SUBMITTED],
        unpaid=[a for a in apps if a.status == ApplicationStatus.GRANTED and not a.paid],
        applications=apps, titles={a.id: a.title for a in apps}, counts=backings.totals(session, [a.id for a in apps]),
        settings=grant_settings.settings_for(session, area), mandate=grant_settings.mandate_of(session, actor()),
        agenda=area_agenda.items_of(session, area),
    )


def _render_application(app_row: GrantApplication, *, decision: DecisionForm | None = None,
                        second: SecondOpinionForm | None = None, review: ReportReviewForm | None = None) -> str:
    session = db_session()
    user = actor()
    return render_template(
        "manage_grants/application.html", a=app_row, area=app_row.area,
        settings=grant_settings.settings_for(session, app_row.area),
        mandate=grant_settings.mandate_of(session, user), backing=backings.total(session, app_row),
        online=backings.online_count(session, app_row), paper=backings.paper_lists(session, app_row),
        conflict=grant_decisions.has_conflict(session, app_row, user),
        trail=grant_decisions.trail(session, app_row), public_name=grant_applications.public_name(app_row),
        photos=grant_applications.files_of(session, app_row, FileKind.PHOTO),
        report_photos=grant_applications.files_of(session, app_row, FileKind.REPORT_PHOTO),
        receipts=grant_applications.files_of(session, app_row, FileKind.RECEIPT),
        due_on=grant_decisions.due_date(session, app_row) if app_row.is_open else None,
        too_large=grant_applications.too_large(session, app_row),
        decision=decision or DecisionForm(formdata=None), second=second or SecondOpinionForm(formdata=None),
        review=review or ReportReviewForm(formdata=None), action_form=ActionForm(formdata=None),
    )


@bp.get("/grants/<int:application_id>")
def application(application_id: int) -> str:
    """One application with its backing, paper lists and scans, decision trail and forms."""
    return _render_application(_application(application_id))


def _done(app_row: GrantApplication, message: str) -> Response:
    flash(message, "success")
    return redirect(url_for("manage_grants.application", application_id=app_row.id))


def _optional_euros(text: str | None, field: str) -> int | None:
    return euros_field(text, field) if (text or "").strip() else None


@bp.post("/grants/<int:application_id>/decide")
def decide(application_id: int) -> str | Response:
    """Grant (possibly less, with conditions), refuse with a public reason, or ask a question."""
    session = db_session()
    app_row = _application(application_id)
    form = DecisionForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            outcome = form.outcome.data
            if outcome == "grant":
                grant_decisions.grant(session, app_row, actor=actor(),
                                      amount_cents=_optional_euros(form.amount.data, "amount"),
                                      conditions=form.conditions.data or "")
                message = (_("Toegekend.") if app_row.status == ApplicationStatus.GRANTED
                           else _("Dit is meer dan uw mandaat. Een tweede beslisser moet akkoord geven."))
            elif outcome == "refuse":
                grant_decisions.refuse(session, app_row, actor=actor(), reason=form.text.data or "")
                message = _("Afgewezen. De aanvrager krijgt bericht.")
            else:
                grant_decisions.ask_question(session, app_row, actor=actor(), question=form.text.data or "")
                message = _("Uw vraag is naar de aanvrager gestuurd.")
        if not work.failed:
            return _done(app_row, message)
    return _render_application(app_row, decision=form)


@bp.post("/grants/<int:application_id>/second")
def second(application_id: int) -> str | Response:
    """The second decision-maker agrees with a grant above the first one's mandate, or not."""
    session = db_session()
    app_row = _application(application_id)
    form = SecondOpinionForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            grant_decisions.second_opinion(session, app_row, actor=actor(), agree=form.agree.data == "yes",
                                           note=form.note.data or "")
        if not work.failed:
            return _done(app_row, _("Toegekend.") if form.agree.data == "yes" else _("Teruggestuurd."))
    return _render_application(app_row, second=form)


@bp.post("/grants/<int:application_id>/paid")
def paid(application_id: int) -> Response:
    """Record that the granted amount was paid out."""
    session = db_session()
    app_row = _application(application_id)
    if ActionForm().validate_on_submit():
        with unit_of_work(flash_error=True) as work:
            grant_decisions.mark_paid(session, app_row, actor=actor())
        if not work.failed:
            return _done(app_row, _("De uitbetaling staat in het kasboek."))
    return redirect(url_for("manage_grants.application", application_id=app_row.id))


@bp.post("/grants/<int:application_id>/review")
def review(application_id: int) -> str | Response:
    """Accept the report, ask for more, or reclaim money."""
    session = db_session()
    app_row = _application(application_id)
    form = ReportReviewForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            note = form.note.data or ""
            if form.outcome.data == "accept":
                accountability.accept_report(session, app_row, actor=actor(), note=note)
            elif form.outcome.data == "more":
                accountability.ask_more(session, app_row, actor=actor(), note=note)
            else:
                amount = _optional_euros(form.amount.data, "amount")
                if amount is None:
                    raise ValidationFailed(_("Vul het bedrag in dat u terugvraagt."), field="amount")
                accountability.reclaim(session, app_row, actor=actor(), amount_cents=amount, note=note)
        if not work.failed:
            return _done(app_row, _("Uw beoordeling is opgeslagen. De aanvrager krijgt bericht."))
    return _render_application(app_row, review=form)


# --- the area agenda ---------------------------------------------------------------------------------


def _agenda_form(area: Area, form: AgendaItemForm, item: Any = None) -> str | Response:
    session = db_session()
    if form.validate_on_submit():
        data = area_agenda.ItemData(title=form.title.data or "", description=form.description.data or "")
        with unit_of_work(form) as work:
            if item is None:
                area_agenda.create_item(session, area, actor=actor(), data=data)
            else:
                area_agenda.update_item(session, item, actor=actor(), data=data)
        if not work.failed:
            flash(_("De gebiedsagenda is bijgewerkt."), "success")
            return redirect(url_for("manage_grants.queue", slug=area.slug) + "#agenda")
    return render_template("manage_grants/agenda_form.html", form=form, area=area, item=item)


@bp.route("/areas/<slug>/agenda/new", methods=["GET", "POST"])
def new_agenda_item(slug: str) -> str | Response:
    """Put a new item on the area agenda."""
    return _agenda_form(_area(slug), AgendaItemForm())


@bp.route("/areas/<slug>/agenda/<int:item_id>/edit", methods=["GET", "POST"])
def edit_agenda_item(slug: str, item_id: int) -> str | Response:
    """Change an item of the area agenda."""
    area = _area(slug)
    item = area_agenda.get_item(db_session(), area, item_id)
    form = AgendaItemForm(obj=item) if request.method == "GET" else AgendaItemForm()
    return _agenda_form(area, form, item)
