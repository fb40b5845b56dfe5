"""The address register (from the BRP), letter codes and failed verification attempts.

Register rows and code HMACs exist only until an area's rounds are published; then
``pb purge-register`` removes them and only the residencies remain.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pb.db import Base, utcnow

if TYPE_CHECKING:
    from pb.models.area import Area


class BagAddress:
    """How an address with BAG parts is written; shared by register rows and letters."""

    if TYPE_CHECKING:  # provided by the class that mixes this in (annotations would confuse the mapper)
        street: str
        huisnummer: int
        huisletter: str
        huisnummertoevoeging: str
        postcode: str
        woonplaats: str

    @property
    def house_number(self) -> str:
        """Huisnummer, huisletter and toevoeging as written on an envelope: ``12A-2``."""
        return format_house_number(self.huisnummer, self.huisletter, self.huisnummertoevoeging)

    @property
    def suffix(self) -> str:
        """Huisletter and toevoeging together (``A2``), as a resident may type them in one field."""
        return self.huisletter + self.huisnummertoevoeging

    @property
    def postal_lines(self) -> tuple[str, str]:
        """The two address lines of a letter: ``Dorpsstraat 12A-2`` and ``7071 AB  ULFT``."""
        street = f"{self.street} {self.house_number}" if self.street else self.house_number
        town = f"{self.postcode[:4]} {self.postcode[4:]}"
        return street, f"{town}  {self.woonplaats.upper()}" if self.woonplaats else town

    @property
    def address(self) -> str:
        """The address on one line: ``Dorpsstraat 12A-2, 7071 AB Ulft`` (``7071 AB 12A-2`` without street)."""
        postcode = f"{self.postcode[:4]} {self.postcode[4:]}"
        if not self.street:
            return f"{postcode} {self.house_number}"
        return f"{self.street} {self.house_number}, {postcode} {self.woonplaats}".rstrip()


_INCOMPLETE = "street = '' OR woonplaats = ''"


class RegisterEntry(BagAddress, Base):
    """One address (as in the BAG) with the number of residents there who may take part.

    The address follows the national address register (BAG): ``street`` (openbare ruimte),
    ``huisnummer``, ``huisletter`` (one letter), ``huisnummertoevoeging`` (up to four letters or
    digits; older imports may hold up to eight), ``postcode`` and ``woonplaats``. Street and
    woonplaats are empty for addresses imported in the older format without them.

    ``verified_count`` counts the accounts verified on this address; it is raised with a guarded
    ``UPDATE ... WHERE verified_count < eligible_count`` so concurrent verifications can never
    exceed ``eligible_count``.
    """

    __tablename__ = "register_entries"
    __table_args__ = (
        Index("ux_register_entries_address", "postcode", "huisnummer", "huisletter", "huisnummertoevoeging",
              unique=True),
        # An area's addresses in postcode order, a page at a time (letter codes); ``id`` last, so
        # counting an area's addresses or joining its codes reads the index only.
        Index("ix_register_entries_area_address", "area_id", "postcode", "huisnummer", "huisletter",
              "huisnummertoevoeging", "id"),
        # Addresses without street or woonplaats (older imports): usually none, so counting them is free.
        Index("ix_register_entries_incomplete", "area_id", postgresql_where=text(_INCOMPLETE),
              sqlite_where=text(_INCOMPLETE)),
        CheckConstraint("eligible_count >= 0", name="eligible_not_negative"),
        CheckConstraint("verified_count <= eligible_count", name="verified_within_eligible"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"))
    street: Mapped[str] = mapped_column(String(80), default="", server_default="")
    huisnummer: Mapped[int] = mapped_column(Integer)
    huisletter: Mapped[str] = mapped_column(String(1), default="", server_default="")  # upper case
    huisnummertoevoeging: Mapped[str] = mapped_column(String(8), default="")  # upper case, "" when none
    postcode: Mapped[str] = mapped_column(String(6))  # normalised: 1234AB
    woonplaats: Mapped[str] = mapped_column(String(80), default="", server_default="")
    eligible_count: Mapped[int] = mapped_column(Integer, default=1)
    verified_count: Mapped[int] = mapped_column(Integer, default=0)
    birth_year: Mapped[int | None] = mapped_column(Integer)
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    area: Mapped[Area] = relationship()

    @property
    def places_left(self) -> int:
        """How many more accounts may still be verified on this address."""
        return max(self.eligible_count - self.verified_count, 0)


def format_house_number(huisnummer: int, huisletter: str, toevoeging: str) -> str:
    """``12``, ``12A``, ``12-2``, ``12A-2``: how Dutch addresses write the parts together."""
    text = f"{huisnummer}{huisletter}"
    return f"{text}-{toevoeging}" if toevoeging else text


class LetterCode(Base):
    """A single-use verification code, stored only as an HMAC (never the code itself)."""

    __tablename__ = "letter_codes"
    __table_args__ = (
        # The unused codes (the register and letter-code pages count them per area).
        Index("ix_letter_codes_unused", "register_entry_id", postgresql_where=text("used_at IS NULL"),
              sqlite_where=text("used_at IS NULL")),
    )

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
