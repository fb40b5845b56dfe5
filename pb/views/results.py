"""Results: the public results page, downloads and receipt check; the manager's count and publish.

Before publication every public route here answers 404 (the page itself says "not yet
published" without any number): no interim counts anywhere (THREAT #9).
"""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from pb.db import db_session, utcnow
from pb.errors import NotFound
from pb.extensions import limiter
from pb.forms.results import CorrectionForm, PublishForm, ReceiptForm
from pb.models.round import BudgetRound, Phase
from pb.models.user import Role
from pb.services import authz, counting, exports
from pb.services import results as result_service
from pb.views import presenters
from pb.views.common import actor, optional_actor, require_roles, unit_of_work

bp = Blueprint("results", __name__)

def _load_published(round_id: int) -> tuple[BudgetRound, Any]:
    try:
        return result_service.published(db_session(), round_id)
    except NotFound:
        abort(404)


@bp.get("/rounds/<int:round_id>/results")
def show(round_id: int) -> Any:
    """The public results page (or "not yet published", without any number)."""
    session = db_session()
    round_ = session.get(BudgetRound, round_id)
    if round_ is None:
        abort(404)
    try:
        _round, result = result_service.published(session, round_id)
    except NotFound:
        return render_template("results/not_published.html", round=round_), 404
    record = counting.outcome_record(result)
    bars, chart_height = presenters.chart(record)
    versions = result_service.result_versions(session, round_)
    return render_template(
        "results/show.html", round=round_, result=result, record=record, bars=bars,
        chart_height=chart_height, label_width=presenters.CHART_LABEL_WIDTH, bar_width=presenters.CHART_BAR_WIDTH,
        story=presenters.equal_shares_story(record), explain=presenters.rule_explanation(result.rule), add1=presenters.add1_summary(record), versions=versions,
        projects=presenters.projects_in_order(record),
        score_text=presenters.score_text, money=presenters.money_cents,
        spent_width=int(Fraction(record.spent_cents or 0, max(record.budget_cents or 0, 1)) * 600),
        money_year=result_service.funding_year(round_),
    )


@bp.get("/results")
def index() -> str:
    """Published results of every round; for managers also their rounds waiting to be published."""
    session = db_session()
    user = optional_actor()
    waiting = result_service.rounds_to_publish(session, user) if user is not None and user.has_role(Role.MANAGER) else []
    return render_template("results/index.html", published=result_service.published_rounds(session), waiting=waiting)


def _download(body: str, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/rounds/<int:round_id>/ballots.pb")
def ballots_pb(round_id: int) -> Response:
    """The anonymised ballots in pabulib format (exactly the bytes whose SHA-256 is published)."""
    _round, result = _load_published(round_id)
    return _download(result.ballots_pb, "text/plain; charset=utf-8", f"buurtbudget-ronde-{round_id}-ballots.pb")


@bp.get("/rounds/<int:round_id>/results.json")
def results_json(round_id: int) -> Response:
    """The result as JSON."""
    round_, result = _load_published(round_id)
    body = json.dumps(exports.results_json(round_, result), ensure_ascii=False, indent=1)
    return Response(body, mimetype="application/json")


@bp.get("/rounds/<int:round_id>/results.csv")
def results_csv(round_id: int) -> Response:
    """The result as CSV (safe to open in a spreadsheet)."""
    round_, result = _load_published(round_id)
    return _download(exports.results_csv(round_, result), "text/csv; charset=utf-8",
                     f"buurtbudget-ronde-{round_id}-uitslag.csv")


@bp.get("/rounds/<int:round_id>/receipts.txt")
def receipts(round_id: int) -> Response:
    """The published list of tracking codes of all counted ballots, sorted."""
    _round, result = _load_published(round_id)
    return _download(result.receipts_text, "text/plain; charset=utf-8", f"buurtbudget-ronde-{round_id}-volgcodes.txt")


@bp.route("/rounds/<int:round_id>/receipt", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def receipt(round_id: int) -> Any:
    """Check a tracking code against the published list (POST: the code stays out of URLs and logs)."""
    round_, result = _load_published(round_id)
    form = ReceiptForm()
    found: bool | None = None
    if form.validate_on_submit():
        found = result_service.receipt_counted(result, form.code.data or "")
    return render_template("results/receipt.html", round=round_, result=result, form=form, found=found)


# --- Manager -------------------------------------------------------------------------------------

def _managed_round(round_id: int) -> BudgetRound:
    require_roles(Role.MANAGER)
    round_ = db_session().get(BudgetRound, round_id)
    if round_ is None or not authz.can_manage_area(actor(), round_.area):
        abort(404)
    return round_


def _manage_page(round_: BudgetRound, publish_form: PublishForm, correction_form: CorrectionForm,
                 status: int = 200) -> Any:
    session = db_session()
    now = utcnow()
    phase = round_.phase_at(now)
    count = what_if = None
    compare = phase == Phase.CLOSED and request.args.get("compare") == "1"
    if round_.is_voting_closed(now):
        # Private preview: counted on the fly, nothing stored or sealed (GET writes nothing); the
        # read transaction ends before the rule runs, so a long count blocks no other request.
        count = counting.count_round(session, round_, seal=False, now=now, before_counting=session.rollback)
        what_if = counting.what_if(count) if compare else None
    return render_template(
        "results/manage.html", round=round_, phase=phase, count=count, what_if=what_if, compare=compare,
        versions=result_service.result_versions(session, round_), publish_form=publish_form,
        correction_form=correction_form, money=presenters.money_cents, pb_id=counting.pb_project_id,
        score_text=presenters.score_text,
    ), status


@bp.get("/manage/rounds/<int:round_id>/results")
def manage(round_id: int) -> Any:
    """Count a closed round privately, compare rules, publish; or correct a published result."""
    round_ = _managed_round(round_id)
    return _manage_page(round_, PublishForm(formdata=None), CorrectionForm(formdata=None))


@bp.post("/manage/rounds/<int:round_id>/results/publish")
def publish(round_id: int) -> Any:
    """Publish the result counted with the round's frozen rule."""
    round_ = _managed_round(round_id)
    form = PublishForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            result_service.publish_results(db_session(), round_, actor=actor())
        if not work.failed:
            flash(_("De uitslag is gepubliceerd."), "success")
            return redirect(url_for("results.show", round_id=round_.id))
    return _manage_page(round_, form, CorrectionForm(formdata=None), 400)


@bp.post("/manage/rounds/<int:round_id>/results/correct")
def correct(round_id: int) -> Any:
    """Publish a corrected version with its reason."""
    round_ = _managed_round(round_id)
    form = CorrectionForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            result_service.correct_results(db_session(), round_, actor=actor(), reason=form.reason.data or "")
        if not work.failed:
            flash(_("De gecorrigeerde uitslag is gepubliceerd."), "success")
            return redirect(url_for("results.show", round_id=round_.id))
    return _manage_page(round_, PublishForm(formdata=None), form, 400)
