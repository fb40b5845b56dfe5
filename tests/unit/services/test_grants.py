"""Small grants: every rule of the service layer (mandate, four eyes, ceiling, conflicts of interest,
backing, assisted filing, questions, accountability and the ledger, service-level target)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from pb.errors import InvalidState, PermissionDenied, ValidationFailed
from pb.models.audit import AuditEntry
from pb.models.grant import (
    ApplicationStatus, Backing, FileKind, GrantApplication, GrantFile, LedgerEntry, LedgerKind, ReportStatus,
)
from pb.models.user import Role
from pb.services import (
    accountability, area_agenda, backings, grant_applications, grant_decisions, grant_register, grant_settings, pots,
)
from pb.services.backings import AlreadyBacked
from pb.services.grant_decisions import AboveCeiling, ConflictOfInterest, NotEnoughBacking
from pb.services.pots import PotExhausted
from tests.factories import make_area, make_round, make_resident, make_user
from tests.grant_factories import make_application, make_mandate, make_pot, make_settings, png_bytes


@pytest.fixture
def world(session):
    area = make_area(session, slug="ulft")
    other = make_area(session, slug="elders")
    manager = make_user(session, role=Role.MANAGER, areas=[area])
    colleague = make_user(session, role=Role.MANAGER, areas=[area])
    admin = make_user(session, role=Role.ADMIN)
    applicant = make_resident(session, area)
    neighbours = [make_resident(session, area) for _ in range(3)]
    make_mandate(session, manager, 100_000)
    make_mandate(session, colleague, 100_000)
    make_settings(session, area, min_backing=2, ceiling_cents=500_000, receipts_above_cents=50_000)
    pot = make_pot(session, area, grants_cents=1_000_000)
    return {"area": area, "other": other, "manager": manager, "colleague": colleague, "admin": admin,
            "applicant": applicant, "neighbours": neighbours, "pot": pot}


def _data(**kw):
    values = {"title": "Bankje", "description": "Een bankje bij de vijver.", "cost_lines": [("Bankje", 60_000)]}
    values.update(kw)
    return grant_applications.ApplicationData(**values)


def _backed(session, w, cents=60_000):
    app = make_application(session, w["area"], w["applicant"], cents=cents)
    for n in w["neighbours"][:2]:
        backings.back(session, app, actor=n)
    return app


def _ledger(session, pot):
    return [(e.kind, e.amount_cents) for e in pots.ledger(session, pot)]


# --- filing ----------------------------------------------------------------------------------------

def test_resident_files_and_is_mailed(session, world, outbox):
    w = world
    app = grant_applications.file_application(session, w["area"], actor=w["applicant"], data=_data(),
                                              photo=io.BytesIO(png_bytes()))
    session.commit()
    assert app.status == ApplicationStatus.SUBMITTED and app.requested_cents == 60_000
    assert app.assisted_by_id is None
    photo = session.scalar(select(GrantFile).where(GrantFile.application_id == app.id))
    assert photo.kind == FileKind.PHOTO and photo.data.startswith(b"\x89PNG")
    assert "ontvangen" in outbox.last_body() and outbox.messages()[-1]["To"] == w["applicant"].email


def test_non_resident_cannot_file(session, world):
    outsider = make_resident(session, world["other"])
    with pytest.raises(PermissionDenied):
        grant_applications.file_application(session, world["area"], actor=outsider, data=_data())


@pytest.mark.parametrize("bad, field", [
    ({"title": " "}, "title"), ({"cost_lines": []}, "cost_lines"), ({"cost_lines": [("x", 0)]}, "cost_lines"),
    ({"kvk_number": "123"}, "kvk_number"), ({"kvk_number": "12345678"}, "organisation_name"),
])
def test_bad_application_refused(session, world, bad, field):
    with pytest.raises(ValidationFailed) as exc:
        grant_applications.file_application(session, world["area"], actor=world["applicant"], data=_data(**bad))
    assert exc.value.field == field


def test_agenda_item_of_another_area_refused(session, world):
    w = world
    elsewhere_manager = make_user(session, role=Role.MANAGER, areas=[w["other"]])
    item = area_agenda.create_item(session, w["other"], actor=elsewhere_manager,
                                   data=area_agenda.ItemData("Groen", ""))
    with pytest.raises(ValidationFailed):
        grant_applications.file_application(session, w["area"], actor=w["applicant"],
                                            data=_data(agenda_item_id=item.id))


def test_assisted_filing_is_scoped_marked_and_audited(session, world):
    w = world
    staff = make_user(session, role=Role.STAFF)
    with pytest.raises(PermissionDenied):  # not assigned to the area yet
        grant_applications.file_assisted(session, w["area"], staff=staff, resident=w["applicant"], data=_data())
    grant_settings.set_staff(session, w["area"], actor=w["admin"], user_ids=[staff.id])
    app = grant_applications.file_assisted(session, w["area"], staff=staff, resident=w["applicant"], data=_data())
    assert app.assisted_by_id == staff.id and app.applicant_id == w["applicant"].id
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "grant.apply_assisted"))
    assert entry.actor_id == staff.id
    outsider = make_resident(session, w["other"])
    with pytest.raises(PermissionDenied):  # the resident must live in the area
        grant_applications.file_assisted(session, w["area"], staff=staff, resident=outsider, data=_data())
    with pytest.raises(PermissionDenied):  # staff of this area cannot file in another
        grant_applications.file_assisted(session, w["other"], staff=staff, resident=outsider, data=_data())
    # The staff member who filed it cannot decide on it either (a manager at the information point).
    w["manager"].role = Role.MANAGER
    app2 = grant_applications.file_assisted(session, w["area"], staff=w["manager"], resident=w["applicant"],
                                            data=_data())
    for n in w["neighbours"][:2]:
        backings.back(session, app2, actor=n)
    with pytest.raises(ConflictOfInterest):
        grant_decisions.grant(session, app2, actor=w["manager"])


# --- backing ---------------------------------------------------------------------------------------

def test_backing_once_per_resident(session, world):
    w = world
    app = make_application(session, w["area"], w["applicant"])
    backings.back(session, app, actor=w["neighbours"][0])
    with pytest.raises(AlreadyBacked):
        backings.back(session, app, actor=w["neighbours"][0])
    assert session.scalar(select(func.count()).select_from(Backing)) == 1
    with pytest.raises(PermissionDenied):
        backings.back(session, app, actor=w["applicant"])
    with pytest.raises(PermissionDenied):
        backings.back(session, app, actor=make_resident(session, w["other"]))
    backings.unback(session, app, actor=w["neighbours"][0])
    assert backings.total(session, app) == 0


def test_paper_backing_with_scan_counts(session, world):
    w = world
    staff = make_user(session, role=Role.STAFF)
    app = make_application(session, w["area"], w["applicant"])
    with pytest.raises(PermissionDenied):
        backings.add_paper(session, app, staff=staff, signatures=5, scan=io.BytesIO(b"%PDF-1.4 scan"))
    grant_settings.set_staff(session, w["area"], actor=w["admin"], user_ids=[staff.id])
    with pytest.raises(ValidationFailed):
        backings.add_paper(session, app, staff=staff, signatures=0, scan=io.BytesIO(b"%PDF-1.4 scan"))
    with pytest.raises(ValidationFailed):
        backings.add_paper(session, app, staff=staff, signatures=3, scan=io.BytesIO(b"<svg></svg>"))
    row = backings.add_paper(session, app, staff=staff, signatures=5, scan=io.BytesIO(b"%PDF-1.4 scan"))
    assert session.get(GrantFile, row.scan_id).content_type == "application/pdf"
    backings.back(session, app, actor=w["neighbours"][0])
    assert backings.total(session, app) == 6


def test_minimum_backing_required(session, world):
    w = world
    app = make_application(session, w["area"], w["applicant"], cents=60_000)
    backings.back(session, app, actor=w["neighbours"][0])
    with pytest.raises(NotEnoughBacking):
        grant_decisions.grant(session, app, actor=w["manager"])
    assert app.status == ApplicationStatus.SUBMITTED


# --- mandate, four eyes, ceiling, conflicts --------------------------------------------------------

def test_grant_within_mandate_commits_money(session, world, outbox):
    w = world
    app = _backed(session, w)
    grant_decisions.grant(session, app, actor=w["manager"], amount_cents=55_000, conditions="Foto's sturen")
    session.commit()
    assert app.status == ApplicationStatus.GRANTED and app.granted_cents == 55_000 and app.conditions
    assert w["pot"].available_cents == 1_000_000 - 55_000
    assert _ledger(session, w["pot"]) == [(LedgerKind.COMMITMENT, 55_000)]
    assert "toegekend" in outbox.last_body() and "Foto's sturen" in outbox.last_body()
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "grant.grant")).actor_id == w["manager"].id


def test_grant_more_than_asked_refused(session, world):
    app = _backed(session, world)
    with pytest.raises(ValidationFailed):
        grant_decisions.grant(session, app, actor=world["manager"], amount_cents=60_001)


def test_above_mandate_needs_a_second_decision_maker(session, world):
    w = world
    app = _backed(session, w, cents=150_000)
    grant_decisions.grant(session, app, actor=w["manager"])
    assert app.status == ApplicationStatus.AWAITING_SECOND and app.pending_cents == 150_000
    assert w["pot"].available_cents == 1_000_000 and _ledger(session, w["pot"]) == []
    with pytest.raises(PermissionDenied):  # not the same person twice
        grant_decisions.second_opinion(session, app, actor=w["manager"], agree=True)
    grant_decisions.second_opinion(session, app, actor=w["colleague"], agree=True)
    assert app.status == ApplicationStatus.GRANTED and app.granted_cents == 150_000
    assert w["pot"].available_cents == 850_000
    kinds = [d.kind.value for d in grant_decisions.trail(session, app)]
    assert kinds == ["propose", "grant"]


def test_second_decision_maker_can_disagree(session, world):
    w = world
    app = _backed(session, w, cents=150_000)
    grant_decisions.grant(session, app, actor=w["manager"])
    with pytest.raises(ValidationFailed):
        grant_decisions.second_opinion(session, app, actor=w["admin"], agree=False)
    grant_decisions.second_opinion(session, app, actor=w["admin"], agree=False, note="Te duur voor een bankje")
    assert app.status == ApplicationStatus.SUBMITTED and app.pending_cents is None
    assert w["pot"].available_cents == 1_000_000


def test_manager_of_another_area_cannot_decide(session, world):
    w = world
    app = _backed(session, w)
    other_manager = make_user(session, role=Role.MANAGER, areas=[w["other"]])
    make_mandate(session, other_manager, 1_000_000)
    for call in (lambda: grant_decisions.grant(session, app, actor=other_manager),
                 lambda: grant_decisions.refuse(session, app, actor=other_manager, reason="x"),
                 lambda: grant_decisions.ask_question(session, app, actor=other_manager, question="x")):
        with pytest.raises(PermissionDenied):
            call()
    assert app.status == ApplicationStatus.SUBMITTED


def test_above_ceiling_must_go_to_a_round(session, world):
    w = world
    make_mandate(session, w["admin"], 10_000_000)
    app = _backed(session, w, cents=600_000)
    with pytest.raises(AboveCeiling):
        grant_decisions.grant(session, app, actor=w["admin"])
    assert grant_applications.too_large(session, app)
    round_ = make_round(session, w["area"], phase="proposals")
    proposal_id = grant_applications.move_to_round(session, app, round_, actor=w["applicant"])
    from pb.models.proposal import Proposal

    proposal = session.get(Proposal, proposal_id)
    assert proposal.author_id == w["applicant"].id and proposal.estimated_cost_cents == 600_000
    assert app.status == ApplicationStatus.MOVED_TO_ROUND and app.proposal_id == proposal_id


def test_small_application_is_not_moved(session, world):
    w = world
    app = _backed(session, world)
    round_ = make_round(session, w["area"], phase="proposals")
    with pytest.raises(InvalidState):
        grant_applications.move_to_round(session, app, round_, actor=w["applicant"])


def test_nobody_decides_on_what_they_filed_or_backed(session, world):
    w = world
    app = _backed(session, w)
    backer_manager = make_user(session, role=Role.MANAGER, areas=[w["area"]])
    make_resident(session, w["area"], user=backer_manager)
    make_mandate(session, backer_manager, 1_000_000)
    backings.back(session, app, actor=backer_manager)
    for call in (lambda: grant_decisions.grant(session, app, actor=backer_manager),
                 lambda: grant_decisions.refuse(session, app, actor=backer_manager, reason="x")):
        with pytest.raises(ConflictOfInterest):
            call()
    own = make_application(session, w["area"], backer_manager)
    with pytest.raises(ConflictOfInterest):
        grant_decisions.ask_question(session, own, actor=backer_manager, question="?")
    # Also not as the second decision-maker.
    big = _backed(session, w, cents=150_000)
    backings.back(session, big, actor=backer_manager)
    grant_decisions.grant(session, big, actor=w["manager"])
    with pytest.raises(ConflictOfInterest):
        grant_decisions.second_opinion(session, big, actor=backer_manager, agree=True)


def test_pot_cannot_go_negative(session, world):
    w = world
    w["pot"].available_cents = 50_000
    session.flush()
    app = _backed(session, w, cents=60_000)
    app_id, pot_id = app.id, w["pot"].id
    session.commit()
    with pytest.raises(PotExhausted):
        grant_decisions.grant(session, app, actor=w["manager"])
    session.rollback()  # what a view does with a domain error
    assert session.get(GrantApplication, app_id).status == ApplicationStatus.SUBMITTED
    assert session.get(pots.GrantPot, pot_id).available_cents == 50_000
    assert session.scalar(select(func.count()).select_from(LedgerEntry)) == 0


def test_no_pot_this_year(session, world):
    w = world
    w["pot"].year = 1999
    session.flush()
    app = _backed(session, w)
    with pytest.raises(PotExhausted):
        grant_decisions.grant(session, app, actor=w["manager"])


def test_refuse_with_public_reason_and_question_back(session, world, outbox):
    w = world
    app = _backed(session, w)
    with pytest.raises(ValidationFailed):
        grant_decisions.refuse(session, app, actor=w["manager"], reason="  ")
    grant_decisions.ask_question(session, app, actor=w["manager"], question="Waar komt het bankje?")
    assert app.status == ApplicationStatus.QUESTION
    session.commit()
    assert "Waar komt het bankje?" in outbox.last_body()
    with pytest.raises(PermissionDenied):
        grant_applications.answer_question(session, app, actor=w["neighbours"][0], answer="x")
    grant_applications.answer_question(session, app, actor=w["applicant"], answer="Bij de vijver.")
    assert app.status == ApplicationStatus.SUBMITTED and app.answer == "Bij de vijver."
    grant_decisions.refuse(session, app, actor=w["manager"], reason="Er staat al een bankje.")
    session.commit()
    assert app.status == ApplicationStatus.REFUSED and app.decision_reason == "Er staat al een bankje."
    assert "Er staat al een bankje." in outbox.last_body()
    with pytest.raises(InvalidState):
        grant_decisions.grant(session, app, actor=w["manager"])


# --- accountability and the ledger ------------------------------------------------------------------

def _granted(session, w, cents=60_000):
    app = _backed(session, w, cents=cents)
    grant_decisions.grant(session, app, actor=w["manager"])
    grant_decisions.mark_paid(session, app, actor=w["manager"])
    return app


def test_report_accept_returns_unspent_money(session, world):
    w = world
    app = _granted(session, w)
    with pytest.raises(ValidationFailed):  # 600 euro is above the 500 euro that needs receipts
        accountability.submit_report(session, app, actor=w["applicant"], text="Het bankje staat er.",
                                     actual_cents=50_000, photos=[], receipts=[])
    accountability.submit_report(session, app, actor=w["applicant"], text="Het bankje staat er.",
                                 actual_cents=50_000, photos=[io.BytesIO(png_bytes())],
                                 receipts=[io.BytesIO(b"%PDF-1.4 bon")])
    with pytest.raises(PermissionDenied):
        accountability.accept_report(session, app, actor=make_user(session, role=Role.MANAGER,
                                                                   areas=[w["other"]]))
    accountability.accept_report(session, app, actor=w["manager"])
    assert app.report.status == ReportStatus.ACCEPTED
    assert _ledger(session, w["pot"]) == [(LedgerKind.COMMITMENT, 60_000), (LedgerKind.PAYMENT, 60_000),
                                          (LedgerKind.RETURN, 10_000)]
    assert w["pot"].available_cents == 1_000_000 - 50_000


def test_report_more_then_reclaim(session, world, outbox):
    w = world
    app = _granted(session, w, cents=40_000)  # below the receipts amount
    accountability.submit_report(session, app, actor=w["applicant"], text="Gedaan.", actual_cents=40_000,
                                 photos=[], receipts=[])
    with pytest.raises(ValidationFailed):
        accountability.ask_more(session, app, actor=w["manager"], note="")
    accountability.ask_more(session, app, actor=w["manager"], note="Stuur een foto.")
    assert app.report.status == ReportStatus.MORE_REQUESTED
    accountability.submit_report(session, app, actor=w["applicant"], text="Het ging niet door.",
                                 actual_cents=0, photos=[], receipts=[])
    with pytest.raises(ValidationFailed):
        accountability.reclaim(session, app, actor=w["manager"], amount_cents=40_001, note="x")
    accountability.reclaim(session, app, actor=w["manager"], amount_cents=40_000, note="Niet doorgegaan.")
    session.commit()
    assert app.report.status == ReportStatus.RECLAIMED and app.report.reclaimed_cents == 40_000
    assert w["pot"].available_cents == 1_000_000
    assert "terug" in outbox.last_body()
    with pytest.raises(InvalidState):
        accountability.submit_report(session, app, actor=w["applicant"], text="x", actual_cents=0, photos=[],
                                     receipts=[])


# --- settings, pot, agenda, register, service level ----------------------------------------------------

def test_pot_change_cannot_undercut_commitments(session, world):
    w = world
    app = _backed(session, w)
    grant_decisions.grant(session, app, actor=w["manager"])
    with pytest.raises(ValidationFailed):
        pots.set_pot(session, w["area"], actor=w["admin"],
                     data=pots.PotData(year=w["pot"].year, total_cents=100_000, rounds_cents=0, grants_cents=50_000))
    pots.set_pot(session, w["area"], actor=w["admin"],
                 data=pots.PotData(year=w["pot"].year, total_cents=3_000_000, rounds_cents=1_000_000,
                                   grants_cents=2_000_000))
    assert w["pot"].available_cents == 2_000_000 - 60_000
    with pytest.raises(ValidationFailed):
        pots.set_pot(session, w["area"], actor=w["admin"],
                     data=pots.PotData(year=w["pot"].year, total_cents=10, rounds_cents=10, grants_cents=10))


def test_mandate_only_for_decision_makers(session, world):
    with pytest.raises(ValidationFailed):
        grant_settings.set_mandate(session, world["applicant"], actor=world["admin"], amount_cents=100)
    grant_settings.set_mandate(session, world["manager"], actor=world["admin"], amount_cents=123_00)
    assert grant_settings.mandate_of(session, world["manager"]) == 123_00


def test_agenda_item_lists_funded(session, world):
    w = world
    item = area_agenda.create_item(session, w["area"], actor=w["manager"],
                                   data=area_agenda.ItemData("Meer groen", "Bomen en bloemen"))
    with pytest.raises(PermissionDenied):
        area_agenda.create_item(session, w["area"], actor=w["applicant"], data=area_agenda.ItemData("x", ""))
    app = _backed(session, w)
    app.agenda_item_id = item.id
    other = make_application(session, w["area"], w["applicant"], agenda_item_id=item.id)
    grant_decisions.grant(session, app, actor=w["manager"])
    assert area_agenda.funded_applications(session, item) == [app]
    assert other not in area_agenda.funded_applications(session, item)


def test_register_has_no_personal_data_and_guards_formulas(session, world):
    w = world
    w["applicant"].name = "Geheime Naam"
    app = make_application(session, w["area"], w["applicant"], title="=HYPERLINK(\"http://x\")")
    make_application(session, w["area"], w["applicant"], title="Zichtbaar", show_name=True)
    make_application(session, w["area"], w["applicant"], title="Club", organisation_name="Dorpsraad Ulft")
    csv_text = grant_register.register_csv(session, w["area"])
    assert "'=HYPERLINK" in csv_text and ";=HYPERLINK" not in csv_text
    data = grant_register.register_json(session, w["area"])
    by_title = {a["title"]: a for a in data["applications"]}
    assert by_title[app.title]["applicant"] == ""
    assert by_title["Zichtbaar"]["applicant"] == "Geheime Naam"
    assert by_title["Club"]["applicant"] == "Dorpsraad Ulft"
    assert w["applicant"].email not in csv_text and w["applicant"].email not in str(data)
    assert data["pot"]["available_eur"] == "10000.00"


def test_working_days_and_overdue(session, world):
    assert grant_decisions.add_working_days(dt.date(2026, 11, 27), 10) == dt.date(2026, 12, 11)  # Friday
    w = world
    long_ago = dt.datetime(2026, 1, 5, 9, tzinfo=dt.timezone.utc)
    late = make_application(session, w["area"], w["applicant"], submitted_at=long_ago, clock_started_at=long_ago)
    fresh = make_application(session, w["area"], w["applicant"])
    asked = make_application(session, w["area"], w["applicant"], status=ApplicationStatus.QUESTION,
                             clock_started_at=long_ago)
    now = dt.datetime(2026, 3, 1, 12, tzinfo=dt.timezone.utc)
    late_ids = [d.application.id for d in grant_decisions.overdue(session, w["area"].id, now)]
    assert late.id in late_ids and asked.id not in late_ids
    assert fresh.id not in [d.application.id for d in grant_decisions.overdue(session, w["area"].id)]


def _png_with(mode: str, size: tuple[int, int], text_bytes: int = 0) -> bytes:
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    if text_bytes:
        info.add_text("bom", "A" * text_bytes, zip=True)
    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG", pnginfo=info)
    return out.getvalue()


@pytest.mark.parametrize("data", [
    b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
    b"GIF89a" + b"\x00" * 50,
    b"%PDF-1.4 not allowed as a photo",
    b"",
])
def test_photo_must_be_a_real_jpeg_or_png(session, world, data):
    from pb.services import grant_files

    with pytest.raises(ValidationFailed):
        grant_files.store_file(session, io.BytesIO(data), kind=FileKind.PHOTO, uploader=world["applicant"])
    assert session.scalar(select(func.count()).select_from(GrantFile)) == 0


def test_image_bombs_are_refused_without_decoding(session, world):
    """THREAT 27: a zTXt bomb and a 6300x6300 16-bit PNG are refused (a clear message, no 500)."""
    from pb.services import grant_files

    for data in (_png_with("RGB", (10, 10), text_bytes=5 * 1024 * 1024), _png_with("I;16", (6300, 6300))):
        assert len(data) < 300_000
        with pytest.raises(ValidationFailed):
            grant_files.store_file(session, io.BytesIO(data), kind=FileKind.REPORT_PHOTO, uploader=world["applicant"])


def test_uploaded_photo_is_reencoded_without_metadata(session, world):
    from PIL import Image

    from pb.services import grant_files

    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010E] = "geheime plek"  # ImageDescription
    Image.new("RGB", (40, 30), (10, 200, 10)).save(out, "JPEG", exif=exif.tobytes())
    stored = grant_files.store_file(session, io.BytesIO(out.getvalue()), kind=FileKind.PHOTO,
                                    uploader=world["applicant"])
    assert stored.content_type == "image/jpeg" and b"geheime plek" not in stored.data
