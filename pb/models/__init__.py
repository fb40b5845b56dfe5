"""Typed SQLAlchemy models, one module per aggregate. Importing this package registers them all."""

from pb.models.agenda import AgendaItem
from pb.models.area import Area, AreaPostcode, area_managers
from pb.models.assistance import Assistance, AssistKind
from pb.models.audit import AuditEntry
from pb.models.ballot import (Ballot, BallotItem, BallotSealKey, Channel, PaperEntry, Participation, RoundSeal,
                              SealedBallot)
from pb.models.grant import (
    ApplicationStatus, Backing, DecisionKind, FileKind, GrantApplication, GrantCostLine, GrantDecision, GrantFile,
    GrantMandate, GrantPot, GrantReport, GrantSettings, LedgerEntry, LedgerKind, PaperBacking, ReportStatus,
)
from pb.models.job import Job, JobStatus
from pb.models.municipality import MunicipalityFace
from pb.models.outbox import OutboxMessage
from pb.models.implementation import Implementation, ImplementationStatus, Milestone
from pb.models.notification import (
    Follow,
    NotificationKind,
    NotificationSent,
    NotificationSettings,
    NotificationWatermark,
)
from pb.models.proposal import CostLine, Proposal, ProposalStatus, Support, proposal_coinitiators
from pb.models.register import LetterCode, RegisterEntry, VerificationFailure, VerificationThrottle
from pb.models.result import RoundImport, RoundResult
from pb.models.residency import Residency, VerificationMethod
from pb.models.round import BallotType, BudgetRound, CountingRule, Phase, RoundNeighbourhood, RoundTheme, TieBreak
from pb.models.stored_file import StoredFile, StoredFileChunk
from pb.models.user import Role, User
from pb.models.widget import WidgetOrigin

__all__ = [
    "Assistance", "AssistKind",
    "AgendaItem", "ApplicationStatus", "Backing", "DecisionKind", "FileKind", "GrantApplication", "GrantCostLine",
    "GrantDecision", "GrantFile", "GrantMandate", "GrantPot", "GrantReport", "GrantSettings", "LedgerEntry",
    "LedgerKind", "PaperBacking", "ReportStatus",
    "Follow",
    "Implementation",
    "ImplementationStatus",
    "Milestone",
    "MunicipalityFace",
    "NotificationKind",
    "NotificationSent",
    "NotificationSettings",
    "NotificationWatermark",
    "RoundSeal",
    "SealedBallot",
    "VerificationThrottle",
    "Participation",
    "PaperEntry",
    "Channel",
    "BallotSealKey",
    "BallotItem",
    "Ballot",
    "Area",
    "AreaPostcode",
    "AuditEntry",
    "BallotType",
    "BudgetRound",
    "CostLine",
    "CountingRule",
    "Phase",
    "Job",
    "JobStatus",
    "OutboxMessage",
    "LetterCode",
    "Proposal",
    "ProposalStatus",
    "RegisterEntry",
    "Residency",
    "Role",
    "RoundImport",
    "RoundResult",
    "RoundNeighbourhood",
    "RoundTheme",
    "StoredFile",
    "StoredFileChunk",
    "Support",
    "TieBreak",
    "User",
    "VerificationFailure",
    "VerificationMethod",
    "WidgetOrigin",
    "area_managers",
    "proposal_coinitiators",
]
