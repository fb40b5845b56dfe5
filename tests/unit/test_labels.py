"""The one vocabulary (pb.labels): every status, phase, rule and setting has a plain label in Dutch
and in English, and no label is an internal id."""

from __future__ import annotations

import enum
import re

import pytest
from flask import Flask
from flask_babel import force_locale

from pb import labels
from pb.models.grant import ApplicationStatus, DecisionKind, LedgerKind, ReportStatus
from pb.models.implementation import ImplementationStatus
from pb.models.proposal import ProposalStatus
from pb.models.round import BallotType, CountingRule, Phase, TieBreak
from pb.tally.rules import RULES

ENUM_TABLES: list[tuple[type[enum.Enum], dict]] = [
    (Phase, labels.PHASE),
    (BallotType, labels.BALLOT_TYPE),
    (CountingRule, labels.COUNTING_RULE),
    (TieBreak, labels.TIE_BREAK),
    (ProposalStatus, labels.PROPOSAL_STATUS),
    (ImplementationStatus, labels.IMPLEMENTATION_STATUS),
    (ApplicationStatus, labels.GRANT_STATUS),
    (ReportStatus, labels.REPORT_STATUS),
    (LedgerKind, labels.LEDGER),
    (DecisionKind, labels.DECISION),
]
LOOKUPS = [
    (Phase, labels.phase_label),
    (BallotType, labels.ballot_type_label),
    (CountingRule, labels.counting_rule_label),
    (TieBreak, labels.tie_break_label),
    (ProposalStatus, labels.proposal_status_label),
    (ImplementationStatus, labels.implementation_status_label),
    (ApplicationStatus, labels.grant_status_label),
    (ReportStatus, labels.report_status_label),
    (LedgerKind, labels.ledger_label),
    (DecisionKind, labels.decision_label),
]
ID_LIKE = re.compile(r"[_/]|^[a-z]+-[a-z-]+$")  # snake_case, a/b, kebab-case


@pytest.fixture
def app_context(app: Flask):
    with app.app_context():
        yield


@pytest.mark.parametrize(("kind", "table"), ENUM_TABLES, ids=lambda v: getattr(v, "__name__", ""))
def test_every_member_has_a_label(kind, table):
    assert set(kind) <= set(table)


@pytest.mark.parametrize(("kind", "lookup"), LOOKUPS, ids=lambda v: getattr(v, "__name__", ""))
def test_lookups_accept_members_and_stored_text_in_both_languages(app_context, kind, lookup):
    for member in kind:
        with force_locale("nl"):
            dutch = lookup(member)
            assert lookup(member.value) == dutch
        with force_locale("en"):
            english = lookup(member.value)
        assert dutch and english and not ID_LIKE.search(dutch) and not ID_LIKE.search(english), member
        assert dutch != member.value and dutch != english


def test_every_engine_rule_has_a_plain_name_never_its_id(app_context):
    for rule in RULES:
        for lang in ("nl", "en"):
            with force_locale(lang):
                name = labels.rule_label(rule)
            assert rule not in name and "equalshares" not in name and not ID_LIKE.search(name), (rule, name)
    with force_locale("nl"):
        assert labels.rule_label("equalshares/add1") == labels.counting_rule_label(CountingRule.EQUAL_SHARES)
        assert labels.rule_label("something-new") == "Een andere telregel"
    with force_locale("en"):
        assert labels.rule_label("something-new") != "Een andere telregel"


def test_audit_actions_never_show_their_key(app_context):
    with force_locale("nl"):
        assert labels.action_label("proposal.merge") == "Plannen samengevoegd"
        assert labels.action_label("grant.reclaim") == "Geld teruggevraagd"
        assert labels.action_label("no.such_action") == "Wijziging"
    for action in labels.AUDIT_ACTION:
        with force_locale("en"):
            assert action not in labels.action_label(action)


def test_history_names_public_fields_only(app_context):
    with force_locale("nl"):
        assert labels.history_field_label("voting_open_at") == "Stemmen opent"
        assert labels.history_field_label("counting_rule") == "Telregel"
    assert labels.history_field_label("ballots_sha256") is None


def test_no_other_module_holds_a_label_table():
    """The tables moved here; a copy elsewhere would drift (issue 11)."""
    from pathlib import Path

    root = Path(labels.__file__).parent
    pattern = re.compile(r"^(?:[A-Z_]*_LABELS|STATUS_LABELS)\s*=\s*\{", re.M)
    allowed = {"views/jobs.py", "forms/after_vote.py"}  # job kinds and message kinds: their own pages
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py")
                 if pattern.search(p.read_text(encoding="utf-8")) and str(p.relative_to(root)) not in allowed]
    assert not offenders
