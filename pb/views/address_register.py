"""The address register (admin upload and purge) and letter codes (area managers)."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from pb.db import db_session
from pb.forms.residency import LetterCodesForm, PurgeForm, RegisterUploadForm
from pb.models.user import Role
from pb.services import areas as area_service
from pb.jobs import address_register as register_jobs
from pb.services import address_register, authz, jobs, letter_codes, stored_files
from pb.views.common import actor, require_roles, stored_file_response, unit_of_work

bp = Blueprint("address_register", __name__)


@bp.route("/admin/register", methods=["GET", "POST"])
def upload() -> str | Response:
    """Upload the address register (streamed into the database; see ``REGISTER_MAX_CONTENT_LENGTH``).

    The import runs as a job; its page shows progress and the outcome (or the error report).
    """
    require_roles(Role.ADMIN)
    form = RegisterUploadForm()
    if form.validate_on_submit():
        session = db_session()
        stored_files.forget_expired(session)
        # Werkzeug spools a large upload to a temporary file; it goes into the database a chunk at a time.
        stored = stored_files.put_stream(session, form.file.data.stream, kind=register_jobs.UPLOAD_KIND,
                                         content_type="text/csv", keep_for=register_jobs.UPLOAD_KEEP)
        job = jobs.enqueue(session, register_jobs.IMPORT, {"upload": stored.name}, owner=actor(),
                           subject="register")
        session.commit()
        flash(_("Het adressenbestand wordt ingelezen."), "success")
        return redirect(url_for("jobs.show", job_id=job.id))
    counts = address_register.area_counts(db_session())
    return render_template("address_register/upload.html", form=form, areas=area_service.list_areas(db_session()),
                           counts=counts)


@bp.get("/admin/register/report/<name>.csv")
def report(name: str) -> Response:
    """Download an import's error report (kept for a day)."""
    require_roles(Role.ADMIN)
    stored = stored_files.find(db_session(), name, kind=register_jobs.REPORT_KIND)
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
                           subject=register_jobs.area_subject(area))
        db_session().commit()
        flash(_("Het wissen van het adressenbestand van %(area)s is gevraagd.", area=area.name), "success")
        return redirect(url_for("jobs.show", job_id=job.id))
    return redirect(url_for("address_register.upload"))


@bp.route("/manage/areas/<slug>/letter-codes", methods=["GET", "POST"])
def codes(slug: str) -> str | Response:
    """Ask for letter codes for an area; the job makes the ZIP (letters and mailing CSV) to download."""
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
            with unit_of_work(form) as work:
                letter_codes.check_can_generate(db_session(), area, valid_until=form.valid_until.data)
                job = jobs.enqueue(db_session(), register_jobs.LETTERS,
                                   {"area_id": area.id, "valid_until": form.valid_until.data.isoformat()},
                                   owner=actor(), subject=register_jobs.area_subject(area))
            if not work.failed:
                flash(_("De brieven voor %(area)s worden gemaakt.", area=area.name), "success")
                return redirect(url_for("jobs.show", job_id=job.id))
    return render_template("address_register/codes.html", area=area, form=form, existing=existing, addresses=addresses,
                           without_postal_address=counts.without_postal_address)


@bp.get("/manage/areas/<slug>/letter-codes/<name>")
def letters(slug: str, name: str) -> Response:
    """Download the newest letters ZIP of an area (managers of the area; kept for a day)."""
    require_roles(Role.MANAGER)
    session = db_session()
    area = area_service.get_by_slug(session, slug)
    authz.require_area_manager(actor(), area)
    stored = register_jobs.letters_file(session, area, name)
    if stored is None:
        abort(404)
    # The body is read after the request's context is gone: it gets a session of its own,
    # closed when the response is. The request's read transaction ends first (on SQLite every
    # transaction holds the one lock).
    reading = current_app.extensions["pb_db"]()
    chunks = stored_files.iter_chunks(reading, stored)
    size = stored.size
    session.rollback()
    try:
        first = next(chunks)
    except stored_files.DamagedFile:
        reading.close()
        abort(404)  # the secret key changed since the file was made: it cannot be opened any more

    def body() -> Iterator[bytes]:
        # The session is closed before the last chunk goes out: a client that stops reading at
        # Content-Length never asks for more, and must not leave a transaction open.
        try:
            held = first
            for chunk in chunks:
                yield held
                held = chunk
        finally:
            reading.close()
        yield held

    response = Response(body(), mimetype="application/zip")
    response.call_on_close(reading.close)
    response.headers["Content-Disposition"] = f'attachment; filename="lettercodes-{slug}.zip"'
    response.headers["Content-Length"] = str(size)
    response.cache_control.no_store = True
    return response
