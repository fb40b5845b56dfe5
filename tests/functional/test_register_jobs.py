"""The register import and letter generation as jobs: outcome and error report on the job page,
the upload removed, the letters ZIP encrypted at rest, only for the area's managers, and expiry."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile

import pytest
from sqlalchemy import func, select, update

from pb.db import Base
from pb.jobs import address_register as register_jobs
from pb.models.job import Job, JobStatus
from pb.models.register import RegisterEntry
from pb.models.stored_file import StoredFile, StoredFileChunk
from pb.models.user import Role
from pb.services import stored_files
from pb.worker import get_worker
from tests.factories import make_area, make_register_entry, make_user

FUTURE = (dt.date.today() + dt.timedelta(days=40)).isoformat()
BAG_HEADER = "openbare_ruimte;huisnummer;huisletter;huisnummertoevoeging;postcode;woonplaats"
LETTERS_LINK = re.compile(r'href="(/manage/areas/([a-z]+)/letter-codes/([0-9a-f]{32}\.zip))"')


def _upload(client, content: bytes):
    return client.post("/admin/register", data={"file": (io.BytesIO(content), "adressen.csv")},
                       content_type="multipart/form-data", follow_redirects=True)


def _admin(client, auth, session):
    admin = make_user(session, role=Role.ADMIN)
    ulft = make_area(session, slug="ulft", name="Ulft", postcodes=["7071"])
    make_area(session, slug="silvolde", name="Silvolde", postcodes=["7064"])
    session.commit()
    auth.login(admin.email)
    return ulft


def _no_upload_left(session) -> bool:
    uploads = session.scalar(select(func.count(StoredFile.id)).where(StoredFile.kind == register_jobs.UPLOAD_KIND))
    return uploads == 0 and session.scalar(select(func.count(StoredFileChunk.id))) == 0


def test_import_runs_as_a_job_and_its_page_shows_the_counts_per_area(client, auth, session, monkeypatch):
    _admin(client, auth, session)
    monkeypatch.setattr(stored_files, "CHUNK_SIZE", 256)  # several chunks, read back in order
    lines = [BAG_HEADER] + [f"Kerkstraat;{n};;;7071AB;Ulft" for n in range(1, 41)] + \
        [f"Molenweg;{n};;;7064CD;Silvolde" for n in range(1, 6)]
    resp = _upload(client, "\n".join(lines).encode())
    page = resp.get_data(as_text=True)
    assert resp.request.path.startswith("/jobs/")
    assert "Adressenbestand inlezen" in page and "Klaar" in page and "45 nieuw, 0 gewijzigd, 0 ongewijzigd" in page
    assert re.search(r"<th scope=\"row\">Ulft</th><td>40</td>", page)
    assert re.search(r"<th scope=\"row\">Silvolde</th><td>5</td>", page)
    assert session.scalar(select(func.count(RegisterEntry.id))) == 45
    job = session.scalar(select(Job).where(Job.kind == register_jobs.IMPORT))
    assert job.status == JobStatus.DONE and job.progress_total and job.progress_total > 2
    assert _no_upload_left(session)  # the file held addresses: gone with the job


def test_a_failed_import_keeps_only_the_error_report_for_a_day(client, auth, session):
    _admin(client, auth, session)
    resp = _upload(client, f"{BAG_HEADER}\nKerkstraat;1;;;7071AB;Ulft\nKerkstraat;nul;;;7071AB;Ulft\n".encode())
    page = resp.get_data(as_text=True)
    assert "Mislukt" in page and "Het bestand heeft 1 fout(en). Er is niets ingelezen." in page
    assert "&#39;nul&#39; is geen huisnummer" in page
    url = re.search(r'href="(/admin/register/report/([0-9a-f]{32})\.csv)"', page)
    report = client.get(url.group(1))
    assert report.status_code == 200
    assert list(csv.reader(io.StringIO(report.get_data(as_text=True)), delimiter=";"))[1][0] == "3"
    assert session.scalar(select(func.count(RegisterEntry.id))) == 0
    assert _no_upload_left(session)
    row = session.scalar(select(StoredFile).where(StoredFile.name == url.group(2)))
    assert row.expires_at is not None and row.expires_at - dt.datetime.now(dt.timezone.utc) < dt.timedelta(days=1)


def _letters_world(session):
    ulft, other = make_area(session, slug="ulft", name="Ulft"), make_area(session, slug="andere", name="Andere")
    for n in range(1, 4):
        make_register_entry(session, ulft, postcode="7071AB", huisnummer=n, eligible_count=2)
    make_register_entry(session, other, postcode="7064CD", huisnummer=1)
    manager = make_user(session, role=Role.MANAGER, areas=[ulft])
    outsider = make_user(session, role=Role.MANAGER, areas=[other])
    resident = make_user(session)
    session.commit()
    return manager, outsider, resident


def _make_letters(client, data=None):
    page = client.post("/manage/areas/ulft/letter-codes", data=data or {"valid_until": FUTURE},
                       follow_redirects=True).get_data(as_text=True)
    link = LETTERS_LINK.search(page)
    assert link is not None, page
    return page, link.group(1)


def _codes(zip_bytes: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as zf:
        return [r["code"] for r in csv.DictReader(io.StringIO(zf.read("drukkerij.csv").decode()))]


def test_letters_are_made_by_a_job_and_only_managers_of_the_area_download_them(client, auth, session):
    manager, outsider, resident = _letters_world(session)
    auth.login(manager.email)
    page, url = _make_letters(client)
    assert "Brieven met codes maken" in page and "6 codes voor 3 adressen" in page
    resp = client.get(url)
    assert resp.status_code == 200 and resp.mimetype == "application/zip"
    assert "no-store" in resp.headers["Cache-Control"]
    assert len(_codes(resp.data)) == 6
    assert client.get(url.replace(url[-36:-4], "0" * 32)).status_code == 404
    auth.logout()
    auth.login(outsider.email)
    assert client.get(url).status_code == 403
    assert client.get(url.replace("/ulft/", "/andere/")).status_code == 404  # not that area's file
    auth.logout()
    auth.login(resident.email)
    assert client.get(url).status_code == 403
    auth.logout()
    assert client.get(url).status_code in (302, 401)


def test_a_past_date_is_refused_on_the_form_and_asks_for_no_job(client, auth, session):
    manager, _outsider, _resident = _letters_world(session)
    auth.login(manager.email)
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    resp = client.post("/manage/areas/ulft/letter-codes", data={"valid_until": yesterday})
    assert resp.status_code == 200 and "Kies een datum in de toekomst." in resp.get_data(as_text=True)
    assert session.scalar(select(func.count(Job.id))) == 0


def _every_value(session):
    """What a DBA with read access sees: every column of every row of every table."""
    for table in Base.metadata.sorted_tables:
        for row in session.execute(select(table)):
            yield from row


def test_a_dba_reading_every_table_finds_no_letter_code(client, auth, session):
    manager, _outsider, _resident = _letters_world(session)
    auth.login(manager.email)
    _page, url = _make_letters(client)
    grouped = _codes(client.get(url).data)
    plain = [c.replace("-", "") for c in grouped]
    assert len(plain) == 6
    session.expire_all()
    needles = [c.encode() for c in grouped + plain]
    seen = 0
    for value in _every_value(session):
        if isinstance(value, str):
            value = value.encode()
        if isinstance(value, (bytes, memoryview)):
            data = bytes(value)
            seen += 1
            assert not any(n in data for n in needles)
            assert b"drukkerij.csv" not in data  # not even the ZIP's own (unencrypted) structure
    assert seen
    chunks = session.scalars(select(StoredFileChunk.data)).all()
    assert chunks and all(b"PK\x03\x04" not in bytes(c) for c in chunks)


def test_expired_letters_are_removed_by_the_worker_sweep(app, client, auth, session):
    manager, _outsider, _resident = _letters_world(session)
    auth.login(manager.email)
    page, url = _make_letters(client)
    assert "Te downloaden tot" in page
    name = url.rsplit("/", 1)[1]
    session.execute(update(StoredFile).where(StoredFile.name == name)
                    .values(expires_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)))
    session.commit()
    assert client.get(url).status_code == 404
    get_worker(app).huey  # noqa: B018 - build the tasks
    get_worker(app).sweep.call_local()
    session.expire_all()
    assert session.scalar(select(func.count(StoredFile.id)).where(StoredFile.kind == register_jobs.LETTERS_KIND)) == 0
    assert session.scalar(select(func.count(StoredFileChunk.id))) == 0
    job = session.scalar(select(Job).where(Job.kind == register_jobs.LETTERS))
    assert "niet meer te downloaden" in client.get(f"/jobs/{job.id}").get_data(as_text=True)


def test_new_codes_remove_the_older_zip(client, auth, session):
    manager, _outsider, _resident = _letters_world(session)
    auth.login(manager.email)
    _page, first = _make_letters(client)
    _page, second = _make_letters(client, {"valid_until": FUTURE, "confirm": "y"})
    assert first != second
    assert client.get(first).status_code == 404 and client.get(second).status_code == 200
    assert session.scalar(select(func.count(StoredFile.id)).where(StoredFile.kind == register_jobs.LETTERS_KIND)) == 1


@pytest.mark.parametrize("size", [0, 1, 255, 256, 257, 1000])
def test_chunked_files_read_back_as_written_and_refuse_tampering(app, session, monkeypatch, size):
    monkeypatch.setattr(stored_files, "CHUNK_SIZE", 256)
    data = bytes(range(256)) * 4
    data = data[:size]
    with app.test_request_context():
        plain = stored_files.put_stream(session, io.BytesIO(data), kind="test", content_type="x/y")
        sealed = stored_files.put_stream(session, io.BytesIO(data), kind="test", content_type="x/y", encrypt=True)
        session.commit()
        assert stored_files.open_stream(session, plain).read() == data
        assert stored_files.open_stream(session, sealed).read() == data
        assert sealed.size == size and sealed.chunks == max(1, -(-size // 256))
        if sealed.chunks > 1:  # cut off the last chunk: the new last one was not sealed as the last
            sealed.chunks -= 1
            with pytest.raises(stored_files.DamagedFile):
                stored_files.open_stream(session, sealed).read()
        with app.test_request_context():
            app.config["CODE_HMAC_KEY"] = "another key"
            with pytest.raises(stored_files.DamagedFile):
                b"".join(stored_files.iter_chunks(session, sealed))


def test_an_unexpected_error_on_the_last_attempt_still_removes_the_upload(app, session, monkeypatch):
    from pb import job_runner
    from pb.services import register_import

    def broken(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(register_import, "import_addresses", broken)
    with app.test_request_context():
        upload = stored_files.put_stream(session, io.BytesIO(b"postcode;huisnummer\n"), kind=register_jobs.UPLOAD_KIND,
                                         content_type="text/csv")
        session.commit()
        row = job_runner.run_here(session, register_jobs.IMPORT, {"upload": upload.name})
    assert row.status == JobStatus.FAILED and "Er ging iets mis bij ons" in row.error
    assert "disk full" not in row.error
    assert _no_upload_left(session)
