"""The address register (admin upload and purge) and letter codes (area managers)."""

from __future__ import annotations

import datetime as dt
import tempfile

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from pb.db import db_session
from pb.forms.residency import LetterCodesForm, PurgeForm, RegisterUploadForm
from pb.models.user import Role
from pb.services import areas as area_service
from pb.jobs import address_register as register_jobs
from pb.services import address_register, authz, jobs, letter_codes, register_import, stored_files
from pb.views.common import actor, require_roles, stored_file_response, unit_of_work

bp = Blueprint("address_register", __name__)
_REPORT_NAME_LEN = 32
REPORT_KIND = "register-report"
REPORT_KEEP = dt.timedelta(days=1)  # reports quote the file's content (addresses)


@bp.route("/admin/register", methods=["GET", "POST"])
def upload() -> str:
    """Upload the address register (streamed; see ``REGISTER_MAX_CONTENT_LENGTH``); show the error report."""
    require_roles(Role.ADMIN)
    form = RegisterUploadForm()
    errors: list[register_import.RowError] = []
    report = None
    result = None
    if form.validate_on_submit():
        session = db_session()
        try:
            result = register_import.import_addresses(session, form.file.data.stream, actor=actor())
        except register_import.ImportFailed as exc:
            session.rollback()
            errors = exc.errors
            form.form_errors.append(exc.message)
            stored_files.forget_expired(session)
            stored = stored_files.put(session, register_import.error_report_csv(errors, exc.total).encode("utf-8"),
                                      kind=REPORT_KIND, content_type="text/csv; charset=utf-8",
                                      keep_for=REPORT_KEEP)
            report = stored.name
            session.commit()
        else:
            session.commit()
    counts = address_register.area_counts(db_session())
    return render_template("address_register/upload.html", form=form, errors=errors, report=report, result=result,
                           areas=area_service.list_areas(db_session()), counts=counts)


@bp.get("/admin/register/report/<name>.csv")
def report(name: str) -> Response:
    """Download an import's error report (kept for a day)."""
    require_roles(Role.ADMIN)
    stored = stored_files.find(db_session(), name, kind=REPORT_KIND)
    if stored is None:
        abort(404)
    return stored_file_response(stored, max_age=0, download_name="foutenrapport.csv")


@bp.route("/admin/register/<slug>/purge", methods=["GET", "POST"])
def purge(slug: str) -> str | Response:
    """Ask to confirm, then remove an area's addresses and codes (after its results are published)."""
    require_roles(Role.ADMIN)
    area = area_service.get_by_slug(db_session(), slug)
    form = PurgeForm()
    if request.method == "GET":
        counts = address_register.area_register(db_session(), area)
        return render_template("address_register/purge.html", area=area, form=form,
                               counts=(counts.addresses, counts.unused_codes))
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
    counts = address_register.area_register(db_session(), area)
    existing, addresses = counts.unused_codes, counts.addresses
    form = LetterCodesForm()
    if form.validate_on_submit():
        if existing and not form.confirm.data:
            form.confirm.errors = [_("Vink aan dat de oude codes niet meer werken.")]
        else:
            # The ZIP goes to a temporary file while it is made (memory stays flat) and is streamed
            # from there; the file disappears when the response is closed.
            payload = tempfile.TemporaryFile()
            with unit_of_work(form) as work:
                letters = letter_codes.LettersZip(payload, area, form.valid_until.data)
                batch = letter_codes.generate_codes(db_session(), area, actor=actor(),
                                                    valid_until=form.valid_until.data, sink=letters)
                letters.close()
            if work.failed:
                payload.close()
            else:
                payload.seek(0)
                return send_file(payload, mimetype="application/zip", as_attachment=True,
                                 download_name=f"lettercodes-{area.slug}-{batch.valid_until.isoformat()}.zip")
    return render_template("address_register/codes.html", area=area, form=form, existing=existing, addresses=addresses,
                           without_postal_address=counts.without_postal_address)
