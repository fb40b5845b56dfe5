"""Address register jobs: import an uploaded register, make letter codes, purge after publication.

The uploaded register file and the letters ZIP are kept in the database (``stored_files``, in
chunks) so any worker can read them and no app host keeps a file. The upload is removed when its
import ends, however it ends (it holds addresses); an error report is kept for a day. The
letters ZIP holds the only copy of the plaintext codes: it is stored encrypted with a key that is
not in the database and removed after ``LETTERS_KEEP`` (the worker's sweep), or when newer codes
for the area replace it.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from pb.db import require_row, utcnow
from pb.errors import NotFound
from pb.models.area import Area
from pb.models.job import Job, JobStatus
from pb.models.stored_file import StoredFile
from pb.services import address_register, jobs, letter_codes, register_import, stored_files

PURGE = "address_register.purge"
IMPORT = "address_register.import"
LETTERS = "letter_codes.generate"

UPLOAD_KIND = "register-upload"
UPLOAD_KEEP = dt.timedelta(days=2)  # a safety net only: the import's end removes the upload
REPORT_KIND = "register-report"
REPORT_KEEP = dt.timedelta(days=1)  # reports quote the file's content (addresses)
LETTERS_KIND = "letters-zip"
LETTERS_KEEP = dt.timedelta(hours=24)


def area_subject(area: Area) -> str:
    """The subject of an area's register and letter jobs."""
    return f"area:{area.id}"


def _area(session: Session, payload: dict[str, Any]) -> Area:
    return require_row(session, Area, int(payload["area_id"]), "area")


@jobs.job(PURGE)
def purge(ctx: jobs.JobContext) -> dict[str, Any]:
    """Remove the area's addresses and letter codes (residencies stay)."""
    area = _area(ctx.session, ctx.payload)
    ctx.progress(0, 1)
    result = address_register.purge_register(ctx.session, area, actor=ctx.owner)
    return {"area_id": area.id, "addresses": result.addresses, "codes": result.codes}


@jobs.job(IMPORT)
def import_register(ctx: jobs.JobContext) -> dict[str, Any]:
    """Import an uploaded register file (all rows or nothing); keep an error report when it fails."""
    session, name = ctx.session, str(ctx.payload["upload"])
    ctx.on_failure(lambda s: stored_files.delete_file(s, name))
    stored_files.forget_expired(session)
    upload = stored_files.find(session, name, kind=UPLOAD_KIND)
    if upload is None:
        raise NotFound(_("Het bestand is er niet meer. Lees het opnieuw in."))
    steps = upload.chunks + 1  # each chunk read, then the changes written
    read = 0

    def counted() -> Iterator[bytes]:
        nonlocal read
        for chunk in stored_files.iter_chunks(session, upload):
            yield chunk
            read += 1

    source = stored_files.reader(counted())
    ctx.progress(0, steps)
    try:
        result = register_import.import_addresses(session, source, actor=ctx.owner,
                                                  progress=lambda _rows: ctx.progress(min(read, steps - 1), steps))
    except register_import.ImportFailed as exc:
        errors, total = exc.errors, exc.total

        def keep_report(s: Session) -> dict[str, Any]:
            report = stored_files.put(s, register_import.error_report_csv(errors, total).encode("utf-8"),
                                      kind=REPORT_KIND, content_type="text/csv; charset=utf-8", keep_for=REPORT_KEEP)
            return {"report": report.name, "errors": total,
                    "first_errors": [{"line": e.line, "message": e.message} for e in errors[:20]]}

        ctx.on_failure(keep_report)
        raise
    stored_files.delete_file(session, name)
    names: dict[str, str] = {slug: name for slug, name in session.execute(select(Area.slug, Area.name))}
    return {"created": result.created, "updated": result.updated, "unchanged": result.unchanged,
            "areas": [{"name": names.get(slug, slug), "count": n} for slug, n in result.per_area.items()]}


def letters_file(session: Session, area: Area, name: str) -> StoredFile | None:
    """The letters ZIP called ``name`` if it is the newest one made for ``area`` and not expired."""
    newest = jobs.latest(session, LETTERS, area_subject(area))
    if newest is None or newest.status != JobStatus.DONE or jobs.result_of(newest).get("file") != name:
        return None
    return stored_files.find(session, name, kind=LETTERS_KIND)


def _drop_older_letters(session: Session, area: Area, keep_job_id: int) -> None:
    """Remove the ZIPs of earlier letter jobs for the area: their codes no longer work."""
    for row in session.scalars(select(Job).where(Job.kind == LETTERS, Job.subject == area_subject(area),
                                                 Job.status == JobStatus.DONE, Job.id != keep_job_id)):
        stored_files.delete_file(session, jobs.result_of(row).get("file"))


@jobs.job(LETTERS)
def make_letters(ctx: jobs.JobContext) -> dict[str, Any]:
    """Make new codes for an area and keep the letters ZIP, encrypted, for ``LETTERS_KEEP``."""
    session = ctx.session
    area = _area(session, ctx.payload)
    valid_until = dt.date.fromisoformat(str(ctx.payload["valid_until"]))
    stored_files.forget_expired(session)
    # The ZIP is made in a temporary file of the worker (memory stays flat), then stored
    # encrypted a chunk at a time; the temporary file disappears when it is closed.
    with tempfile.TemporaryFile() as out:
        letters = letter_codes.LettersZip(out, area, valid_until)
        batch = letter_codes.generate_codes(session, area, actor=ctx.owner, valid_until=valid_until,
                                            progress=ctx.progress, sink=letters)
        letters.close()
        out.seek(0)
        stored = stored_files.put_stream(session, out, kind=LETTERS_KIND, content_type="application/zip",
                                         suffix=".zip", keep_for=LETTERS_KEEP, encrypt=True)
    _drop_older_letters(session, area, ctx.job.id)
    expires_at = stored.expires_at or utcnow()
    return {"area_id": area.id, "area_slug": area.slug, "file": stored.name, "codes": batch.code_count,
            "addresses": batch.address_count, "valid_until": batch.valid_until.isoformat(),
            "expires_at": expires_at.isoformat()}
