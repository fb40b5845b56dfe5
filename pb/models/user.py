"""Accounts and roles."""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from typing import TYPE_CHECKING

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pb.db import Base, str_enum, utcnow

if TYPE_CHECKING:
    from pb.models.area import Area
    from pb.models.residency import Residency


class Role(enum.StrEnum):
    """What an account may do; managers are further scoped to their areas."""

    RESIDENT = "resident"
    STAFF = "staff"  # information-point worker
    MANAGER = "manager"  # gebiedsregisseur
    ADMIN = "admin"  # municipality


def new_session_token() -> str:
    """Return a fresh random token that binds login cookies to the account's current state."""
    return secrets.token_urlsafe(16)


class User(Base):
    """An account. Residents may have no e-mail when staff created the account in person."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    username: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(
        str_enum(Role, 16),
        default=Role.RESIDENT,
    )
    email_confirmed_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Rotated on password change and role change: every older login cookie stops working.
    session_token: Mapped[str] = mapped_column(String(32), default=new_session_token)

    managed_areas: Mapped[list[Area]] = relationship(
        secondary="area_managers", back_populates="managers", order_by="Area.name"
    )
    residencies: Mapped[list[Residency]] = relationship(
        back_populates="user", cascade="all, delete-orphan", foreign_keys="Residency.user_id"
    )

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        """Every loaded account is authenticated."""
        return True

    @property
    def is_active(self) -> bool:
        """Accounts with an e-mail address must confirm it before logging in."""
        return self.email is None or self.email_confirmed_at is not None

    @property
    def is_anonymous(self) -> bool:
        """A loaded account is never anonymous."""
        return False

    def get_id(self) -> str:
        """Return the login cookie id: account id plus the current session token."""
        return f"{self.id}.{self.session_token}"

    def rotate_session_token(self) -> None:
        """Invalidate every existing login of this account."""
        self.session_token = new_session_token()

    @property
    def login_name(self) -> str:
        """What the person types to log in."""
        return self.email or self.username or ""

    def has_role(self, *roles: Role) -> bool:
        """Whether the account has one of ``roles`` (admins have every role)."""
        return self.role == Role.ADMIN or self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"
