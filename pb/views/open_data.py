"""Open data for people: one page listing every published round with its files and hashes, the
researchers' archive of every published ballots file, and a page describing the API."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterator

from apispec_webframeworks.flask import FlaskPlugin
from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import force_locale
from sqlalchemy.orm import Session, sessionmaker

from pb.db import db_session
from pb.services import open_data
from pb.views.api.spec import documented_operations
from pb.views.caching import NEWEST_VERSION

bp = Blueprint("open_data", __name__, url_prefix="/open-data")
ARCHIVE_NAME = "buurtbudget-ballots.zip"
_SLICE = 1 << 20
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed, so the archive's bytes depend on its content only


@bp.get("/")
def index() -> str:
    """Every published round of every area with its ballots.pb, results.json, SHA-256 and chain head."""
    return render_template("open_data/index.html", published=open_data.all_published(db_session()))


@bp.get("/api")
def api() -> str:
    """The API's endpoints in plain language, with a link to the OpenAPI document."""
    operations = []
    for endpoint, _view, doc in documented_operations(current_app):
        rule = current_app.url_map._rules_by_endpoint[endpoint][0]
        query = sorted(doc.query_schema().fields) if doc.query_schema is not None else []
        with force_locale("en"):
            summary_en = str(doc.summary)
        operations.append({"path": FlaskPlugin.flaskpath2openapi(rule.rule), "summary": str(doc.summary),
                           "summary_en": summary_en, "query": query})
    return render_template("open_data/api.html", operations=operations)


class _Chunks:
    """A write-only file for :class:`zipfile.ZipFile` that hands on what was written."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        """Nothing to flush: the parts are taken by the generator."""

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def _archive(factory: sessionmaker[Session], entries: list[open_data.ArchiveEntry]) -> Iterator[bytes]:
    """The zip, streamed: one ballots file in memory at a time, each read in a short transaction of
    its own (a slow download must not keep a transaction, on SQLite a write lock, open)."""
    sink = _Chunks()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:  # type: ignore[call-overload]
        sums = []
        for entry in entries:
            name = f"{entry.area_slug}/ronde-{entry.round_id}-v{entry.version}-ballots.pb"
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, mode="w") as member:
                with factory() as session:
                    text = open_data.ballots_text(session, entry.result_id)
                for start in range(0, len(text), _SLICE):  # encode in slices: no second full copy
                    member.write(text[start:start + _SLICE].encode("utf-8"))
                del text
            sums.append(f"{entry.ballots_sha256}  {name}\n")
            yield sink.take()
        index = [{"file": f"{e.area_slug}/ronde-{e.round_id}-v{e.version}-ballots.pb", "round_id": e.round_id,
                  "area": e.area_slug, "version": e.version, "ballots_sha256": e.ballots_sha256,
                  "chain_head": e.chain_head} for e in entries]
        archive.writestr(zipfile.ZipInfo("SHA256SUMS", date_time=_ZIP_DATE), "".join(sums))
        archive.writestr(zipfile.ZipInfo("index.json", date_time=_ZIP_DATE),
                         json.dumps(index, ensure_ascii=False, indent=1))
    yield sink.take()


@bp.get("/ballots.zip")
def archive() -> Response:
    """Every published ballots file (every version) in one zip, with SHA256SUMS and index.json."""
    session = db_session()
    entries = open_data.archive_entries(session)
    session.rollback()  # end the read transaction before the download starts
    # The bytes are a function of the published files, so this is a strong validator.
    manifest = "\n".join(f"{e.round_id} {e.version} {e.ballots_sha256}" for e in entries)
    etag = hashlib.sha256(manifest.encode()).hexdigest()
    headers = {"Content-Disposition": f'attachment; filename="{ARCHIVE_NAME}"', "Cache-Control": NEWEST_VERSION}
    if request.if_none_match.contains(etag):
        response = Response(status=304, headers=headers)
    else:
        response = Response(_archive(current_app.extensions["pb_db"], entries), mimetype="application/zip",
                            headers=headers)
    response.set_etag(etag)
    return response
