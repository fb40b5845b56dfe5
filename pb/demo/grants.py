"""Demo small grants for ``pb demo``: every demo area gets this year's pot, rules, an agenda and
applications in every state (waiting, overdue, question, second decision, granted, paid, reported,
accepted, more asked, reclaimed, refused, moved to a round, withdrawn). Safe to run again."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from pb.db import utcnow
from pb.demo.residents import demo_resident
from pb.models.agenda import AgendaItem
from pb.models.area import Area
from pb.models.grant import (
    ApplicationStatus, Backing, DecisionKind, GrantApplication, GrantCostLine, GrantDecision, GrantMandate, GrantPot,
    GrantReport, GrantSettings, ReportStatus,
)
from pb.models.proposal import Proposal, ProposalStatus
from pb.models.round import BudgetRound
from pb.models.user import Role, User
from pb.models.implementation import ImplementationStatus
from pb.services import implementations, pots

DAY = dt.timedelta(days=1)
AGENDA = [
    ("Elkaar ontmoeten", "Plekken en activiteiten waar buren elkaar leren kennen, jong en oud."),
    ("Groen en schoon", "Meer bloemen, bomen en minder zwerfafval in de straten."),
    ("Veilig over straat", "Goede verlichting, veilige oversteekplekken en een AED in de buurt."),
]
MANDATES = {"regisseur@buurtbudget.test": 1_500_00, "regisseur2@buurtbudget.test": 1_500_00,
            "admin@buurtbudget.test": 10_000_00}


def _neighbours(session: Session, area: Area, password: str) -> list[User]:
    return [demo_resident(session, f"buur{i}-{area.slug}@buurtbudget.test", name, area, password)
            for i, name in enumerate(("Bert Wissing", "Lies Elshof", "Johan Kemperman"), start=1)]


def _application(session: Session, area: Area, applicant: User, title: str, description: str,
                 lines: list[tuple[str, int]], *, status: ApplicationStatus, days_ago: int,
                 agenda: AgendaItem | None = None, **values: object) -> GrantApplication:
    submitted = utcnow() - days_ago * DAY
    app = GrantApplication(area_id=area.id, applicant_id=applicant.id, title=title, description=description,
                           requested_cents=sum(c for _d, c in lines), status=status, submitted_at=submitted,
                           clock_started_at=submitted, agenda_item_id=agenda.id if agenda else None, **values)
    app.cost_lines = [GrantCostLine(position=i, description=d, amount_cents=c) for i, (d, c) in enumerate(lines)]
    session.add(app)
    session.flush()
    return app


def _back(session: Session, app: GrantApplication, people: list[User]) -> None:
    for person in people:
        session.add(Backing(application_id=app.id, user_id=person.id))
    session.flush()


def _grant(session: Session, app: GrantApplication, pot: GrantPot, decider: User, *, paid: bool) -> None:
    amount = app.granted_cents or app.requested_cents
    app.decided_at = app.submitted_at + 4 * DAY
    pots.commit_money(session, pot, amount, application_id=app.id, actor=decider).at = app.decided_at
    app.granted_cents, app.pot_id = amount, pot.id
    session.add(GrantDecision(application_id=app.id, kind=DecisionKind.GRANT, decider_id=decider.id,
                              amount_cents=amount, text=app.conditions, at=app.decided_at))
    if paid:
        app.paid = True
        pots.record_payment(session, pot, amount, application_id=app.id, actor=decider).at = app.decided_at + 2 * DAY
    session.flush()
    tracking = implementations.track_grant(session, app, year=pot.year)
    tracking.created_at = tracking.updated_at = app.decided_at


def _report(session: Session, app: GrantApplication, pot: GrantPot, decider: User, status: ReportStatus,
            text: str, actual: int, note: str = "", reclaimed: int = 0) -> None:
    report = GrantReport(application_id=app.id, text=text, actual_cents=actual, status=status, manager_note=note,
                         submitted_at=utcnow() - 3 * DAY)
    if status in (ReportStatus.ACCEPTED, ReportStatus.RECLAIMED):
        report.reviewed_at = utcnow() - DAY
        back = reclaimed or max((app.granted_cents or 0) - actual, 0)
        if back:
            pots.return_money(session, pot, back, application_id=app.id, actor=decider).at = report.reviewed_at
        report.reclaimed_cents = back
        # What the money page shows: done with the reported cost, or cancelled with the reason.
        tracking = implementations.of_grant(session, app)
        if tracking is not None and status == ReportStatus.ACCEPTED:
            tracking.status, tracking.actual_cents = ImplementationStatus.DONE, actual
        elif tracking is not None:
            tracking.status, tracking.cancel_reason = ImplementationStatus.CANCELLED, note
    session.add(report)
    session.flush()


def _round_proposal(session: Session, area: Area) -> Proposal | None:
    return session.scalar(select(Proposal).join(BudgetRound).where(
        BudgetRound.area_id == area.id, Proposal.status.in_((ProposalStatus.FEASIBLE, ProposalStatus.IN_REVIEW,
                                                              ProposalStatus.SUBMITTED)),
    ).order_by(Proposal.id))


def _load_area(session: Session, area: Area, manager: User, staff: User | None, password: str) -> None:
    if session.scalar(select(GrantApplication.id).where(GrantApplication.area_id == area.id).limit(1)):
        return
    year = pots.current_year()
    pot = pots.pot_for(session, area, year)
    if pot is None:
        pot = GrantPot(area_id=area.id, year=year, total_cents=60_000_00, rounds_cents=40_000_00,
                       grants_cents=20_000_00, available_cents=20_000_00)
        session.add(pot)
    if session.get(GrantSettings, area.id) is None:
        session.add(GrantSettings(area_id=area.id, min_backing=2, ceiling_cents=5_000_00,
                                  receipts_above_cents=500_00, service_days=10))
    if staff is not None and area not in staff.managed_areas:
        staff.managed_areas.append(area)
    session.flush()
    agenda = []
    for i, (title, description) in enumerate(AGENDA, start=1):
        item = AgendaItem(area_id=area.id, title=title, description=description, position=i)
        session.add(item)
        agenda.append(item)
    session.flush()
    b1, b2, b3 = _neighbours(session, area, password)
    meet, green, safe = agenda
    place = area.name

    a = _application(session, area, b1, f"Buurtbarbecue {place}", "Een barbecue op het veldje voor de hele straat, "
                     "zodat nieuwe buren elkaar leren kennen.", [("Huur barbecue en tent", 180_00), ("Eten en drinken", 220_00)],
                     status=ApplicationStatus.SUBMITTED, days_ago=2, agenda=meet, show_name=True, volunteer_hours=12)
    _back(session, a, [b2])
    a = _application(session, area, b2, f"Bloembakken in de Kerkstraat ({place})", "Tien bloembakken met vaste "
                     "planten. Bewoners geven ze water.", [("Tien bloembakken", 650_00), ("Planten en aarde", 250_00)],
                     status=ApplicationStatus.SUBMITTED, days_ago=25, agenda=green, own_contribution_cents=100_00)
    _back(session, a, [b1, b3])
    a = _application(session, area, b3, f"Kinderdisco in het dorpshuis ({place})", "Een disco voor kinderen van "
                     "6 tot 12 jaar in de herfstvakantie.", [("DJ en geluid", 350_00), ("Limonade en chips", 90_00)],
                     status=ApplicationStatus.QUESTION, days_ago=6, agenda=meet,
                     question="Is het dorpshuis al vrij op die datum?")
    _back(session, a, [b1, b2])
    a = _application(session, area, b1, f"Verlichting bij het fietspad ({place})", "Zonnelampen langs het donkere "
                     "stuk fietspad naar school.", [("Acht zonnelampen", 2_400_00), ("Plaatsen", 600_00)],
                     status=ApplicationStatus.AWAITING_SECOND, days_ago=5, agenda=safe,
                     organisation_name=f"Dorpsraad {place}", kvk_number="12345678", pending_cents=3_000_00,
                     pending_by_id=manager.id, pending_conditions="Afstemmen met de wegbeheerder.")
    _back(session, a, [b2, b3])
    session.add(GrantDecision(application_id=a.id, kind=DecisionKind.PROPOSE, decider_id=manager.id,
                              amount_cents=3_000_00, text=a.pending_conditions))

    a = _application(session, area, b2, f"Opschoondag met de school ({place})", "Kinderen en ouders ruimen samen "
                     "zwerfafval op; daarna soep voor iedereen.", [("Grijpers en vuilniszakken", 150_00), ("Soep", 100_00)],
                     status=ApplicationStatus.GRANTED, days_ago=12, agenda=green, conditions="Foto's op de website.")
    _back(session, a, [b1, b3])
    _grant(session, a, pot, manager, paid=False)
    a = _application(session, area, b3, f"Jeu-de-boulesbaan opknappen ({place})", "Nieuw grind en een bankje bij "
                     "de baan.", [("Grind", 300_00), ("Bankje", 350_00)], status=ApplicationStatus.GRANTED,
                     days_ago=40, agenda=meet, show_name=True)
    _back(session, a, [b1, b2])
    _grant(session, a, pot, manager, paid=True)
    _report(session, a, pot, manager, ReportStatus.SUBMITTED, "De baan is klaar. Elke dinsdag spelen er nu twaalf "
            "buren.", 640_00)
    a = _application(session, area, b1, f"Burendag {place}", "Een burendag met spelletjes en koffie.",
                     [("Spelletjes", 200_00), ("Koffie en taart", 150_00)], status=ApplicationStatus.GRANTED,
                     days_ago=90, agenda=meet, show_name=True)
    _back(session, a, [b2, b3])
    _grant(session, a, pot, manager, paid=True)
    _report(session, a, pot, manager, ReportStatus.ACCEPTED, "Er kwamen zestig buren. Het was gezellig.", 310_00)
    a = _application(session, area, b2, f"Insectenhotels ({place})", "Vijf insectenhotels in de plantsoenen.",
                     [("Vijf insectenhotels", 400_00)], status=ApplicationStatus.GRANTED, days_ago=70, agenda=green)
    _back(session, a, [b1, b3])
    _grant(session, a, pot, manager, paid=True)
    _report(session, a, pot, manager, ReportStatus.MORE_REQUESTED, "De hotels hangen.", 400_00,
            note="Wilt u een foto sturen van de hotels?")
    a = _application(session, area, b3, f"Muziekavond in het park ({place})", "Een avond met muziek van "
                     "bands uit de buurt.", [("Podium en geluid", 900_00)], status=ApplicationStatus.GRANTED,
                     days_ago=120, agenda=meet)
    _back(session, a, [b1, b2])
    _grant(session, a, pot, manager, paid=True)
    _report(session, a, pot, manager, ReportStatus.RECLAIMED, "De avond ging niet door door de regen.", 0,
            note="De avond is niet doorgegaan; het geld komt terug.", reclaimed=900_00)

    a = _application(session, area, b1, f"Nieuwe voetbaldoelen ({place})", "Twee nieuwe doelen voor het "
                     "trapveldje.", [("Twee doelen", 800_00)], status=ApplicationStatus.REFUSED, days_ago=30,
                     decision_reason="De gemeente vervangt de doelen dit jaar al zelf; dat hoort bij het gewone onderhoud.")
    a.decided_at = a.submitted_at + 3 * DAY
    _back(session, a, [b2])
    session.add(GrantDecision(application_id=a.id, kind=DecisionKind.REFUSE, decider_id=manager.id,
                              text=a.decision_reason, at=a.decided_at))
    proposal = _round_proposal(session, area)
    if proposal is not None:
        _application(session, area, proposal.author or b2, proposal.title, proposal.description or proposal.summary,
                     [(line.description, line.amount_cents) for line in proposal.cost_lines] or
                     [(proposal.title, proposal.estimated_cost_cents or 6_000_00)],
                     status=ApplicationStatus.MOVED_TO_ROUND, days_ago=80, proposal_id=proposal.id)
    _application(session, area, b3, f"Kerstmarkt ({place})", "Een kleine kerstmarkt.", [("Kraampjes", 500_00)],
                 status=ApplicationStatus.WITHDRAWN, days_ago=15)
    session.flush()


def load_demo_grants(session: Session, password: str = "buurtbudget-demo") -> None:
    """Create the demo small grants that are missing."""
    users = {u.email: u for u in session.scalars(select(User).where(User.email.like("%@buurtbudget.test")))}
    for email, cents in MANDATES.items():
        if email in users and session.get(GrantMandate, users[email].id) is None:
            session.add(GrantMandate(user_id=users[email].id, amount_cents=cents))
    session.flush()
    admin = users.get("admin@buurtbudget.test")
    for area in session.scalars(select(Area).order_by(Area.id)):
        # area_managers holds both the area's managers and its information-point workers.
        managers = [u for u in area.managers if u.role == Role.MANAGER]
        staff = next((u for u in area.managers if u.role == Role.STAFF), users.get("infopunt@buurtbudget.test"))
        if not managers or admin is None:
            continue
        _load_area(session, area, managers[0], staff, password)
