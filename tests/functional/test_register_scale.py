"""City scale through the web: the register's own upload limit (threat #18), BAG letters,
verification with "12a", and files kept in the database so any app host serves them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select, update

from pb import create_app
from pb.models.register import RegisterEntry
from pb.models.residency import Residency
from pb.models.stored_file import StoredFile
from pb.models.user import Role
from pb.services import stored_files
from pb.services.photos import PHOTO_KIND, store_photo
from tests.factories import make_area, make_letter_code, make_proposal, make_register_entry, make_round, make_user

FUTURE = (dt.date.today() + dt.timedelta(days=40)).isoformat()
BAG_HEADER = "openbare_ruimte;huisnummer;huisletter;huisnummertoevoeging;postcode;woonplaats;aantal_stemgerechtigden"


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    return {"TESTING": True, "SECRET_KEY": "test-secret", "OUTBOX_DIR": str(tmp_path / "outbox"),
            "UPLOAD_DIR": str(tmp_path / "uploads"), "RATELIMIT_ENABLED": False, "SERVER_NAME": "buurtbudget.test",
            "PUBLIC_BASE_URL": "http://buurtbudget.test",
            "MAX_CONTENT_LENGTH": 20_000, "REGISTER_MAX_CONTENT_LENGTH": 400_000, "JOBS_URL": "immediate://"}


def _upload(client, content: bytes):
    return client.post("/admin/register", data={"file": (io.BytesIO(content), "adressen.csv")},
                       content_type="multipart/form-data", follow_redirects=True)


def _bag_register(rows: int) -> bytes:
    lines = [BAG_HEADER] + [f"Kerkstraat;{n};;;7071AB;Ulft;1" for n in range(1, rows + 1)]
    return "\n".join(lines).encode()


def test_register_upload_has_its_own_larger_limit(client, auth, session):
    admin = make_user(session, role=Role.ADMIN)
    make_area(session, slug="ulft", postcodes=["7071"])
    session.commit()
    auth.login(admin.email)
    content = _bag_register(2000)
    assert 20_000 < len(content) < 400_000
    page = _upload(client, content).get_data(as_text=True)
    assert "2000 nieuw" in page
    assert session.scalar(select(func.count(RegisterEntry.id))) == 2000
    # Every other route keeps the small limit, and the register route its own.
    assert client.post("/verify", data={"code": "x" * 30_000}).status_code == 413
    assert _upload(client, content * 20).status_code == 413


def test_bag_upload_makes_letters_with_a_deliverable_address(client, auth, session):
    area = make_area(session, slug="ulft", name="Ulft", postcodes=["7071"])
    admin = make_user(session, role=Role.ADMIN)
    manager = make_user(session, role=Role.MANAGER, areas=[area])
    session.commit()
    auth.login(admin.email)
    page = _upload(client, f"{BAG_HEADER}\nKerkstraat;12a-2;;;7071 AB;Ulft;1\nKerkstraat;14;;bis;7071AB;Ulft;1\n"
                   .encode()).get_data(as_text=True)
    assert "2 nieuw" in page
    auth.logout()
    auth.login(manager.email)
    page = client.post("/manage/areas/ulft/letter-codes", data={"valid_until": FUTURE},
                       follow_redirects=True).get_data(as_text=True)
    resp = client.get(re.search(r'href="(/manage/areas/ulft/letter-codes/[0-9a-f]{32}\.zip)"', page).group(1))
    assert resp.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(resp.data)) as zf:
        rows = list(csv.DictReader(io.StringIO(zf.read("drukkerij.csv").decode())))
        html = zf.read("brieven-0001.html").decode()
    assert [(r["straat"], r["huisnummer"], r["huisletter"], r["huisnummertoevoeging"], r["postcode"],
             r["woonplaats"], r["adresregel_1"], r["adresregel_2"]) for r in rows] == [
        ("Kerkstraat", "12", "A", "2", "7071AB", "Ulft", "Kerkstraat 12A-2", "7071 AB  ULFT"),
        ("Kerkstraat", "14", "", "BIS", "7071AB", "Ulft", "Kerkstraat 14-BIS", "7071 AB  ULFT"),
    ]
    assert rows[0]["qr_url"].endswith("huisnummer=12&toevoeging=A-2&code=" + rows[0]["code"])
    assert "Kerkstraat 12A-2<br>" in html and "7071 AB  ULFT" in html and "Kerkstraat 14-BIS" in html


@pytest.mark.parametrize(("huisnummer", "toevoeging", "ok"), [
    ("12a-2", "", True), ("12", "A-2", True), ("12A", "2", True), ("12 a2", "", True),
    ("12", "A", False), ("12b-2", "", False), ("12", "", False),
])
def test_residents_verify_with_letter_and_addition_in_either_field(client, auth, session, huisnummer, toevoeging, ok):
    area = make_area(session)
    entry = make_register_entry(session, area, postcode="7071AB", huisnummer=12, toevoeging="A-2")
    code = make_letter_code(session, entry)
    user = make_user(session)
    session.commit()
    auth.login(user.email)
    resp = client.post("/verify", data={"postcode": "7071 AB", "huisnummer": huisnummer, "toevoeging": toevoeging,
                                        "code": code})
    residencies = session.scalars(select(Residency).where(Residency.user_id == user.id)).all()
    assert (resp.status_code == 302) is ok and len(residencies) == int(ok)
    if not ok:
        assert "Deze gegevens kloppen niet." in resp.get_data(as_text=True)


def test_an_unreadable_house_number_is_a_form_error(client, auth, session):
    user = make_user(session)
    session.commit()
    auth.login(user.email)
    page = client.post("/verify", data={"postcode": "7071AB", "huisnummer": "twaalf", "code": "x"}).get_data(
        as_text=True)
    assert "Vul een huisnummer in, bijvoorbeeld 12 of 12a." in page


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 200), "orange").save(out, "JPEG")
    return out.getvalue()


def test_photo_uploaded_on_one_host_is_served_by_another(app, session, tmp_path):
    """Two app hosts with their own disks and one database: the photo lives in the database."""
    area = make_area(session)
    with app.app_context():
        name = store_photo(session, io.BytesIO(_jpeg()))
    proposal_id = make_proposal(session, make_round(session, area), photo_filename=name).id
    session.commit()
    other = create_app({**app.config, "UPLOAD_DIR": str(tmp_path / "other-host")})
    client = other.test_client()
    first = client.get(f"/proposals/{proposal_id}/photo")
    assert first.status_code == 200 and first.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(first.data)).size == (320, 200)
    sha256 = session.scalar(select(StoredFile.sha256).where(StoredFile.name == name))
    session.commit()  # end the read (SQLite: one writer at a time)
    assert first.headers["ETag"] == f'"{sha256}"' and "max-age=300" in first.headers["Cache-Control"]
    again = client.get(f"/proposals/{proposal_id}/photo", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert not any(Path(app.config["UPLOAD_DIR"]).rglob("*.*")) and not (tmp_path / "other-host").exists()


def test_error_report_kept_in_the_database_for_a_day(client, auth, session):
    admin = make_user(session, role=Role.ADMIN)
    make_area(session, slug="ulft", postcodes=["7071"])
    session.commit()
    auth.login(admin.email)
    page = _upload(client, f"{BAG_HEADER}\nKerkstraat;nul;;;7071AB;Ulft;1\n".encode()).get_data(as_text=True)
    url = re.search(r'href="(/admin/register/report/([0-9a-f]{32})\.csv)"', page)
    report = client.get(url.group(1))
    assert report.status_code == 200 and "'nul' is geen huisnummer" in report.get_data(as_text=True)
    row = session.scalar(select(StoredFile).where(StoredFile.name == url.group(2)))
    assert row.kind == "register-report" and row.expires_at is not None
    session.execute(update(StoredFile).values(expires_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)))
    session.commit()
    assert client.get(url.group(1)).status_code == 404
    _upload(client, b"kapot\n")  # a later failed upload clears expired reports
    assert session.scalar(select(func.count(StoredFile.id)).where(StoredFile.name == url.group(2))) == 0


def test_migrate_uploads_moves_photos_from_disk(app, runner, session):
    area = make_area(session)
    folder = Path(app.config["UPLOAD_DIR"]) / "proposals"
    folder.mkdir(parents=True)
    name = "ab" * 16 + ".jpg"
    (folder / name).write_bytes(_jpeg())
    (folder / ("cd" * 16 + ".jpg")).write_bytes(b"nobody refers to me")
    proposal = make_proposal(session, make_round(session, area), photo_filename=name)
    session.commit()
    result = runner.invoke(args=["pb", "migrate-uploads"])
    assert result.exit_code == 0 and "Moved 1 photos" in result.output
    assert runner.invoke(args=["pb", "migrate-uploads"]).output.startswith("Moved 0 photos into the database (1 were there already")
    (folder / name).unlink()
    served = app.test_client().get(f"/proposals/{proposal.id}/photo")
    assert served.status_code == 200 and served.data == _jpeg()
    assert [r.name for r in session.scalars(select(StoredFile))] == [name]
    assert stored_files.find(session, name, kind=PHOTO_KIND) is not None
