"""Proposal life cycle: every transition allowed and refused, support, settling, review, merge, mail."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from pb.db import utcnow
from pb.errors import InvalidState, PermissionDenied, ValidationFailed
from pb.models.audit import AuditEntry
from pb.models.proposal import ProposalStatus, Support
from pb.models.user import Role
from pb.services import proposals as ps
from pb.services.proposals import ProposalData
from pb.services.rounds import RoundFrozen
from tests.factories import make_area, make_proposal, make_resident, make_round, make_user
from pb.services import money

S = ProposalStatus


def _data(**kw) -> ProposalData:
    values = {"title": "Speeltuin opknappen", "summary": "Nieuwe schommels", "description": "Lang verhaal",
              "location": "Rozenstraat", "cost_lines": [("Schommels", 450_000), ("Hek", 120_050)]}
    values.update(kw)
    return ProposalData(**values)


@pytest.mark.parametrize(("text", "cents"), [
    ("1.234,50", 123_450), ("1234.50", 123_450), ("1234,5", 123_450), ("1234", 123_400), ("€ 12", 1_200),
    ("1.234", 123_400), ("1.234.567,9", 123_456_790), ("0,99", 99), ("1,234.50", 123_450), ("25,-", 2_500),
])
def test_parse_euros(text, cents):
    assert money.parse_euros(text) == cents


@pytest.mark.parametrize("text", ["", "abc", "-5", "1,2,3", "1.2.3", "12,345", "1e5", "99999999999", "12.3456"])
def test_parse_euros_refuses(text):
    with pytest.raises(ValidationFailed):
        money.parse_euros(text)


def test_create_draft_computes_total(session, area, resident):
    round_ = make_round(session, area, phase="proposals")
    p = ps.create_proposal(session, round_, actor=resident, data=_data(theme_id=round_.themes[0].id))
    assert p.status == S.DRAFT and p.estimated_cost_cents == 570_050 and len(p.cost_lines) == 2
    assert p.author_id == resident.id and p.theme_id == round_.themes[0].id


@pytest.mark.parametrize("phase", ["upcoming", "support", "review", "voting", "closed"])
def test_create_outside_proposal_phase_refused(session, area, resident, phase):
    round_ = make_round(session, area, phase=phase)
    with pytest.raises(InvalidState):
        ps.create_proposal(session, round_, actor=resident, data=_data())


def test_create_by_non_resident_refused(session, area):
    round_ = make_round(session, area, phase="proposals")
    outsider = make_resident(session, make_area(session))
    for user in (outsider, make_user(session, role=Role.MANAGER, areas=[area])):
        with pytest.raises(PermissionDenied):
            ps.create_proposal(session, round_, actor=user, data=_data())


def test_create_validation(session, area, resident):
    round_ = make_round(session, area, phase="proposals")
    other_round = make_round(session, area, phase="proposals")
    cases = [
        (_data(title=" "), "title"),
        (_data(theme_id=other_round.themes[0].id), "theme_id"),
        (_data(cost_lines=[("", 100)]), "cost_lines"),
        (_data(cost_lines=[("x", 0)]), "cost_lines"),
        (_data(cost_lines=[("x", 1)] * 21), "cost_lines"),
        (_data(coinitiator_emails=["nobody@example.test"]), "coinitiators"),
        (_data(coinitiator_emails=[resident.email]), "coinitiators"),
    ]
    for data, field in cases:
        with pytest.raises(ValidationFailed) as exc:
            ps.create_proposal(session, round_, actor=resident, data=data)
        assert exc.value.field == field


def test_coinitiators_must_be_residents_of_the_area(session, area, resident):
    round_ = make_round(session, area, phase="proposals")
    neighbour = make_resident(session, area)
    elsewhere = make_resident(session, make_area(session))
    p = ps.create_proposal(session, round_, actor=resident, data=_data(coinitiator_emails=[neighbour.email.upper()]))
    assert p.coinitiators == [neighbour]
    with pytest.raises(ValidationFailed):
        ps.create_proposal(session, round_, actor=resident, data=_data(coinitiator_emails=[elsewhere.email]))


def test_submit_edit_withdraw_by_author(session, area, resident, outbox):
    round_ = make_round(session, area, phase="proposals")
    p = ps.create_proposal(session, round_, actor=resident, data=_data())
    ps.submit_proposal(session, p, actor=resident)
    assert p.status == S.SUBMITTED and p.submitted_at is not None
    ps.update_proposal(session, p, actor=resident, data=_data(title="Speeltuin en bankjes"))
    assert p.title == "Speeltuin en bankjes"
    ps.withdraw_proposal(session, p, actor=resident)
    assert p.status == S.WITHDRAWN
    actions = list(session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == str(p.id))
                                   .order_by(AuditEntry.seq)))
    assert actions == ["proposal.submit", "proposal.withdraw"]
    session.commit()
    assert len(outbox.messages()) == 2 and "Ingetrokken" in outbox.last_body()


def test_others_cannot_edit_submit_or_withdraw(session, area, resident):
    round_ = make_round(session, area, phase="proposals")
    p = ps.create_proposal(session, round_, actor=resident, data=_data())
    neighbour = make_resident(session, area)
    manager = make_user(session, role=Role.MANAGER, areas=[area])
    for user in (neighbour, manager):
        with pytest.raises(PermissionDenied):
            ps.update_proposal(session, p, actor=user, data=_data(title="Gekaapt"))
        with pytest.raises(PermissionDenied):
            ps.submit_proposal(session, p, actor=user)
        with pytest.raises(PermissionDenied):
            ps.withdraw_proposal(session, p, actor=user)
    assert p.title == "Speeltuin opknappen" and p.status == S.DRAFT


def test_submit_needs_cost_lines_and_draft(session, area, resident):
    round_ = make_round(session, area, phase="proposals")
    p = ps.create_proposal(session, round_, actor=resident, data=_data(cost_lines=[]))
    with pytest.raises(ValidationFailed):
        ps.submit_proposal(session, p, actor=resident)
    ps.update_proposal(session, p, actor=resident, data=_data())
    ps.submit_proposal(session, p, actor=resident)
    with pytest.raises(InvalidState):
        ps.submit_proposal(session, p, actor=resident)


@pytest.mark.parametrize("phase", ["support", "review", "voting"])
def test_no_edit_or_submit_after_proposal_phase(session, area, resident, phase):
    round_ = make_round(session, area, phase=phase)
    draft = make_proposal(session, round_, author=resident, status="draft")
    submitted = make_proposal(session, round_, author=resident, status="submitted")
    for p in (draft, submitted):
        with pytest.raises(InvalidState):
            ps.update_proposal(session, p, actor=resident, data=_data(title="Later"))
    with pytest.raises(InvalidState):
        ps.submit_proposal(session, draft, actor=resident)


@pytest.mark.parametrize("status", ["in_review", "feasible", "infeasible", "not_enough_support", "submitted"])
def test_withdraw_before_voting_allowed(session, area, resident, status):
    round_ = make_round(session, area, phase="waiting")
    p = make_proposal(session, round_, author=resident, status=status)
    ps.withdraw_proposal(session, p, actor=resident)
    assert p.status == S.WITHDRAWN


@pytest.mark.parametrize("status", ["withdrawn", "merged", "hidden"])
def test_withdraw_from_final_status_refused(session, area, resident, status):
    round_ = make_round(session, area, phase="review")
    p = make_proposal(session, round_, author=resident, status=status)
    with pytest.raises(InvalidState):
        ps.withdraw_proposal(session, p, actor=resident)


def test_withdraw_from_frozen_ballot_refused_and_audited(session, area, resident):
    round_ = make_round(session, area, phase="voting")
    p = make_proposal(session, round_, author=resident, status="feasible")
    with pytest.raises(RoundFrozen):
        ps.withdraw_proposal(session, p, actor=resident)
    assert p.status == S.FEASIBLE
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "proposal.withdraw.refused")) is not None


def test_support_once_and_withdraw(session, area, resident):
    round_ = make_round(session, area, phase="support")
    p = make_proposal(session, round_, author=make_resident(session, area), status="submitted")
    ps.support_proposal(session, p, actor=resident)
    with pytest.raises(InvalidState):
        ps.support_proposal(session, p, actor=resident)
    assert ps.supports(session, p, resident)
    ps.withdraw_support(session, p, actor=resident)
    assert not ps.supports(session, p, resident)
    with pytest.raises(InvalidState):
        ps.withdraw_support(session, p, actor=resident)


def test_support_refused_for_outsiders_wrong_phase_or_status(session, area, resident):
    author = make_resident(session, area)
    round_ = make_round(session, area, phase="support")
    with pytest.raises(PermissionDenied):
        ps.support_proposal(session, make_proposal(session, round_, author=author, status="submitted"), actor=make_resident(session, make_area(session)))
    with pytest.raises(InvalidState):
        ps.support_proposal(session, make_proposal(session, round_, author=author, status="draft"), actor=resident)
    for phase in ("review", "voting", "upcoming"):
        with pytest.raises(InvalidState):
            ps.support_proposal(session, make_proposal(session, make_round(session, area, phase=phase), author=author, status="submitted"),
                                actor=resident)
    assert session.scalar(select(func.count()).select_from(Support)) == 0


def test_settle_support_phase_threshold_and_idempotent(session, area, outbox):
    round_ = make_round(session, area, phase="review", support_threshold=2)
    people = [make_resident(session, area) for _ in range(3)]
    enough = make_proposal(session, round_, author=people[2], status="submitted", supporters=people[:2])
    more = make_proposal(session, round_, author=people[0], status="submitted", supporters=people)
    short = make_proposal(session, round_, author=people[1], status="submitted", supporters=people[:1])
    draft = make_proposal(session, round_, author=people[1], status="draft")
    assert ps.settle_support_phase(session, round_, utcnow()) == 3
    assert (enough.status, more.status, short.status, draft.status) == (S.IN_REVIEW, S.IN_REVIEW,
                                                                          S.NOT_ENOUGH_SUPPORT, S.DRAFT)
    assert ps.settle_support_phase(session, round_, utcnow()) == 0
    entries = list(session.scalars(select(AuditEntry).where(AuditEntry.action == "proposal.support_closed")))
    assert len(entries) == 3 and all(e.public and e.actor_id is None for e in entries)
    session.commit()
    assert len(outbox.messages()) == 3


def test_author_cannot_support_own_plan(session, area, resident):
    round_ = make_round(session, area, phase="support")
    co = make_resident(session, area)
    p = make_proposal(session, round_, author=resident, status="submitted")
    p.coinitiators.append(co)
    session.flush()
    for who in (resident, co):
        with pytest.raises(InvalidState, match="zelf ingediend"):
            ps.support_proposal(session, p, actor=who)
    assert session.scalar(select(func.count()).select_from(Support)) == 0


def test_own_support_does_not_reach_threshold_of_one(session, area, resident):
    """A plan with only its author's (and co-initiator's) support does not reach a threshold of 1."""
    round_ = make_round(session, area, phase="review", support_threshold=1)
    co = make_resident(session, area)
    alone = make_proposal(session, round_, author=resident, status="submitted", supporters=[resident, co])
    alone.coinitiators.append(co)
    helped = make_proposal(session, round_, author=resident, status="submitted",
                           supporters=[resident, make_resident(session, area)])
    session.flush()
    assert ps.support_counts(session, [alone.id, helped.id]) == {helped.id: 1}
    ps.settle_support_phase(session, round_, utcnow())
    assert (alone.status, helped.status) == (S.NOT_ENOUGH_SUPPORT, S.IN_REVIEW)


def test_settle_does_nothing_during_support(session, area):
    round_ = make_round(session, area, phase="support", support_threshold=0)
    p = make_proposal(session, round_, author=make_resident(session, area), status="submitted")
    assert ps.settle_support_phase(session, round_, utcnow()) == 0
    assert p.status == S.SUBMITTED


def test_review_requires_reason_and_manager(session, area, manager, resident, outbox):
    round_ = make_round(session, area, phase="review")
    p = make_proposal(session, round_, author=resident, status="in_review")
    for reason in ("", "   "):
        with pytest.raises(ValidationFailed):
            ps.review_proposal(session, p, actor=manager, feasible=True, reason=reason)
    for user in (resident, make_user(session, role=Role.STAFF),
                 make_user(session, role=Role.MANAGER, areas=[make_area(session)])):
        with pytest.raises(PermissionDenied):
            ps.review_proposal(session, p, actor=user, feasible=True, reason="ok")
    assert p.status == S.IN_REVIEW
    ps.review_proposal(session, p, actor=manager, feasible=False, reason="Grond is niet van de gemeente")
    assert p.status == S.INFEASIBLE and p.review_reason == "Grond is niet van de gemeente"
    ps.review_proposal(session, p, actor=manager, feasible=True, reason="Toch wel: grond gevonden")
    assert p.status == S.FEASIBLE
    session.commit()
    assert "Toch wel: grond gevonden" in outbox.last_body()


@pytest.mark.parametrize(("status", "phase"), [
    ("draft", "review"), ("submitted", "support"), ("withdrawn", "review"), ("merged", "review"),
    ("hidden", "review"), ("not_enough_support", "review"),
])
def test_review_refused_outside_review(session, area, manager, resident, status, phase):
    round_ = make_round(session, area, phase=phase)
    p = make_proposal(session, round_, author=resident, status=status)
    with pytest.raises(InvalidState):
        ps.review_proposal(session, p, actor=manager, feasible=True, reason="ok")
    with pytest.raises(InvalidState):
        ps.adjust_cost(session, p, actor=manager, cost_cents=5, reason="ok")


def test_review_settles_support_first(session, area, manager, resident):
    round_ = make_round(session, area, phase="review", support_threshold=0)
    p = make_proposal(session, round_, author=resident, status="submitted")
    ps.review_proposal(session, p, actor=manager, feasible=True, reason="Prima plan")
    assert p.status == S.FEASIBLE


def test_cost_adjustment_public_before_after(session, area, manager, resident):
    round_ = make_round(session, area, phase="review")
    p = make_proposal(session, round_, author=resident, status="in_review", estimated_cost_cents=100_000)
    with pytest.raises(ValidationFailed):
        ps.adjust_cost(session, p, actor=manager, cost_cents=120_000, reason="")
    ps.adjust_cost(session, p, actor=manager, cost_cents=120_000, reason="Fundering nodig")
    assert p.ballot_cost_cents == 120_000 and p.estimated_cost_cents == 100_000
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "proposal.cost"))
    assert entry.public and entry.before["cost_cents"] == 100_000 and entry.after["cost_cents"] == 120_000
    assert entry.reason == "Fundering nodig"


def test_merge_carries_supporters_without_duplicates(session, area, manager):
    round_ = make_round(session, area, phase="review")
    a, b, c, d = (make_resident(session, area) for _ in range(4))
    target = make_proposal(session, round_, author=a, status="in_review", supporters=[b, c])
    source = make_proposal(session, round_, author=d, status="in_review", supporters=[c, d, a])
    with pytest.raises(ValidationFailed):
        ps.merge_proposals(session, source, target, actor=manager, reason="")
    with pytest.raises(ValidationFailed):
        ps.merge_proposals(session, source, source, actor=manager, reason="zelfde")
    ps.merge_proposals(session, source, target, actor=manager, reason="Dubbel plan")
    assert source.status == S.MERGED and source.merged_into_id == target.id
    users = sorted(session.scalars(select(Support.user_id).where(Support.proposal_id == target.id)))
    assert users == sorted([a.id, b.id, c.id, d.id])
    assert d in target.coinitiators


def test_hide_needs_reason(session, area, manager, resident):
    round_ = make_round(session, area, phase="review")
    p = make_proposal(session, round_, author=resident, status="submitted")
    with pytest.raises(ValidationFailed):
        ps.hide_proposal(session, p, actor=manager, reason=" ")
    ps.hide_proposal(session, p, actor=manager, reason="Beledigende tekst")
    assert p.status == S.HIDDEN and p.hidden_reason == "Beledigende tekst"
    assert not ps.can_view(None, p) and ps.can_view(resident, p) and ps.can_view(manager, p)


@pytest.mark.parametrize("action", ["verdict", "cost", "merge", "hide"])
def test_project_list_frozen_once_voting_opens(session, area, manager, resident, action):
    round_ = make_round(session, area, phase="voting")
    p = make_proposal(session, round_, author=resident, status="feasible", estimated_cost_cents=1000)
    other = make_proposal(session, round_, author=resident, status="feasible")
    calls = {
        "verdict": lambda: ps.review_proposal(session, p, actor=manager, feasible=False, reason="x"),
        "cost": lambda: ps.adjust_cost(session, p, actor=manager, cost_cents=5000, reason="x"),
        "merge": lambda: ps.merge_proposals(session, p, other, actor=manager, reason="x"),
        "hide": lambda: ps.hide_proposal(session, p, actor=manager, reason="x"),
    }
    with pytest.raises(RoundFrozen):
        calls[action]()
    assert (p.status, p.ballot_cost_cents, p.merged_into_id) == (S.FEASIBLE, 1000, None)
    refused = session.scalar(select(AuditEntry).where(AuditEntry.action.like("%.refused")))
    assert refused is not None and refused.object_id == str(p.id) and not refused.public


def test_drafts_only_visible_to_author(session, area, resident, manager):
    round_ = make_round(session, area, phase="proposals")
    p = make_proposal(session, round_, author=resident, status="draft")
    assert ps.can_view(resident, p)
    assert not ps.can_view(None, p) and not ps.can_view(manager, p) and not ps.can_view(make_resident(session, area), p)


def test_search_filters_and_sort(session, area, resident):
    round_ = make_round(session, area, phase="support")
    a = make_proposal(session, round_, author=resident, status="submitted", title="Bankjes aan de dijk", estimated_cost_cents=500)
    b = make_proposal(session, round_, author=resident, status="submitted", title="AED bij de kerk", estimated_cost_cents=300)
    make_proposal(session, round_, author=resident, title="Geheim concept", status="draft")
    make_proposal(session, round_, author=resident, title="Verborgen bankjes", status="hidden")
    assert [p.id for p in ps.search_proposals(session, round_, text="bank")] == [a.id]
    assert [p.id for p in ps.search_proposals(session, round_, text="100%_")] == []
    assert [p.id for p in ps.search_proposals(session, round_, sort="kosten")] == [b.id, a.id]
    assert [p.id for p in ps.search_proposals(session, round_, sort="'; drop table proposals; --")] == [b.id, a.id]
    a.theme_id = round_.themes[0].id
    assert [p.id for p in ps.search_proposals(session, round_, theme_id=round_.themes[0].id)] == [a.id]
    assert ps.search_proposals(session, round_, status=S.FEASIBLE) == []
