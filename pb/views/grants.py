"""Small grants for everyone: the public register and its downloads, agenda items, an application's
page, and what residents do (apply, back, answer, move to a round, withdraw, report back)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import IO, Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response as BaseResponse
from sqlalchemy.orm import Session

from pb.db import by_id, db_session
from pb.errors import ValidationFailed
from pb.extensions import limiter
from pb.forms import options
from pb.forms.grants import AnswerForm, ApplicationForm, MoveForm, ReportForm
from pb.forms.rounds import ActionForm
from pb.models.grant import ApplicationStatus, FileKind, GrantApplication, GrantFile, ReportStatus
from pb.models.round import BudgetRound
from pb.services import (
    accountability, area_agenda, authz, backings, grant_applications, grant_decisions, grant_register, grant_settings,
    implementations, pots,
)
from pb.services import areas as area_service
from pb.services.cost_lines import parse_cost_lines
from pb.services.money import parse_euros
from pb.views.common import actor, optional_actor, unit_of_work
from pb.views import presenters_grants
from pb.views.presenters_grants import agenda_options
from pb.views.rounds import _write_limit as rounds_write_limit

bp = Blueprint("grants", __name__)
# Filing, backing and reporting share the proposals' write limit (one setting for resident writes).
_write_limit = rounds_write_limit


# --- the public register -----------------------------------------------------------------------------


@bp.get("/areas/<slug>/buurtbudget")
def register(slug: str) -> str:
    """The area's buurtbudget: the pot, what is left, every application and the agenda."""
    session = db_session()
    area = area_service.get_by_slug(session, slug)
    pot = pots.pot_for(session, area)
    user = optional_actor()
    return render_template(
        "grants/register.html", area=area, pot=pot, summary=pots.summary(session, pot) if pot else None,
        rows=grant_register.rows(session, area), agenda=area_agenda.items_of(session, area),
        settings=grant_settings.settings_for(session, area),
        is_resident=authz.residency_in(session, user, area) is not None,
        own=[a for a in grant_applications.own_applications(session, user) if a.area_id == area.id] if user else [],
    )


@bp.get("/areas/<slug>/buurtbudget.csv")
def register_csv(slug: str) -> Response:
    """The register as CSV."""
    area = area_service.get_by_slug(db_session(), slug)
    body = "\ufeff" + grant_register.register_csv(db_session(), area)  # BOM: Excel reads UTF-8
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="buurtbudget-{area.slug}.csv"'})


@bp.get("/areas/<slug>/buurtbudget.json")
def register_json(slug: str) -> Response:
    """The register as JSON."""
    area = area_service.get_by_slug(db_session(), slug)
    body = json.dumps(grant_register.register_json(db_session(), area), ensure_ascii=False, indent=1)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="buurtbudget-{area.slug}.json"'})


@bp.get("/areas/<slug>/agenda/<int:item_id>")
def agenda_item(slug: str, item_id: int) -> str:
    """One item of the area agenda with what was funded for it."""
    session = db_session()
    area = area_service.get_by_slug(session, slug)
    item = area_agenda.get_item(session, area, item_id)
    return render_template("grants/agenda_item.html", area=area, item=item,
                           applications=area_agenda.funded_applications(session, item),
                           proposals=area_agenda.proposals_for(session, item))


# --- one application -----------------------------------------------------------------------------------


def _application(application_id: int) -> GrantApplication:
    return grant_applications.get_application(db_session(), application_id)


def _rounds_choice(session: Session, application: GrantApplication) -> list[BudgetRound]:
    return grant_applications.rounds_open_for_proposals(session, application.area)


@bp.get("/grants/<int:application_id>")
def application(application_id: int) -> str:
    """An application: what is asked, backing, the decision and the accountability."""
    session = db_session()
    app_row = _application(application_id)
    user = optional_actor()
    mine = grant_applications.is_applicant(user, app_row)
    settings = grant_settings.settings_for(session, app_row.area)
    move_form = MoveForm(formdata=None)
    rounds = _rounds_choice(session, app_row) if mine and app_row.is_open else []
    move_form.round_id.choices = options((str(r.id), r.title) for r in rounds)
    return render_template(
        "grants/application.html", a=app_row, area=app_row.area, settings=settings, mine=mine,
        public_name=grant_applications.public_name(app_row), backing=backings.total(session, app_row),
        backs=backings.backs(session, app_row, user),
        is_resident=authz.residency_in(session, user, app_row.area) is not None,
        can_back=app_row.status in backings.BACKING_OPEN, form=ActionForm(formdata=None),
        answer_form=AnswerForm(formdata=None), move_form=move_form, rounds=rounds,
        too_large=grant_applications.too_large(session, app_row),
        photos=grant_applications.files_of(session, app_row, FileKind.PHOTO),
        report_photos=grant_applications.files_of(session, app_row, FileKind.REPORT_PHOTO),
        can_manage=authz.can_manage_area(user, app_row.area),
        can_report=mine and app_row.status == ApplicationStatus.GRANTED and (
            app_row.report is None or app_row.report.status == ReportStatus.MORE_REQUESTED),
        due_on=grant_decisions.due_date(session, app_row) if app_row.is_open else None,
        history=presenters_grants.history_rows(grant_applications.public_history(session, app_row)),
        implementation=implementations.of_grant(session, app_row),
    )


def _may_see(session: Session, row: GrantFile) -> bool:
    if row.kind in (FileKind.PHOTO, FileKind.REPORT_PHOTO):
        return True
    application = session.get(GrantApplication, row.application_id) if row.application_id else None
    if application is None:
        return False
    user = optional_actor()
    if authz.can_manage_area(user, application.area):
        return True
    if row.kind == FileKind.RECEIPT:
        return grant_applications.is_applicant(user, application)
    return authz.can_work_info_point(user, application.area)  # scans of signature lists


@bp.get("/grants/files/<int:file_id>")
def file(file_id: int) -> Response:
    """A stored photo, receipt or scan (receipts and scans only for those who check them)."""
    session = db_session()
    row = by_id(session, GrantFile, file_id)
    if row is None or not _may_see(session, row):
        abort(404)
    response = Response(row.data, mimetype=row.content_type)
    if row.content_type == "application/pdf":
        response.headers["Content-Disposition"] = f'attachment; filename="bestand-{row.id}.pdf"'
        response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


# --- residents -----------------------------------------------------------------------------------------


def application_data(form: ApplicationForm) -> grant_applications.ApplicationData:
    """The service's input from a valid form (amounts parsed; errors land on the right field)."""
    lines = parse_cost_lines((entry.item.data, entry.amount.data) for entry in form.cost_lines.entries)
    own = euros_field(form.own_contribution.data, "own_contribution") if (form.own_contribution.data or "").strip() else 0
    agenda = form.agenda_item_id.data or ""
    return grant_applications.ApplicationData(
        title=form.title.data or "", description=form.description.data or "",
        organisation_name=form.organisation_name.data or "", kvk_number=(form.kvk_number.data or "").strip(),
        show_name=bool(form.show_name.data), planned_on=form.planned_on.data,
        own_contribution_cents=own, volunteer_hours=form.volunteer_hours.data or 0,
        agenda_item_id=int(agenda) if agenda.isdigit() else None, cost_lines=lines,
    )


def euros_field(text: str | None, field: str) -> int:
    """Cents for an amount typed in a form field; a refusal names that field.

    Raises:
        ValidationFailed: not an amount.
    """
    try:
        return parse_euros(text or "")
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, field=field) from exc


def upload(field: Any) -> IO[bytes] | None:
    """The uploaded file's stream, or None when nothing was chosen."""
    data = field.data
    if data is None or not getattr(data, "filename", ""):
        return None
    stream: IO[bytes] = data.stream
    return stream


def uploads(field: Any) -> list[IO[bytes]]:
    """The streams of a multiple-file field (empty choices left out)."""
    return [f.stream for f in (field.data or []) if getattr(f, "filename", "")]


@bp.route("/areas/<slug>/buurtbudget/apply", methods=["GET", "POST"])
@login_required
@limiter.limit(_write_limit, methods=["POST"])
def apply(slug: str) -> str | BaseResponse:
    """A verified resident of the area applies for a small grant."""
    session = db_session()
    area = area_service.get_by_slug(session, slug)
    authz.require_resident(session, actor(), area)
    form = ApplicationForm()
    form.agenda_item_id.choices = agenda_options(area_agenda.items_of(session, area))
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            created = grant_applications.file_application(session, area, actor=actor(), data=application_data(form),
                                                          photo=upload(form.photo))
        if not work.failed:
            flash(_("Uw aanvraag is ingediend. Vraag uw buren om haar te steunen."), "success")
            return redirect(url_for("grants.application", application_id=created.id))
    return render_template("grants/apply.html", form=form, area=area,
                           settings=grant_settings.settings_for(session, area), assisted=False)


def _action(application_id: int, call: Callable[[Session, GrantApplication, Any], Any], done: str,
            form_class: type[Any] = ActionForm) -> BaseResponse:
    session = db_session()
    app_row = _application(application_id)
    form = form_class()
    if form.validate_on_submit():
        with unit_of_work(flash_error=True) as work:
            call(session, app_row, form)
        if not work.failed:
            flash(done, "success")
    else:
        flash(_("Controleer wat u heeft ingevuld en probeer het opnieuw."), "error")
    return redirect(url_for("grants.application", application_id=application_id))


@bp.post("/grants/<int:application_id>/back")
@login_required
@limiter.limit(_write_limit, methods=["POST"])
def back(application_id: int) -> BaseResponse:
    """A verified resident of the area backs the application."""
    return _action(application_id, lambda s, a, _f: backings.back(s, a, actor=actor()),
                   _("Bedankt! U steunt deze aanvraag."))


@bp.post("/grants/<int:application_id>/unback")
@login_required
@limiter.limit(_write_limit, methods=["POST"])
def unback(application_id: int) -> BaseResponse:
    """A resident takes back their backing."""
    return _action(application_id, lambda s, a, _f: backings.unback(s, a, actor=actor()),
                   _("U steunt deze aanvraag niet meer."))


@bp.post("/grants/<int:application_id>/withdraw")
@login_required
@limiter.limit(_write_limit, methods=["POST"])
def withdraw(application_id: int) -> BaseResponse:
    """The applicant withdraws the application."""
    return _action(application_id, lambda s, a, _f: grant_applications.withdraw(s, a, actor=actor()),
                   _("Uw aanvraag is ingetrokken."))


@bp.post("/grants/<int:application_id>/answer")
@login_required
@limiter.limit(_write_limit, methods=["POST"])
def answer(application_id: int) -> BaseResponse:
    """The applicant answers the manager's question."""
    return _action(application_id,
                   lambda s, a, f: grant_applications.answer_question(s, a, actor=actor(), answer=f.answer.data or ""),
                   _("Uw antwoord is verstuurd."), AnswerForm)


@bp.post("/grants/<int:application_id>/move")
@login_required
@limiter.limit(_write_limit, methods=["POST"])
def move(application_id: int) -> BaseResponse:
    """The applicant moves a too-large application into a round as a proposal."""
    session = db_session()
    app_row = _application(application_id)
    form = MoveForm()
    round_id = form.round_id.data or ""
    rnd = by_id(session, BudgetRound, int(round_id)) if form.validate_on_submit() and round_id.isdigit() else None
    if rnd is None:
        flash(_("Kies een ronde."), "error")
        return redirect(url_for("grants.application", application_id=application_id))
    with unit_of_work(flash_error=True) as work:
        proposal_id = grant_applications.move_to_round(session, app_row, rnd, actor=actor())
    if work.failed:
        return redirect(url_for("grants.application", application_id=application_id))
    flash(_("Uw aanvraag staat nu als concept-plan in de ronde. Controleer het en dien het in."), "success")
    return redirect(url_for("rounds.proposal", proposal_id=proposal_id))


@bp.route("/grants/<int:application_id>/report", methods=["GET", "POST"])
@login_required
@limiter.limit(_write_limit, methods=["POST"])
def report(application_id: int) -> str | BaseResponse:
    """The applicant reports back: what happened, the actual costs, photos and receipts."""
    session = db_session()
    app_row = _application(application_id)
    if not grant_applications.is_applicant(actor(), app_row):
        abort(403)
    form = ReportForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            accountability.submit_report(session, app_row, actor=actor(), text=form.text.data or "",
                                         actual_cents=euros_field(form.actual.data, "actual"),
                                         photos=uploads(form.photos), receipts=uploads(form.receipts))
        if not work.failed:
            flash(_("Bedankt! Uw verantwoording is verstuurd."), "success")
            return redirect(url_for("grants.application", application_id=application_id))
    return render_template("grants/report.html", form=form, a=app_row,
                           receipts_required=accountability.receipts_required(session, app_row),
                           settings=grant_settings.settings_for(session, app_row.area))

