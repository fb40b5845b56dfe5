"""Results: the public results page, downloads and receipt check; the manager's count and publish.

Before publication every public route here answers 404 (the page itself says "not yet
published" without any number): no interim counts anywhere (THREAT #9).
"""

from __future__ import annotations

import datetime as dt
import json
from fractions import Fraction
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from pb import labels
from pb.db import db_session, utcnow
from pb.errors import NotFound
from pb.extensions import limiter
from pb.forms.results import CorrectionForm, PreviewForm, PublishForm, ReceiptForm
from pb.jobs import results as results_jobs
from pb.models.job import JobStatus
from pb.models.round import BudgetRound, Phase
from pb.models.user import Role
from pb.services import authz, counting, exports, jobs, open_data, pabulib_import, recount
from pb.services import results as result_service
from pb.views import presenters
from pb.views.caching import IMMUTABLE, NEWEST_VERSION, cached_blocks, conditional
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
    versions = result_service.result_versions(session, round_)
    # A published version never changes: its page is rendered once per language and kept.
    key = (result.id, len(versions), str(get_locale()), round_.title, round_.area.slug, round_.area.name)
    page = cached_blocks("results/show.html", key, lambda: _results_context(session, round_, result, versions))
    return render_template("results/cached_page.html", title=page["title"], content=page["content"])


def _results_context(session: Any, round_: BudgetRound, result: Any, versions: list[Any]) -> dict[str, Any]:
    """Everything the results page shows of a published version."""
    record = counting.outcome_record(result)
    bars = presenters.chart(record)
    return dict(
        round=round_, result=result, record=record, bars=bars,
        recipes=recount.recipes_for(result.rule, record.tie_break.kind, record.tie_break.seed,
                                    result_service.published_head(session, result)),
        rule_note=pabulib_import.imported_rule_note(session, round_),
        imported=pabulib_import.import_of(session, round_) is not None,
        turnout_pct=presenters.turnout_percent(result.ballots_total, result.eligible_voters),
        chart_scale=presenters.CHART_SCALE,
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


def _download(body: str, mimetype: str, filename: str, *, cache_control: str, etag: str | None = None) -> Response:
    """A published file as an attachment, cacheable with a strong ETag (its SHA-256)."""
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return conditional(response, cache_control=cache_control, etag=etag)


def _load_version(round_id: int, version: int) -> tuple[BudgetRound, Any]:
    try:
        return open_data.published_version(db_session(), round_id, version)
    except NotFound:
        abort(404)


@bp.get("/rounds/<int:round_id>/ballots.pb")
def ballots_pb(round_id: int) -> Response:
    """The anonymised ballots in pabulib format (exactly the bytes whose SHA-256 is published)."""
    _round, result = _load_published(round_id)
    return _download(result.ballots_pb, "text/plain; charset=utf-8", f"buurtbudget-ronde-{round_id}-ballots.pb",
                     cache_control=NEWEST_VERSION, etag=result.ballots_sha256)


@bp.get("/rounds/<int:round_id>/results/v<int:version>/ballots.pb")
def ballots_pb_version(round_id: int, version: int) -> Response:
    """One published version's ballots file; it never changes, so caches may keep it for a year."""
    _round, result = _load_version(round_id, version)
    return _download(result.ballots_pb, "text/plain; charset=utf-8",
                     f"buurtbudget-ronde-{round_id}-v{version}-ballots.pb", cache_control=IMMUTABLE,
                     etag=result.ballots_sha256)


def _results_json_response(round_: BudgetRound, result: Any, cache_control: str) -> Response:
    body = json.dumps(exports.results_json(round_, result), ensure_ascii=False, indent=1)
    return conditional(Response(body, mimetype="application/json"), cache_control=cache_control)


@bp.get("/rounds/<int:round_id>/results.json")
def results_json(round_id: int) -> Response:
    """The result as JSON."""
    round_, result = _load_published(round_id)
    return _results_json_response(round_, result, NEWEST_VERSION)


@bp.get("/rounds/<int:round_id>/results/v<int:version>/results.json")
def results_json_version(round_id: int, version: int) -> Response:
    """One published version's result as JSON (immutable)."""
    round_, result = _load_version(round_id, version)
    return _results_json_response(round_, result, IMMUTABLE)


@bp.get("/rounds/<int:round_id>/results.csv")
def results_csv(round_id: int) -> Response:
    """The result as CSV (safe to open in a spreadsheet)."""
    round_, result = _load_published(round_id)
    return _download(exports.results_csv(round_, result), "text/csv; charset=utf-8",
                     f"buurtbudget-ronde-{round_id}-uitslag.csv", cache_control=NEWEST_VERSION)


@bp.get("/rounds/<int:round_id>/receipts.txt")
def receipts(round_id: int) -> Response:
    """The published list of tracking codes of all counted ballots, sorted."""
    _round, result = _load_published(round_id)
    return _download(result.receipts_text, "text/plain; charset=utf-8", f"buurtbudget-ronde-{round_id}-volgcodes.txt",
                     cache_control=NEWEST_VERSION)


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
    """The manager's results page: it shows the newest private preview (counted by a job), never
    counts in the request."""
    session = db_session()
    phase = round_.phase_at(utcnow())
    preview_job = preview = None
    if phase in (Phase.CLOSED, Phase.RESULTS):
        preview_job = jobs.latest(session, results_jobs.PREVIEW, results_jobs.subject(round_))
        if preview_job is not None and preview_job.status == JobStatus.DONE:
            preview = jobs.result_of(preview_job)
    return render_template(
        "results/manage.html", round=round_, phase=phase, preview=preview, preview_job=preview_job,
        counted_at=_counted_at(preview), versions=result_service.result_versions(session, round_),
        publish_form=publish_form, correction_form=correction_form, preview_form=PreviewForm(formdata=None),
        score_text=presenters.score_text, rule_label=labels.rule_label,
    ), status


def _counted_at(preview: dict[str, Any] | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(preview["counted_at"]) if preview else None


@bp.get("/manage/rounds/<int:round_id>/results")
def manage(round_id: int) -> Any:
    """The private preview of a closed round (counted by a job), publishing, corrections."""
    round_ = _managed_round(round_id)
    return _manage_page(round_, PublishForm(formdata=None), CorrectionForm(formdata=None))


@bp.post("/manage/rounds/<int:round_id>/results/preview")
def count_preview(round_id: int) -> Any:
    """Have the worker count a private preview with the round's rule and the comparison rules."""
    round_ = _managed_round(round_id)
    form = PreviewForm()
    if not form.validate_on_submit() or round_.phase_at(utcnow()) not in (Phase.CLOSED, Phase.RESULTS):
        abort(400)
    jobs.enqueue(db_session(), results_jobs.PREVIEW, {"round_id": round_.id}, owner=actor(),
                 subject=results_jobs.subject(round_))
    db_session().commit()
    flash(_("De telling is gevraagd. Vernieuw de pagina over een tijdje."), "success")
    return redirect(url_for("results.manage", round_id=round_.id))


@bp.post("/manage/rounds/<int:round_id>/results/publish")
def publish(round_id: int) -> Any:
    """Have the worker count with the round's frozen rule and publish the result."""
    round_ = _managed_round(round_id)
    form = PublishForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            result_service.check_publishable(db_session(), round_)
            job = jobs.enqueue(db_session(), results_jobs.PUBLISH, {"round_id": round_.id}, owner=actor(),
                               subject=results_jobs.subject(round_))
        if not work.failed:
            flash(_("De uitslag wordt geteld en gepubliceerd."), "success")
            return redirect(url_for("jobs.show", job_id=job.id))
    return _manage_page(round_, form, CorrectionForm(formdata=None), 400)


@bp.post("/manage/rounds/<int:round_id>/results/correct")
def correct(round_id: int) -> Any:
    """Have the worker count again and publish a corrected version with its reason."""
    round_ = _managed_round(round_id)
    form = CorrectionForm()
    if form.validate_on_submit():
        reason = (form.reason.data or "").strip()
        with unit_of_work(form) as work:
            result_service.check_correctable(db_session(), round_, reason=reason)
            job = jobs.enqueue(db_session(), results_jobs.CORRECT, {"round_id": round_.id, "reason": reason},
                               owner=actor(), subject=results_jobs.subject(round_))
        if not work.failed:
            flash(_("De gecorrigeerde uitslag wordt geteld en gepubliceerd."), "success")
            return redirect(url_for("jobs.show", job_id=job.id))
    return _manage_page(round_, PublishForm(formdata=None), form, 400)
