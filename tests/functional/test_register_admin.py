"""Admin upload of the register with error report; managers download letter codes; account privacy."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile

from sqlalchemy import func, select

from pb.models.audit import AuditEntry
from pb.models.proposal import Proposal
from pb.models.register import LetterCode, RegisterEntry
from pb.models.residency import Residency
from pb.models.user import Role, User
from pb.services import letter_codes
from tests.factories import make_area, make_proposal, make_register_entry, make_resident, make_round, make_user

FUTURE = (dt.date.today() + dt.timedelta(days=40)).isoformat()


def _upload(client, content: bytes):
    return client.post("/admin/register", data={"file": (io.BytesIO(content), "adressen.csv")},
                       content_type="multipart/form-data", follow_redirects=True)


def _make_letters(client, data: dict[str, str]):
    """Ask for letters; the job (run at once in tests) leaves the ZIP to download on its page."""
    page = client.post("/manage/areas/ulft/letter-codes", data=data, follow_redirects=True).get_data(as_text=True)
    link = re.search(r'href="(/manage/areas/ulft/letter-codes/[0-9a-f]{32}\.zip)"', page)
    assert link is not None, page
    return client.get(link.group(1))


def test_admin_uploads_register_and_sees_error_report(client, auth, session):
    admin = make_user(session, role=Role.ADMIN)
    make_area(session, slug="ulft", postcodes=["7071"])
    session.commit()
    auth.login(admin.email)
    bad = b"postcode;huisnummer;toevoeging;gebied\n7071AB;1;;ulft\n70X1;2;;ulft\n"
    resp = _upload(client, bad)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Er is niets ingelezen" in page and "geen postcode" in page
    assert session.scalar(select(func.count(RegisterEntry.id))) == 0
    report_url = re.search(r'href="(/admin/register/report/[0-9a-f]+\.csv)"', page).group(1)
    report = client.get(report_url)
    assert report.status_code == 200 and "attachment" in report.headers["Content-Disposition"]
    assert list(csv.reader(io.StringIO(report.get_data(as_text=True)), delimiter=";"))[1][0] == "3"
    assert client.get("/admin/register/report/" + "0" * 32 + ".csv").status_code == 404
    good = b"postcode,huisnummer,toevoeging,gebied\n7071AB,1,,ulft\n7071AB,2,,ulft\n"
    assert "2 nieuw" in _upload(client, good).get_data(as_text=True)
    assert "0 nieuw, 0 gewijzigd, 2 ongewijzigd" in _upload(client, good).get_data(as_text=True)
    assert session.scalar(select(func.count(RegisterEntry.id))) == 2


def test_managers_cannot_upload(client, auth, session):
    manager = make_user(session, role=Role.MANAGER)
    session.commit()
    auth.login(manager.email)
    assert _upload(client, b"postcode;huisnummer;toevoeging;gebied\n").status_code == 403


def test_manager_downloads_letter_codes_and_must_confirm_regeneration(client, auth, session):
    area = make_area(session, slug="ulft", name="Ulft")
    manager = make_user(session, role=Role.MANAGER, areas=[area])
    make_register_entry(session, area, postcode="7071AB", huisnummer=1, eligible_count=2)
    session.commit()
    auth.login(manager.email)
    assert "Brieven met codes voor Ulft" in client.get("/manage/areas/ulft/letter-codes").get_data(as_text=True)
    resp = _make_letters(client, {"valid_until": FUTURE})
    assert resp.status_code == 200 and resp.mimetype == "application/zip"
    assert "attachment" in resp.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(resp.data)) as zf:
        rows = list(csv.DictReader(io.StringIO(zf.read("drukkerij.csv").decode())))
        assert zf.namelist() == ["brieven-0001.html", "drukkerij.csv"]
        html = zf.read("brieven-0001.html").decode()
    assert len(rows) == 2 and all(r["code"] in html for r in rows)
    stored = set(session.scalars(select(LetterCode.code_hmac)))
    assert stored == {letter_codes.code_hmac(letter_codes.normalise_code(r["code"])) for r in rows}
    # Regenerating without ticking the confirmation changes nothing.
    resp = client.post("/manage/areas/ulft/letter-codes", data={"valid_until": FUTURE})
    assert resp.mimetype == "text/html" and "oude codes niet meer werken" in resp.get_data(as_text=True)
    assert set(session.scalars(select(LetterCode.code_hmac))) == stored
    resp = _make_letters(client, {"valid_until": FUTURE, "confirm": "y"})
    assert resp.mimetype == "application/zip"
    new = set(session.scalars(select(LetterCode.code_hmac)))
    assert len(new) == 2 and not new & stored
    assert session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "letter_codes.generate")) == 2


def test_manager_of_another_area_is_refused(client, auth, session):
    mine, theirs = make_area(session, slug="mijn"), make_area(session, slug="andere")
    make_register_entry(session, theirs)
    manager = make_user(session, role=Role.MANAGER, areas=[mine])
    session.commit()
    auth.login(manager.email)
    assert client.post("/manage/areas/andere/letter-codes", data={"valid_until": FUTURE}).status_code == 403
    assert session.scalar(select(func.count(LetterCode.id))) == 0


def test_admin_purge_refused_with_open_round_then_done(client, auth, session):
    area = make_area(session, slug="ulft")
    make_register_entry(session, area)
    admin = make_user(session, role=Role.ADMIN)
    now = dt.datetime.now(dt.timezone.utc)
    budget_round = make_round(session, area)
    session.commit()
    auth.login(admin.email)
    assert "1 adressen" in client.get("/admin/register/ulft/purge").get_data(as_text=True)
    assert session.scalar(select(func.count(RegisterEntry.id))) == 1  # the GET only asks
    refused = client.post("/admin/register/ulft/purge")
    assert refused.status_code == 302 and "/jobs/" in refused.location  # done by the worker
    page = client.get(refused.location).get_data(as_text=True)
    assert "Mislukt" in page and "zonder gepubliceerde uitslag" in page
    assert session.scalar(select(func.count(RegisterEntry.id))) == 1
    budget_round.results_published_at = now
    session.commit()
    done = client.post("/admin/register/ulft/purge")
    assert "Klaar" in client.get(done.location).get_data(as_text=True)
    assert session.scalar(select(func.count(RegisterEntry.id))) == 0


def test_cli_import_codes_and_purge(runner, session, tmp_path):
    area = make_area(session, slug="ulft", postcodes=["7071"])
    session.commit()
    bad = tmp_path / "bad.csv"
    bad.write_text("postcode;huisnummer;toevoeging;gebied\n7071AB;nul;;ulft\n")
    result = runner.invoke(args=["pb", "import-addresses", str(bad)])
    assert result.exit_code != 0 and "regel 2" in result.output
    good = tmp_path / "good.csv"
    good.write_text("postcode;huisnummer;toevoeging;gebied;aantal_stemgerechtigden\n7071AB;1;;;2\n")
    result = runner.invoke(args=["pb", "import-addresses", str(good)])
    assert result.exit_code == 0 and "1 new" in result.output
    out_csv, out_html = tmp_path / "codes.csv", tmp_path / "letters.html"
    result = runner.invoke(args=["pb", "letter-codes", "ulft", "--csv", str(out_csv), "--html", str(out_html),
                                 "--valid-until", FUTURE])
    assert result.exit_code == 0 and "2 codes" in result.output and "1/1 addresses" in result.output
    rows = list(csv.DictReader(out_csv.open()))
    assert len(rows) == 2 and rows[0]["code"] in out_html.read_text()
    result = runner.invoke(args=["pb", "letter-codes", "ulft", "--csv", str(out_csv)], input="n\n")
    assert result.exit_code != 0
    assert runner.invoke(args=["pb", "letter-codes", "nergens", "--csv", str(out_csv)]).exit_code != 0
    result = runner.invoke(args=["pb", "purge-register", "ulft"])
    assert result.exit_code == 0 and "Removed 1 addresses and 2 codes" in result.output
    session.rollback()
    assert session.scalar(select(func.count(LetterCode.id))) == 0
    assert area.id is not None


def test_account_page_shows_stored_data_and_delete_keeps_proposals(client, auth, session):
    area = make_area(session, name="Ulft")
    user = make_resident(session, area)
    budget_round = make_round(session, area)
    proposal = make_proposal(session, budget_round, author_id=user.id, title="Bankje")
    user_id, proposal_id = user.id, proposal.id
    session.commit()
    auth.login(user.email)
    page = client.get("/account").get_data(as_text=True)
    assert "Hoe uw adres is bevestigd" in page and "aan de balie" in page and "/account/delete" in page
    resp = client.post("/account/delete", data={"confirm": "y", "password": "fout wachtwoord"})
    assert "Het wachtwoord klopt niet" in resp.get_data(as_text=True)
    resp = client.post("/account/delete", data={"password": "correct horse battery"})
    assert "Vink aan" in resp.get_data(as_text=True)
    assert session.get(User, user_id) is not None
    resp = client.post("/account/delete", data={"confirm": "y", "password": "correct horse battery"})
    assert resp.status_code == 302
    assert session.get(User, user_id) is None
    assert session.scalar(select(func.count(Residency.id))) == 0
    kept = session.get(Proposal, proposal_id)
    assert kept is not None and kept.author_id is None
    assert client.get("/account").status_code == 302  # logged out


def test_deleting_an_account_that_voted_keeps_the_participation_without_personal_data(client, auth, session):
    from pb.models.ballot import Channel, Participation

    area = make_area(session)
    user = make_resident(session, area, user=make_user(session, email="stemmer@example.test", name="Stemmer"))
    budget_round = make_round(session, area)
    proposal = make_proposal(session, budget_round, author_id=user.id, title="Bankje")
    session.add(Participation(round_id=budget_round.id, voter_id=user.id, channel=Channel.ONLINE))
    session.flush()
    user_id, proposal_id = user.id, proposal.id
    session.commit()
    auth.login("stemmer@example.test")
    resp = client.post("/account/delete", data={"confirm": "y", "password": "correct horse battery"})
    assert resp.status_code == 302
    shell = session.get(User, user_id)
    assert shell.email is None and shell.username is None and shell.name == "Verwijderd account"
    assert session.scalar(select(func.count(Participation.id))) == 1
    assert session.scalar(select(func.count(Residency.id))) == 0
    assert session.get(Proposal, proposal_id).author_id is None
    assert auth.login("stemmer@example.test").status_code == 200  # cannot log in any more
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "user.delete_self"))
    assert entry.after == {"outcome": "anonymised"}
