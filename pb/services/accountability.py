"""Accountability (verantwoording): after the activity the applicant reports what happened, with
photos and actual costs (receipts above the area's amount); the manager accepts, asks for more, or
reclaims (part of) the money. The ledger follows: unspent or reclaimed money returns to the pot."""

from __future__ import annotations

from typing import IO

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from pb.db import utcnow
from pb.errors import InvalidState, PermissionDenied, ValidationFailed
from pb.labels import report_status_label
from pb.models.grant import ApplicationStatus, FileKind, GrantApplication, GrantPot, GrantReport, ReportStatus
from pb.models.user import User
from pb.services import audit, authz, grant_files, grant_settings, implementations, pots
from pb.services.grant_applications import files_of, is_applicant, notify
from pb.services.money import MAX_AMOUNT_CENTS

MAX_FILES = 5
MAX_TEXT = 10_000
def report_label(application: GrantApplication) -> str:
    """The accountability status in plain Dutch ("" when nothing was granted)."""
    if application.status != ApplicationStatus.GRANTED:
        return ""
    report = application.report
    return report_status_label(report.status if report is not None else None)


def receipts_required(session: Session, application: GrantApplication) -> bool:
    """Whether the granted amount is above the area's amount that needs receipts."""
    limit = grant_settings.settings_for(session, application.area).receipts_above_cents
    return (application.granted_cents or 0) > limit


def submit_report(session: Session, application: GrantApplication, *, actor: User, text: str, actual_cents: int,
                  photos: list[IO[bytes]], receipts: list[IO[bytes]]) -> GrantReport:
    """The applicant reports back (first time, or again after the manager asked for more).

    Raises:
        PermissionDenied: not the applicant.
        InvalidState: not granted, or the report is already accepted or reclaimed.
        ValidationFailed: no text, a bad amount or file, or receipts missing where required.
    """
    if not is_applicant(actor, application):
        raise PermissionDenied(_("Alleen de aanvrager kan verantwoorden."))
    if application.status != ApplicationStatus.GRANTED:
        raise InvalidState(_("Alleen een toegekende aanvraag wordt verantwoord."))
    report = application.report
    if report is not None and report.status != ReportStatus.MORE_REQUESTED:
        raise InvalidState(_("De verantwoording is al ingediend."))
    if not text.strip() or len(text) > MAX_TEXT:
        raise ValidationFailed(_("Vertel wat er is gebeurd."), field="text")
    if not 0 <= actual_cents <= MAX_AMOUNT_CENTS:
        raise ValidationFailed(_("Vul de werkelijke kosten in euro's in."), field="actual")
    if len(photos) > MAX_FILES or len(receipts) > MAX_FILES:
        raise ValidationFailed(_("Kies maximaal %(n)d bestanden per vak.", n=MAX_FILES))
    have_receipts = bool(files_of(session, application, FileKind.RECEIPT))
    if receipts_required(session, application) and not receipts and not have_receipts:
        raise ValidationFailed(_("Voeg de bonnetjes of facturen toe. Die zijn nodig bij dit bedrag."),
                               field="receipts")
    for stream in photos:
        grant_files.store_file(session, stream, kind=FileKind.REPORT_PHOTO, uploader=actor,
                               application_id=application.id, field="photos")
    for stream in receipts:
        grant_files.store_file(session, stream, kind=FileKind.RECEIPT, uploader=actor,
                               application_id=application.id, field="receipts")
    if report is None:
        report = GrantReport(application_id=application.id, text=text.strip(), actual_cents=actual_cents)
        session.add(report)
    report.text, report.actual_cents = text.strip(), actual_cents
    report.status, report.submitted_at = ReportStatus.SUBMITTED, utcnow()
    session.flush()
    session.refresh(application)
    audit.record(session, actor=actor, action="grant.report", obj_type="grant_application", obj_id=application.id,
                 area_id=application.area_id, public=True,
                 after={"title": application.title, "actual_cents": actual_cents})
    notify(session, application, _("Wij hebben uw verantwoording ontvangen. De gebiedsregisseur bekijkt haar."))
    return report


def _review_target(session: Session, application: GrantApplication, actor: User) -> GrantReport:
    authz.require_area_manager(actor, application.area)
    report = application.report
    if report is None or report.status != ReportStatus.SUBMITTED:
        raise InvalidState(_("Er is geen verantwoording om te beoordelen."))
    return report


def _pot(session: Session, application: GrantApplication) -> GrantPot:
    pot = session.get(GrantPot, application.pot_id) if application.pot_id else None
    assert pot is not None
    return pot


def accept_report(session: Session, application: GrantApplication, *, actor: User, note: str = "") -> None:
    """Accept the report; money not spent (granted minus actual costs) returns to the pot, and the
    grant's tracking becomes "klaar" with the reported cost.

    Raises:
        PermissionDenied: not a manager of the area.
        InvalidState: no submitted report.
    """
    report = _review_target(session, application, actor)
    granted = application.granted_cents or 0
    unspent = max(granted - report.actual_cents, 0)
    if unspent:
        pots.return_money(session, _pot(session, application), unspent, application_id=application.id, actor=actor)
    report.status, report.reviewed_at, report.manager_note = ReportStatus.ACCEPTED, utcnow(), note.strip()
    report.reclaimed_cents = unspent
    session.flush()
    audit.record(session, actor=actor, action="grant.report_accept", obj_type="grant_application",
                 obj_id=application.id, area_id=application.area_id, public=True,
                 after={"title": application.title, "returned_cents": unspent}, reason=note.strip())
    implementations.record_reported_cost(session, application, actor=actor, actual_cents=report.actual_cents,
                                         note=note.strip())
    notify(session, application, _("Uw verantwoording is goedgekeurd. Bedankt!"))


def ask_more(session: Session, application: GrantApplication, *, actor: User, note: str) -> None:
    """Ask the applicant for more (a receipt, a photo, an explanation).

    Raises:
        PermissionDenied, InvalidState: as for :func:`accept_report`.
        ValidationFailed: no note.
    """
    report = _review_target(session, application, actor)
    if not note.strip():
        raise ValidationFailed(_("Schrijf op wat u nog nodig heeft."), field="note")
    report.status, report.manager_note = ReportStatus.MORE_REQUESTED, note.strip()
    session.flush()
    audit.record(session, actor=actor, action="grant.report_more", obj_type="grant_application",
                 obj_id=application.id, area_id=application.area_id, public=True,
                 after={"title": application.title}, reason=note.strip())
    notify(session, application, _("De gebiedsregisseur vraagt meer informatie bij uw verantwoording: %(n)s",
                                   n=note.strip()))


def reclaim(session: Session, application: GrantApplication, *, actor: User, amount_cents: int, note: str) -> None:
    """Reclaim (part of) the grant; the amount returns to the pot.

    Raises:
        PermissionDenied, InvalidState: as for :func:`accept_report`.
        ValidationFailed: no reason, or an amount of 0 or above the grant.
    """
    report = _review_target(session, application, actor)
    if not note.strip():
        raise ValidationFailed(_("Geef een reden. Die is openbaar."), field="note")
    if not 0 < amount_cents <= (application.granted_cents or 0):
        raise ValidationFailed(_("Vul een bedrag in dat niet hoger is dan het toegekende bedrag."), field="amount")
    pots.return_money(session, _pot(session, application), amount_cents, application_id=application.id, actor=actor)
    report.status, report.reviewed_at = ReportStatus.RECLAIMED, utcnow()
    report.manager_note, report.reclaimed_cents = note.strip(), amount_cents
    session.flush()
    audit.record(session, actor=actor, action="grant.reclaim", obj_type="grant_application", obj_id=application.id,
                 area_id=application.area_id, public=True,
                 after={"title": application.title, "reclaimed_cents": amount_cents}, reason=note.strip())
    from pb.services.grant_decisions import _euro

    notify(session, application, _("De gemeente vraagt %(amount)s terug. De reden: %(n)s",
                                   amount=_euro(amount_cents), n=note.strip()))
