"""Demo rounds and proposals for ``pb demo``: one round in every phase, dates relative to now.

Ulft votes now (knapsack, six projects on the ballot) and has a youth round open for proposals;
Gendringen collects support and has its next round coming; Silvolde-Terborg is in review and has
a round waiting for its vote; Varsseveld has closed its vote. (The published result is the real
Assen round, in an area of its own: ``pb/demo/results.py``.)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from pb.db import utcnow
from pb.demo.residents import demo_resident
from pb.models.area import Area
from pb.models.proposal import CostLine, Proposal, ProposalStatus, Support
from pb.models.round import BallotType, BudgetRound, CountingRule, RoundTheme, TieBreak
from pb.models.user import Role, User
from pb.services import audit

DAY = dt.timedelta(days=1)

# Extra demo residents that write and support proposals: (e-mail, name, area slug).
DEMO_RESIDENTS = [
    ("gendringen@buurtbudget.test", "Henk ter Horst", "gendringen"),
    ("silvolde@buurtbudget.test", "Ans Lensink", "silvolde-terborg"),
    ("terborg@buurtbudget.test", "Ruud Bussink", "silvolde-terborg"),
    ("ulft3@buurtbudget.test", "Yasmina Bouali", "ulft"),
    ("varsseveld2@buurtbudget.test", "Gerda Lammers", "varsseveld"),
]


@dataclass
class DemoProposal:
    """One demo proposal with its fate."""

    title: str
    summary: str
    description: str
    location: str
    theme: str
    lines: list[tuple[str, int]]
    status: ProposalStatus
    author: str
    supporters: list[str] = field(default_factory=list)
    review: str = ""
    cost_euros: int | None = None
    cost_reason: str = ""
    point: tuple[float, float] | None = None  # (latitude, longitude) on the map


def _user(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email))
    assert user is not None, email
    return user


def _manager_of(area: Area) -> User | None:
    """The area's first manager (area_managers also holds its information-point workers)."""
    return next((u for u in area.managers if u.role == Role.MANAGER), None)


def _round(session: Session, area: Area, title: str, description: str, budget_euros: int,
           starts: dt.datetime, **config: object) -> BudgetRound | None:
    if session.scalar(select(BudgetRound).where(BudgetRound.area_id == area.id, BudgetRound.title == title)):
        return None
    round_ = BudgetRound(
        area=area, title=title, description=description, budget_cents=budget_euros * 100,
        proposals_open_at=starts, proposals_close_at=starts + 21 * DAY, support_close_at=starts + 35 * DAY,
        review_close_at=starts + 49 * DAY, voting_open_at=starts + 56 * DAY, voting_close_at=starts + 70 * DAY,
        **config,
    )
    round_.themes = [RoundTheme(name=n) for n in ("Spelen", "Groen", "Veiligheid", "Ontmoeten")]
    session.add(round_)
    session.flush()
    manager = _manager_of(area)
    audit.record(session, actor=manager, action="round.create", obj_type="round", obj_id=round_.id, area_id=area.id,
                 round_id=round_.id, public=True, after={"budget_cents": round_.budget_cents})
    return round_


def _proposals(session: Session, round_: BudgetRound, items: list[DemoProposal]) -> None:
    manager = _manager_of(round_.area)
    themes = {t.name: t for t in round_.themes}
    for n, item in enumerate(items):
        author = _user(session, item.author)
        p = Proposal(
            round=round_, author_id=author.id, title=item.title, summary=item.summary, description=item.description,
            location=item.location, theme=themes.get(item.theme), status=ProposalStatus.DRAFT,
            latitude=item.point[0] if item.point else None, longitude=item.point[1] if item.point else None,
            submitted_at=round_.proposals_open_at + (n + 1) * DAY,
        )
        p.cost_lines = [CostLine(position=i, description=d, amount_cents=e * 100) for i, (d, e) in enumerate(item.lines)]
        p.estimated_cost_cents = sum(e * 100 for _d, e in item.lines)
        session.add(p)
        session.flush()
        supporters = [e for e in item.supporters if e != item.author]  # own support never counts
        for email in supporters:
            session.add(Support(proposal_id=p.id, user_id=_user(session, email).id))
        steps: list[tuple[User | None, str, ProposalStatus, str]] = [
            (author, "proposal.submit", ProposalStatus.SUBMITTED, "")]
        if item.status not in (ProposalStatus.SUBMITTED, ProposalStatus.WITHDRAWN):
            settled = ProposalStatus.NOT_ENOUGH_SUPPORT if item.status == ProposalStatus.NOT_ENOUGH_SUPPORT \
                else ProposalStatus.IN_REVIEW
            steps.append((None, "proposal.support_closed", settled,
                          f"Steun: {len(supporters)}. Nodig: {round_.support_threshold}."))
        if item.status == ProposalStatus.WITHDRAWN:
            steps.append((author, "proposal.withdraw", ProposalStatus.WITHDRAWN, ""))
        status = ProposalStatus.DRAFT
        for actor, action, new, reason in steps:
            audit.record(session, actor=actor, action=action, obj_type="proposal", obj_id=p.id, area_id=round_.area_id,
                         round_id=round_.id, public=True, before={"status": status.value, "title": p.title},
                         after={"status": new.value, "title": p.title}, reason=reason)
            status = new
        if item.cost_euros is not None:
            audit.record(session, actor=manager, action="proposal.cost", obj_type="proposal", obj_id=p.id,
                         area_id=round_.area_id, round_id=round_.id, public=True,
                         before={"cost_cents": p.estimated_cost_cents, "title": p.title},
                         after={"cost_cents": item.cost_euros * 100, "title": p.title}, reason=item.cost_reason)
            p.cost_cents = item.cost_euros * 100
            p.cost_reason = item.cost_reason
        if item.status in (ProposalStatus.FEASIBLE, ProposalStatus.INFEASIBLE):
            audit.record(session, actor=manager, action="proposal.review", obj_type="proposal", obj_id=p.id,
                         area_id=round_.area_id, round_id=round_.id, public=True,
                         before={"status": status.value, "title": p.title},
                         after={"status": item.status.value, "title": p.title}, reason=item.review)
            p.review_reason = item.review
        p.status = item.status
        session.flush()


def load_demo_rounds(session: Session, password: str = "buurtbudget-demo") -> None:
    """Create the demo rounds that are missing (safe to run again)."""
    areas = {a.slug: a for a in session.scalars(select(Area))}
    if not all(slug in areas for slug in ("ulft", "gendringen", "silvolde-terborg", "varsseveld")):
        return
    for email, name, slug in DEMO_RESIDENTS:
        demo_resident(session, email, name, areas[slug], password)
    now = utcnow().replace(second=0, microsecond=0)
    ulft_people = ["bewoner@buurtbudget.test", "buurvrouw@buurtbudget.test", "ulft3@buurtbudget.test"]

    # Ulft: voting now (opened 2 days ago, closes in 12 days), knapsack.
    round_ = _round(session, areas["ulft"], "Buurtbudget Ulft 2026",
                 "Wat maakt Ulft mooier, veiliger of gezelliger? Bewoners kozen de plannen, nu stemt u.",
                 40_000, now - 58 * DAY, ballot_type=BallotType.KNAPSACK, counting_rule=CountingRule.GREEDY,
                 tie_break=TieBreak.LOWER_COST, support_threshold=2, min_age=16, allow_revote=True)
    if round_ is not None:
        ok = "Haalbaar. De gemeente kan dit binnen een jaar uitvoeren."
        _proposals(session, round_, [
            DemoProposal("Speeltuin Bloemenbuurt opknappen",
                         "Nieuwe schommels en een klimrek voor de speeltuin aan de Rozenstraat.",
                         "De speeltuin is meer dan twintig jaar oud. De schommels zijn afgekeurd. "
                         "Wij willen een klimrek, twee schommels en een zandbak met een hek eromheen.",
                         "Rozenstraat, Ulft", "Spelen",
                         [("Klimrek met glijbaan", 11_500), ("Twee schommels", 4_200), ("Valondergrond en hek", 2_800)],
                         ProposalStatus.FEASIBLE, "bewoner@buurtbudget.test", ulft_people,
                         ok, 19_750, "De valondergrond moet volgens de norm groter zijn; dat kost € 1.250 meer.", point=(51.8905, 6.3868)),
            DemoProposal("Buurtmoestuin bij de Oude IJssel",
                         "Een moestuin waar buren samen groenten kweken.",
                         "Op het braakliggende stuk grond bij de IJsselweg maken we twaalf moestuinbakken, "
                         "een regenton en een schuurtje voor gereedschap.",
                         "IJsselweg, Ulft", "Groen",
                         [("Twaalf moestuinbakken", 3_600), ("Schuurtje en gereedschap", 1_900), ("Regenton en slang", 700)],
                         ProposalStatus.FEASIBLE, "buurvrouw@buurtbudget.test", ulft_people, ok, point=(51.8960, 6.3765)),
            DemoProposal("Bankjes langs het wandelpad", "Zes bankjes langs het pad door het Ulftse bos.",
                         "Oudere bewoners wandelen graag in het bos, maar er is nergens een plek om te rusten.",
                         "Wandelpad Ulftse bos", "Ontmoeten",
                         [("Zes houten bankjes", 4_200), ("Plaatsen en fundering", 600)],
                         ProposalStatus.FEASIBLE, "ulft3@buurtbudget.test", ulft_people, ok, point=(51.8830, 6.3920)),
            DemoProposal("AED aan de Dorpsstraat", "Een AED die dag en nacht bereikbaar is.",
                         "Bij een hartstilstand telt elke minuut. De dichtstbijzijnde AED hangt binnen in de sporthal "
                         "en is 's avonds niet bereikbaar.",
                         "Dorpsstraat 12, Ulft", "Veiligheid",
                         [("AED met buitenkast", 2_450), ("Aansluiten en onderhoud eerste jaar", 500)],
                         ProposalStatus.FEASIBLE, "bewoner@buurtbudget.test", ulft_people, ok, point=(51.8945, 6.3800)),
            DemoProposal("Jongerenplek met overkapping", "Een droge plek voor jongeren bij het sportpark.",
                         "Jongeren hebben geen plek om samen te komen. Een overkapping met zitplekken en verlichting "
                         "bij het sportpark lost dat op.",
                         "Sportpark De Pol, Ulft", "Ontmoeten",
                         [("Overkapping", 9_500), ("Zitelementen", 2_500), ("Verlichting", 2_000)],
                         ProposalStatus.FEASIBLE, "ulft3@buurtbudget.test", ulft_people, ok, point=(51.8990, 6.3700)),
            DemoProposal("Bloemen in de bakken op het DRU-plein", "Het plein fleurt op met vaste planten.",
                         "De bakken op het plein zijn nu leeg. Vaste planten zijn mooi en goed voor bijen.",
                         "DRU-plein, Ulft", "Groen",
                         [("Vaste planten", 1_800), ("Aarde en aanplant", 700)],
                         ProposalStatus.FEASIBLE, "buurvrouw@buurtbudget.test", ulft_people, ok, point=(51.8927, 6.3790)),
            DemoProposal("Parkeergarage onder het plein", "Meer parkeerplaatsen in het centrum.",
                         "Een ondergrondse garage met zestig plekken.", "Centrum Ulft", "Veiligheid",
                         [("Bouw garage", 2_400_000)], ProposalStatus.INFEASIBLE, "bewoner@buurtbudget.test",
                         ulft_people,
                         "Niet haalbaar: dit kost veel meer dan het hele budget en vraagt een bestemmingsplan.", point=(51.8940, 6.3822)),
            DemoProposal("Hondenuitlaatveld", "Een omheind veld voor honden.", "Een veld met hek bij de Bongerd.",
                         "De Bongerd, Ulft", "Groen", [("Hek en poort", 3_000)],
                         ProposalStatus.NOT_ENOUGH_SUPPORT, "ulft3@buurtbudget.test", [], point=(51.8870, 6.3745)),
        ])

    # Ulft: a youth round open for proposals.
    round_ = _round(session, areas["ulft"], "Jongerenbudget Ulft 2027",
                 "Een eigen budget voor plannen van en voor jongeren tot 23 jaar.", 10_000, now - 5 * DAY,
                 ballot_type=BallotType.CHOOSE_ONE, counting_rule=CountingRule.GREEDY, tie_break=TieBreak.LOTTERY,
                 support_threshold=3, max_age=23)
    if round_ is not None:
        _proposals(session, round_, [
            DemoProposal("Pannaveldje bij de Plantage", "Een klein voetbalveldje met boarding.",
                         "Een pannaveld waar je met twee tegen twee kunt spelen.", "Plantage, Ulft", "Spelen",
                         [("Pannakooi", 6_500), ("Kunstgras", 1_200)], ProposalStatus.SUBMITTED,
                         "ulft3@buurtbudget.test", ["buurvrouw@buurtbudget.test"], point=(51.8975, 6.3850)),
        ])

    # Gendringen: support phase (proposals closed 4 days ago).
    round_ = _round(session, areas["gendringen"], "Dorpsbudget Gendringen 2026",
                 "Plannen voor het oudste dorp van de gemeente.", 25_000, now - 25 * DAY,
                 ballot_type=BallotType.K_APPROVAL, max_projects=3, counting_rule=CountingRule.EQUAL_SHARES,
                 tie_break=TieBreak.LOWER_COST, support_threshold=1)
    if round_ is not None:
        _proposals(session, round_, [
            DemoProposal("AED bij de kerk", "Een buiten-AED bij de Martinuskerk.", "Dag en nacht bereikbaar.",
                         "Kerkstraat, Gendringen", "Veiligheid", [("AED met kast", 2_600)], ProposalStatus.SUBMITTED,
                         "gendringen@buurtbudget.test"),
            DemoProposal("Speelbos bij de Oude IJssel", "Natuurlijk spelen met boomstammen.",
                         "Een speelbos met boomstammen, een wilgenhut en een waterpomp.", "IJsselweide", "Spelen",
                         [("Boomstammen en wilgenhut", 5_000), ("Waterpomp", 1_500)], ProposalStatus.SUBMITTED,
                         "gendringen@buurtbudget.test"),
        ])

    # Silvolde-Terborg: in review.
    round_ = _round(session, areas["silvolde-terborg"], "Wijkbudget Silvolde-Terborg 2026",
                 "Samen kiezen voor twee dorpen aan de Oude IJssel.", 30_000, now - 40 * DAY,
                 ballot_type=BallotType.CUMULATIVE, points_total=10, points_max_per_project=5,
                 counting_rule=CountingRule.PHRAGMEN, tie_break=TieBreak.ORDER, support_threshold=1)
    if round_ is not None:
        people = ["silvolde@buurtbudget.test", "terborg@buurtbudget.test"]
        _proposals(session, round_, [
            DemoProposal("Jongerenplek in het Hofpark", "Een ontmoetingsplek voor jongeren.",
                         "Een zitplek met wifi en verlichting.", "Hofpark, Terborg", "Ontmoeten",
                         [("Zitplek en verlichting", 8_000)], ProposalStatus.IN_REVIEW, people[1], people),
            DemoProposal("Buurtmoestuin Silvolde", "Moestuinbakken bij het dorpshuis.", "Samen tuinieren.",
                         "Dorpshuis Silvolde", "Groen", [("Bakken en aarde", 2_500), ("Gereedschap", 500)],
                         ProposalStatus.FEASIBLE, people[0], people, "Haalbaar. Het dorpshuis doet mee.",
                         3_400, "Er is ook een waterpunt nodig (€ 400)."),
            DemoProposal("Bankjes op de dijk", "Vier bankjes met uitzicht.", "Rustplekken op de dijk.",
                         "Dijk Silvolde", "Ontmoeten", [("Vier bankjes", 3_200)], ProposalStatus.IN_REVIEW,
                         people[0], people[:1]),
        ])

    # Gendringen: the next round, not open yet.
    _round(session, areas["gendringen"], "Dorpsbudget Gendringen 2027",
           "Vanaf over twee weken kunt u plannen indienen voor Gendringen.", 25_000, now + 14 * DAY,
           ballot_type=BallotType.APPROVAL, counting_rule=CountingRule.GREEDY, tie_break=TieBreak.LOWER_COST,
           support_threshold=2)

    # Silvolde-Terborg: review done, voting opens in five days (the ballot can be printed).
    round_ = _round(session, areas["silvolde-terborg"], "Groenbudget Silvolde-Terborg 2026",
                    "Meer groen in de twee dorpen. Het stemmen begint bijna.", 15_000, now - 51 * DAY,
                    ballot_type=BallotType.APPROVAL, counting_rule=CountingRule.GREEDY,
                    tie_break=TieBreak.LOWER_COST, support_threshold=1)
    if round_ is not None:
        people = ["silvolde@buurtbudget.test", "terborg@buurtbudget.test"]
        ok = "Haalbaar. De gemeente plant de bomen in het plantseizoen."
        _proposals(session, round_, [
            DemoProposal("Bomen langs de Terborgseweg", "Twaalf lindes langs de weg.", "Schaduw en minder hitte.",
                         "Terborgseweg", "Groen", [("Twaalf lindes", 7_200), ("Planten en water geven", 1_800)],
                         ProposalStatus.FEASIBLE, people[0], people, ok),
            DemoProposal("Geveltuintjes in de Markt", "Smalle tuintjes tegen de gevels.", "Bewoners onderhouden ze.",
                         "Markt, Terborg", "Groen", [("Tegels eruit, planten erin", 2_400)],
                         ProposalStatus.FEASIBLE, people[1], people, ok),
            DemoProposal("Bloemenweide bij de Slangenburg", "Een weide vol wilde bloemen.", "Goed voor bijen.",
                         "Slangenburg, Silvolde", "Groen", [("Zaad en maaien", 1_500)],
                         ProposalStatus.FEASIBLE, people[0], people, ok),
        ])

    # Varsseveld: voting closed three days ago, results not yet published.
    round_ = _round(session, areas["varsseveld"], "Buurtbudget Varsseveld voorjaar 2026",
                 "Het stemmen is gesloten. De uitslag volgt snel.", 20_000, now - 73 * DAY,
                 ballot_type=BallotType.APPROVAL, counting_rule=CountingRule.EQUAL_SHARES,
                 tie_break=TieBreak.LOWER_COST, support_threshold=1)
    if round_ is not None:
        people = ["varsseveld@buurtbudget.test", "varsseveld2@buurtbudget.test"]
        ok = "Haalbaar."
        _proposals(session, round_, [
            DemoProposal("Speeltuin De Slingeland", "Nieuwe toestellen voor de speeltuin.", "Een kabelbaan en een wipkip.",
                         "Slingeland, Varsseveld", "Spelen", [("Kabelbaan", 9_000), ("Wipkippen", 1_800)],
                         ProposalStatus.FEASIBLE, people[0], people, ok),
            DemoProposal("AED bij de markt", "Een AED aan het marktplein.", "Voor de vrijdagmarkt en de buurt.",
                         "Markt, Varsseveld", "Veiligheid", [("AED met kast", 2_700)], ProposalStatus.FEASIBLE,
                         people[1], people, ok),
            DemoProposal("Bankjes bij de kerk", "Drie bankjes op het kerkplein.", "Om even te zitten.",
                         "Kerkplein, Varsseveld", "Ontmoeten", [("Drie bankjes", 2_400)], ProposalStatus.FEASIBLE,
                         people[0], people, ok),
            DemoProposal("Buurtmoestuin Oost", "Moestuin voor de wijk Oost.", "Twintig bakken.", "Varsseveld-Oost",
                         "Groen", [("Bakken", 4_000), ("Hek", 2_000)], ProposalStatus.FEASIBLE, people[1], people, ok),
            DemoProposal("Jongerenplek bij het zwembad", "Een overkapping voor jongeren.", "Met zitplekken.",
                         "Zwembad Varsseveld", "Ontmoeten", [("Overkapping", 11_000)], ProposalStatus.FEASIBLE,
                         people[0], people, ok),
        ])
    session.flush()
