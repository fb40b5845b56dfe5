"""The address register (admin upload and purge) and letter codes (area managers)."""

from __future__ import annotations

import secrets
import time
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from pb.db import db_session
from pb.forms.residency import LetterCodesForm, PurgeForm, RegisterUploadForm
from pb.models.user import Role
from pb.services import address_register
from pb.services import areas as area_service
from pb.jobs import address_register as register_jobs
from pb.services import authz, jobs, letter_codes
from pb.views.common import actor, require_roles, unit_of_work

bp = Blueprint("address_register", __name__)
_REPORT_NAME_LEN = 32
_REPORT_KEEP_SECONDS = 24 * 3600


def _report_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / "register-reports"


def _forget_old_reports() -> None:
    """Reports quote the file's content (addresses): keep them only for a day."""
    cutoff = time.time() - _REPORT_KEEP_SECONDS
    for path in _report_dir().glob("*.csv"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


@bp.route("/admin/register", methods=["GET", "POST"])
def upload() -> str:
    """Upload the address register; show the error report when rows are wrong."""
    require_roles(Role.ADMIN)
    form = RegisterUploadForm()
    errors: list[address_register.RowError] = []
    report = None
    result = None
    if form.validate_on_submit():
        try:
            result = address_register.import_addresses(db_session(), form.file.data.read(), actor=actor())
        except address_register.ImportFailed as exc:
            db_session().rollback()
            errors = exc.errors
            form.form_errors.append(exc.message)
            report = secrets.token_hex(_REPORT_NAME_LEN // 2)
            _report_dir().mkdir(parents=True, exist_ok=True)
            _forget_old_reports()
            (_report_dir() / f"{report}.csv").write_text(address_register.error_report_csv(errors), encoding="utf-8")
        else:
            db_session().commit()
    counts = address_register.area_counts(db_session())
    return render_template("address_register/upload.html", form=form, errors=errors, report=report, result=result,
                           areas=area_service.list_areas(db_session()), counts=counts)


@bp.get("/admin/register/report/<name>.csv")
def report(name: str) -> Response:
    """Download an import's error report."""
    require_roles(Role.ADMIN)
    if len(name) != _REPORT_NAME_LEN or not all(c in "0123456789abcdef" for c in name):
        abort(404)
    path = _report_dir() / f"{name}.csv"
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype="text/csv", as_attachment=True, download_name="foutenrapport.csv")


@bp.route("/admin/register/<slug>/purge", methods=["GET", "POST"])
def purge(slug: str) -> str | Response:
    """Ask to confirm, then remove an area's addresses and codes (after its results are published)."""
    require_roles(Role.ADMIN)
    area = area_service.get_by_slug(db_session(), slug)
    form = PurgeForm()
    if request.method == "GET":
        counts = address_register.area_counts(db_session()).get(area.id, (0, 0))
        return render_template("address_register/purge.html", area=area, form=form, counts=counts)
    if form.validate_on_submit():
        job = jobs.enqueue(db_session(), register_jobs.PURGE, {"area_id": area.id}, owner=actor(),
                           subject=f"area:{area.id}")
        db_session().commit()
        flash(_("Het wissen van het adressenbestand van %(area)s is gevraagd.", area=area.name), "success")
        return redirect(url_for("jobs.show", job_id=job.id))
    return redirect(url_for("address_register.upload"))


@bp.route("/manage/areas/<slug>/letter-codes", methods=["GET", "POST"])
def codes(slug: str) -> str | Response:
    """Make letter codes for an area and download the letters and mailing CSV (a ZIP)."""
    require_roles(Role.MANAGER)
    area = area_service.get_by_slug(db_session(), slug)
    authz.require_area_manager(actor(), area)
    existing = letter_codes.existing_code_count(db_session(), area)
    addresses = address_register.area_counts(db_session()).get(area.id, (0, 0))[0]
    form = LetterCodesForm()
    if form.validate_on_submit():
        if existing and not form.confirm.data:
            form.confirm.errors = [_("Vink aan dat de oude codes niet meer werken.")]
        else:
            with unit_of_work(form) as work:
                batch = letter_codes.generate_codes(db_session(), area, actor=actor(),
                                                    valid_until=form.valid_until.data)
                payload = letter_codes.export_zip(batch)
            if not work.failed:
                response = Response(payload, mimetype="application/zip")
                response.headers["Content-Disposition"] = (
                    f'attachment; filename="lettercodes-{area.slug}-{batch.valid_until.isoformat()}.zip"'
                )
                return response
    return render_template("address_register/codes.html", area=area, form=form, existing=existing, addresses=addresses)
