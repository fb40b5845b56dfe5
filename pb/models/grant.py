"""Small grants (buurtbudget met mandaat): the area's pot and ledger, applications, backing,
decisions, accountability reports, stored files, and the admin's settings and mandates."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pb.db import Base, str_enum, utcnow
from pb.models.cost_line import CostLineColumns

if TYPE_CHECKING:
    from pb.models.agenda import AgendaItem
    from pb.models.area import Area
    from pb.models.user import User

class GrantSettings(Base):
    """What the admin sets per area for small grants."""

    __tablename__ = "grant_settings"
    __table_args__ = (
        CheckConstraint("min_backing >= 0", name="min_backing_not_negative"),
        CheckConstraint("ceiling_cents >= 0", name="ceiling_not_negative"),
        CheckConstraint("receipts_above_cents >= 0", name="receipts_not_negative"),
        CheckConstraint("service_days >= 1", name="service_days_positive"),
    )

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True)
    min_backing: Mapped[int] = mapped_column(Integer, default=3)
    # Above this amount an idea belongs in a round, not in a small grant.
    ceiling_cents: Mapped[int] = mapped_column(BigInteger, default=500_000)
    # Above this granted amount the report needs receipts.
    receipts_above_cents: Mapped[int] = mapped_column(BigInteger, default=50_000)
    service_days: Mapped[int] = mapped_column(Integer, default=10)


class GrantMandate(Base):
    """The amount up to which a decision-maker grants alone (set by the admin)."""

    __tablename__ = "grant_mandates"
    __table_args__ = (CheckConstraint("amount_cents >= 0", name="amount_not_negative"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger, default=0)


class GrantPot(Base):
    """An area's budget for one year. ``available_cents`` never drops below zero (check constraint);
    every commitment lowers it with one conditional UPDATE."""

    __tablename__ = "grant_pots"
    __table_args__ = (
        UniqueConstraint("area_id", "year"),
        CheckConstraint("available_cents >= 0", name="available_not_negative"),
        CheckConstraint("rounds_cents >= 0 AND grants_cents >= 0", name="parts_not_negative"),
        CheckConstraint("rounds_cents + grants_cents <= total_cents", name="parts_within_total"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    total_cents: Mapped[int] = mapped_column(BigInteger)
    rounds_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    grants_cents: Mapped[int] = mapped_column(BigInteger)
    available_cents: Mapped[int] = mapped_column(BigInteger)

    area: Mapped[Area] = relationship()


class LedgerKind(enum.StrEnum):
    """What a ledger line records."""

    COMMITMENT = "commitment"  # money promised by a grant (lowers what is available)
    PAYMENT = "payment"  # committed money paid out
    RETURN = "return"  # unspent or reclaimed money back into the pot


class LedgerEntry(Base):
    """One line of a pot's ledger; rows are only added."""

    __tablename__ = "grant_ledger_entries"
    __table_args__ = (CheckConstraint("amount_cents > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pot_id: Mapped[int] = mapped_column(ForeignKey("grant_pots.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("grant_applications.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[LedgerKind] = mapped_column(str_enum(LedgerKind, 16))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ApplicationStatus(enum.StrEnum):
    """Where an application stands in the decision."""

    SUBMITTED = "submitted"  # collecting backing, waiting for a decision
    QUESTION = "question"  # the manager asked the applicant something
    AWAITING_SECOND = "awaiting_second"  # granted above the mandate, a second decision-maker must agree
    GRANTED = "granted"
    REFUSED = "refused"
    MOVED_TO_ROUND = "moved_to_round"  # too large: went into a round as a proposal
    WITHDRAWN = "withdrawn"


class GrantApplication(Base):
    """An application (aanvraag) for a small grant from a resident or an organisation."""

    __tablename__ = "grant_applications"
    __table_args__ = (
        CheckConstraint("requested_cents >= 0", name="requested_not_negative"),
        CheckConstraint("granted_cents IS NULL OR granted_cents > 0", name="granted_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    # The resident, or the organisation's contact person (a verified resident).
    applicant_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    show_name: Mapped[bool] = mapped_column(Boolean, default=False)  # the resident's own choice
    organisation_name: Mapped[str] = mapped_column(String(200), default="")
    kvk_number: Mapped[str] = mapped_column(String(8), default="")
    # Set when information-point staff filed it for the resident.
    assisted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    planned_on: Mapped[dt.date | None] = mapped_column(Date)
    own_contribution_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    volunteer_hours: Mapped[int] = mapped_column(Integer, default=0)
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_items.id", ondelete="SET NULL"), index=True)
    requested_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[ApplicationStatus] = mapped_column(
        str_enum(ApplicationStatus), default=ApplicationStatus.SUBMITTED, index=True
    )
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The service-level clock; it restarts when the applicant answers a question.
    clock_started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # A grant waiting for the second decision-maker: amount, conditions and who proposed it.
    pending_cents: Mapped[int | None] = mapped_column(BigInteger)
    pending_conditions: Mapped[str] = mapped_column(Text, default="")
    pending_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    granted_cents: Mapped[int | None] = mapped_column(BigInteger)
    conditions: Mapped[str] = mapped_column(Text, default="")
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    question: Mapped[str] = mapped_column(Text, default="")
    answer: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[dt.datetime | None]
    pot_id: Mapped[int | None] = mapped_column(ForeignKey("grant_pots.id", ondelete="SET NULL"))
    paid: Mapped[bool] = mapped_column(Boolean, default=False)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id", ondelete="SET NULL"))

    area: Mapped[Area] = relationship()
    applicant: Mapped[User | None] = relationship(foreign_keys=[applicant_id])
    agenda_item: Mapped[AgendaItem | None] = relationship()
    cost_lines: Mapped[list[GrantCostLine]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="GrantCostLine.position"
    )
    report: Mapped[GrantReport | None] = relationship(back_populates="application", uselist=False)

    @property
    def is_open(self) -> bool:
        """Waiting for a decision (by a manager or the applicant)."""
        return self.status in (ApplicationStatus.SUBMITTED, ApplicationStatus.QUESTION,
                               ApplicationStatus.AWAITING_SECOND)


class GrantCostLine(CostLineColumns, Base):
    """One cost line of an application."""

    __tablename__ = "grant_cost_lines"
    __table_args__ = (CheckConstraint("amount_cents > 0", name="amount_positive"),)

    application_id: Mapped[int] = mapped_column(ForeignKey("grant_applications.id", ondelete="CASCADE"), index=True)

    application: Mapped[GrantApplication] = relationship(back_populates="cost_lines")


class Backing(Base):
    """A verified resident of the area backs an application online; once per resident."""

    __tablename__ = "grant_backings"
    __table_args__ = (UniqueConstraint("application_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("grant_applications.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PaperBacking(Base):
    """Signatures collected on paper, counted by staff; the list's scan is kept for the manager."""

    __tablename__ = "grant_paper_backings"
    __table_args__ = (CheckConstraint("signatures > 0", name="signatures_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("grant_applications.id", ondelete="CASCADE"), index=True)
    signatures: Mapped[int] = mapped_column(Integer)
    scan_id: Mapped[int] = mapped_column(ForeignKey("grant_files.id"))
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class DecisionKind(enum.StrEnum):
    """One step of a decision."""

    GRANT = "grant"  # granted within the decider's mandate, or agreed as second decision-maker
    PROPOSE = "propose"  # granted above the mandate: waits for a second decision-maker
    DISAGREE = "disagree"  # the second decision-maker does not agree
    REFUSE = "refuse"
    QUESTION = "question"


class GrantDecision(Base):
    """Who decided what on an application, when (the decision trail)."""

    __tablename__ = "grant_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("grant_applications.id", ondelete="CASCADE"), index=True)
    kind: Mapped[DecisionKind] = mapped_column(str_enum(DecisionKind, 16))
    decider_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    amount_cents: Mapped[int | None] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ReportStatus(enum.StrEnum):
    """Where the accountability report stands."""

    SUBMITTED = "submitted"
    MORE_REQUESTED = "more_requested"
    ACCEPTED = "accepted"
    RECLAIMED = "reclaimed"


class GrantReport(Base):
    """The applicant's account of what happened (verantwoording), with actual costs."""

    __tablename__ = "grant_reports"
    __table_args__ = (
        CheckConstraint("actual_cents >= 0", name="actual_not_negative"),
        CheckConstraint("reclaimed_cents >= 0", name="reclaimed_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("grant_applications.id", ondelete="CASCADE"), unique=True
    )
    text: Mapped[str] = mapped_column(Text)
    actual_cents: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[ReportStatus] = mapped_column(str_enum(ReportStatus, 16), default=ReportStatus.SUBMITTED)
    manager_note: Mapped[str] = mapped_column(Text, default="")
    reclaimed_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    reviewed_at: Mapped[dt.datetime | None]

    application: Mapped[GrantApplication] = relationship(back_populates="report")


class FileKind(enum.StrEnum):
    """What a stored file is; it decides who may see it."""

    PHOTO = "photo"  # the application's photo (public)
    REPORT_PHOTO = "report_photo"  # a photo in the report (public)
    RECEIPT = "receipt"  # a receipt (managers and the applicant)
    SCAN = "scan"  # a scanned signature list (managers and staff)


class GrantFile(Base):
    """An uploaded file, kept in the database (app hosts keep no state); images re-encoded."""

    __tablename__ = "grant_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("grant_applications.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[FileKind] = mapped_column(str_enum(FileKind, 16))
    content_type: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
