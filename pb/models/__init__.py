"""Typed SQLAlchemy models, one module per aggregate. Importing this package registers them all."""

from pb.models.area import Area, AreaPostcode, area_managers
from pb.models.audit import AuditEntry
from pb.models.implementation import Implementation, ImplementationStatus, Milestone
from pb.models.ballot import Ballot, BallotItem, BallotSealKey, Channel, PaperEntry, Participation, RoundSeal
from pb.models.notification import Follow, NotificationKind, NotificationSent, NotificationSettings
from pb.models.proposal import CostLine, Proposal, ProposalStatus, Support, proposal_coinitiators
from pb.models.register import LetterCode, RegisterEntry, VerificationFailure
from pb.models.result import RoundImport, RoundResult
from pb.models.residency import Residency, VerificationMethod
from pb.models.round import BallotType, BudgetRound, CountingRule, Phase, RoundNeighbourhood, RoundTheme, TieBreak
from pb.models.user import Role, User

__all__ = [
    "Follow",
    "Implementation",
    "ImplementationStatus",
    "Milestone",
    "NotificationKind",
    "NotificationSent",
    "NotificationSettings",
    "RoundSeal",
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
    "Support",
    "TieBreak",
    "User",
    "VerificationFailure",
    "VerificationMethod",
    "area_managers",
    "proposal_coinitiators",
]
