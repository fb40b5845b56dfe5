"""Background jobs: the owner follows progress and outcome (works without JavaScript)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from pb.db import db_session
from pb.errors import NotFound
from pb.jobs import address_register as register_jobs
from pb.jobs import notifications as notification_jobs
from pb.jobs import results as results_jobs
from pb.models.area import Area
from pb.models.job import Job, JobStatus
from pb.services import authz, jobs
from pb.views.common import actor

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

KIND_LABELS = {
    results_jobs.PUBLISH: _l("Uitslag tellen en publiceren"),
    results_jobs.CORRECT: _l("Gecorrigeerde uitslag tellen en publiceren"),
    results_jobs.PREVIEW: _l("Voorbeeld van de telling"),
    register_jobs.PURGE: _l("Adressenbestand wissen"),
    register_jobs.IMPORT: _l("Adressenbestand inlezen"),
    register_jobs.LETTERS: _l("Brieven met codes maken"),
    notification_jobs.REMIND_VOTERS: _l("Herinnering sturen aan wie nog niet stemde"),
}
STATUS_LABELS = {
    JobStatus.QUEUED: _l("Wacht op zijn beurt"),
    JobStatus.RUNNING: _l("Bezig"),
    JobStatus.DONE: _l("Klaar"),
    JobStatus.FAILED: _l("Mislukt"),
}


def kind_label(row: Job) -> str:
    """What the job does, in words."""
    return str(KIND_LABELS.get(row.kind, _l("Taak")))


# Jobs whose page shows more than a link: the outcome's details (or, failed, the error report).
OUTCOME_TEMPLATES = {
    register_jobs.IMPORT: "jobs/_register_import.html",
    register_jobs.LETTERS: "jobs/_letters.html",
}


def _letters_outcome(row: Job) -> dict[str, Any] | None:
    """A finished letters job: its date, and the ZIP's download while it is kept (area managers only)."""
    result = jobs.result_of(row)
    if row.kind != register_jobs.LETTERS or row.status != JobStatus.DONE or "file" not in result:
        return None
    outcome: dict[str, Any] = {"valid_until": dt.date.fromisoformat(result["valid_until"]), "download": None}
    session = db_session()
    area = session.get(Area, int(result["area_id"]))
    if area is None or not authz.can_manage_area(actor(), area):
        return outcome
    stored = register_jobs.letters_file(session, area, str(result["file"]))
    if stored is not None:
        outcome["download"] = {"url": url_for("address_register.letters", slug=area.slug, name=stored.name),
                               "expires_at": stored.expires_at}
    return outcome


def outcome_link(row: Job) -> tuple[str, str] | None:
    """Where to see what a finished job made (link text, URL), if anywhere."""
    result = jobs.result_of(row)
    if row.status != JobStatus.DONE:
        return None
    if row.kind in (results_jobs.PUBLISH, results_jobs.CORRECT):
        return str(_l("Bekijk de gepubliceerde uitslag")), url_for("results.show", round_id=result["round_id"])
    if row.kind == results_jobs.PREVIEW:
        return str(_l("Bekijk het voorbeeld")), url_for("results.manage", round_id=result["round_id"])
    return None


@bp.get("/")
@login_required
def index() -> str:
    """My jobs, newest first."""
    rows = jobs.for_owner(db_session(), actor())
    return render_template("jobs/index.html", rows=rows, kind_label=kind_label, status_labels=STATUS_LABELS)


@bp.get("/<int:job_id>")
@login_required
def show(job_id: int) -> Any:
    """One job: status, progress, outcome or error, and a refresh link."""
    try:
        row = jobs.get_visible(db_session(), job_id, actor())
    except NotFound:
        abort(404)
    return render_template("jobs/show.html", job=row, label=kind_label(row), status_labels=STATUS_LABELS,
                           result=jobs.result_of(row), link=outcome_link(row),
                           outcome_template=OUTCOME_TEMPLATES.get(row.kind), letters=_letters_outcome(row))
