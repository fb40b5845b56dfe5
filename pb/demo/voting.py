"""Demo: a knapsack round in Varsseveld that is open for voting now.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from pb.db import utcnow
from pb.models.area import Area
from pb.models.proposal import Proposal, ProposalStatus
from pb.models.round import BallotType, BudgetRound

DEMO_ROUND_TITLE = "Buurtbudget Varsseveld 2026"


DEMO_PROJECTS = [
    ("Nieuwe bankjes rond de Slingeland", "Tien houten bankjes langs de wandelroute.", 1_200_000),
    ("Speeltoestellen bij de Kerkplaats", "Een klimrek en twee schommels voor kinderen tot 12 jaar.", 2_400_000),
    ("Bloembakken in de Dorpsstraat", "Twintig bloembakken, onderhouden door buurtbewoners.", 600_000),
    ("Jeu-de-boulesbaan bij het dorpshuis", "Een baan voor jong en oud, met verlichting.", 1_500_000),
    ("Defibrillator in de Molenwijk", "Een AED-kast die dag en nacht te gebruiken is.", 300_000),
]


def load_demo_voting(session: Session) -> None:
    """Demo: a knapsack round in Varsseveld that is open for voting now (idempotent)."""
    area = session.scalar(select(Area).where(Area.slug == "varsseveld"))
    if area is None or session.scalar(select(BudgetRound).where(BudgetRound.title == DEMO_ROUND_TITLE)):
        return
    now = utcnow()
    day = dt.timedelta(days=1)
    round_ = BudgetRound(
        area_id=area.id, title=DEMO_ROUND_TITLE, budget_cents=4_000_000,
        description="Kies projecten die samen binnen het budget van € 40.000 passen.",
        proposals_open_at=now - 60 * day, proposals_close_at=now - 45 * day, support_close_at=now - 30 * day,
        review_close_at=now - 14 * day, voting_open_at=now - day, voting_close_at=now + 21 * day,
        ballot_type=BallotType.KNAPSACK, allow_revote=True,
    )
    session.add(round_)
    session.flush()
    session.add_all(Proposal(round_id=round_.id, title=title, summary=summary, description=summary,
                             status=ProposalStatus.FEASIBLE, estimated_cost_cents=cost)
                    for title, summary, cost in DEMO_PROJECTS)
    session.flush()
