"""The address register (from the BRP), letter codes and failed verification attempts.

Register rows and code HMACs exist only until an area's rounds are published; then
``pb purge-register`` removes them and only the residencies remain.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pb.db import Base, utcnow

if TYPE_CHECKING:
    from pb.models.area import Area


class RegisterEntry(Base):
    """One address with the number of residents there who may take part.

    ``verified_count`` counts the accounts verified on this address; it is raised with a guarded
    ``UPDATE ... WHERE verified_count < eligible_count`` so concurrent verifications can never
    exceed ``eligible_count``.
    """

    __tablename__ = "register_entries"
    __table_args__ = (
        UniqueConstraint("postcode", "huisnummer", "toevoeging"),
        CheckConstraint("eligible_count >= 0", name="eligible_not_negative"),
        CheckConstraint("verified_count <= eligible_count", name="verified_within_eligible"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    postcode: Mapped[str] = mapped_column(String(6))  # normalised: 1234AB
    huisnummer: Mapped[int] = mapped_column(Integer)
    toevoeging: Mapped[str] = mapped_column(String(8), default="")  # upper case, "" when none
    eligible_count: Mapped[int] = mapped_column(Integer, default=1)
    verified_count: Mapped[int] = mapped_column(Integer, default=0)
    birth_year: Mapped[int | None] = mapped_column(Integer)
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    area: Mapped[Area] = relationship()

    @property
    def address(self) -> str:
        """The address as printed: ``7071 AB 12-A``."""
        number = f"{self.huisnummer}-{self.toevoeging}" if self.toevoeging else str(self.huisnummer)
        return f"{self.postcode[:4]} {self.postcode[4:]} {number}"

    @property
    def places_left(self) -> int:
        """How many more accounts may still be verified on this address."""
        return max(self.eligible_count - self.verified_count, 0)


class LetterCode(Base):
    """A single-use verification code, stored only as an HMAC (never the code itself)."""

    __tablename__ = "letter_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    register_entry_id: Mapped[int] = mapped_column(
        ForeignKey("register_entries.id", ondelete="CASCADE"), index=True
    )
    code_hmac: Mapped[str] = mapped_column(String(64), unique=True)
    batch: Mapped[str] = mapped_column(String(32), index=True)
    valid_until: Mapped[dt.date]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    used_at: Mapped[dt.datetime | None]

    register_entry: Mapped[RegisterEntry] = relationship()


class VerificationFailure(Base):
    """A failed verification attempt; counted per account and per IP address for throttling.

    Kept in the database, not the session, so a fresh cookie does not reset the count.
    """

    __tablename__ = "verification_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    ip: Mapped[str] = mapped_column(String(45), index=True)


class VerificationThrottle(Base):
    """Attempts at a letter code, per account (``user:<id>``) and per typed address
    (``address:<keyed hash>``), counted with one conditional UPDATE so concurrent attempts can
    never pass the limit (see pb.services.residency)."""

    __tablename__ = "verification_throttles"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    level: Mapped[int] = mapped_column(Integer, default=0)  # locks so far: 5, then 15, then 60 minutes
    locked_until: Mapped[dt.datetime | None]
    last_attempt_at: Mapped[dt.datetime | None]  # attempts older than a day are forgotten
