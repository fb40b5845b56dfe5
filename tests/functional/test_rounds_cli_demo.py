"""`pb advance-phases` settles finished support phases idempotently; `pb demo` creates rounds in every
phase, including a knapsack vote in Ulft and a closed vote in Varsseveld."""

from __future__ import annotations

from sqlalchemy import func, select

from pb.db import utcnow
from pb.models.audit import AuditEntry
from pb.models.proposal import Proposal, ProposalStatus
from pb.models.round import BallotType, BudgetRound, Phase

from tests.factories import make_area, make_proposal, make_resident, make_round
from pb.demo import results as demo_results
from pb.services import pabulib_import
from pb.services import ballots as ballot_service


def test_advance_phases_settles_once(runner, session, outbox):
    area = make_area(session)
    round_ = make_round(session, area, phase="review", support_threshold=1)
    author, fan = make_resident(session, area), make_resident(session, area)
    liked = make_proposal(session, round_, author=author, status="submitted", supporters=[fan])
    ignored = make_proposal(session, round_, author=author, status="submitted")
    running = make_proposal(session, make_round(session, area, phase="support"), author=author, status="submitted")
    result = runner.invoke(args=["pb", "advance-phases"])
    assert result.exit_code == 0, result.output
    assert "2 proposals moved on" in result.output
    assert (liked.status, ignored.status, running.status) == (
        ProposalStatus.IN_REVIEW, ProposalStatus.NOT_ENOUGH_SUPPORT, ProposalStatus.SUBMITTED)
    assert len(outbox.messages()) == 2
    result = runner.invoke(args=["pb", "advance-phases"])
    assert result.exit_code == 0 and "Done: 0 proposals" in result.output
    assert session.scalar(select(func.count()).select_from(AuditEntry)
                          .where(AuditEntry.action == "proposal.support_closed")) == 2


def test_demo_rounds(runner, session, client):
    counts = []
    for _ in range(2):
        result = runner.invoke(args=["pb", "demo"])
        assert result.exit_code == 0, result.output
        counts.append(session.scalar(select(func.count()).select_from(BudgetRound)))
    assert counts[0] == counts[1]  # idempotent
    now = utcnow()
    rounds = {r.title: r for r in session.scalars(select(BudgetRound))}
    ours = [rounds[t] for t in ("Buurtbudget Ulft 2026", "Jongerenbudget Ulft 2027", "Dorpsbudget Gendringen 2026",
                                "Wijkbudget Silvolde-Terborg 2026", "Groenbudget Silvolde-Terborg 2026",
                                "Dorpsbudget Gendringen 2027", "Buurtbudget Varsseveld voorjaar 2026")]
    assert [r.phase_at(now) for r in ours] == [Phase.VOTING, Phase.PROPOSALS, Phase.SUPPORT, Phase.REVIEW,
                                               Phase.WAITING, Phase.UPCOMING, Phase.CLOSED]
    voting, closed = ours[0], ours[-1]
    assert voting.area.slug == "ulft" and voting.ballot_type == BallotType.KNAPSACK
    assert len(ballot_service.ballot_proposals(session, voting)) >= 5
    assert closed.area.slug == "varsseveld" and len(ballot_service.ballot_proposals(session, closed)) >= 3
    for round_ in ours:
        assert client.get(f"/rounds/{round_.id}").status_code == 200
        assert client.get(f"/rounds/{round_.id}/proposals").status_code == 200
    for pid in session.scalars(select(Proposal.id).where(Proposal.round_id.in_([r.id for r in ours]))):
        assert client.get(f"/proposals/{pid}").status_code == 200
    page = client.get(f"/rounds/{voting.id}").get_data(as_text=True)
    assert "Kosten aangepast" in page and "Speeltuin Bloemenbuurt opknappen" in page
    if (pabulib_import.pabulib_dir() / demo_results.DEMO_FILE).exists():  # the real Assen round, labelled
        example = rounds["Voorbeeld: Assen Top Idee 2024 (echte uitslag uit Assen)"]
        assert example.area.slug == demo_results.DEMO_AREA  # an area of its own, not a demo village
        assert client.get(f"/rounds/{example.id}/results").status_code == 200
