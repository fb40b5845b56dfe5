"""Typed SQLAlchemy models, one module per aggregate. Importing this package registers them all."""

from pb.models.area import Area, AreaPostcode, area_managers
from pb.models.audit import AuditEntry
from pb.models.residency import Residency, VerificationMethod
from pb.models.user import Role, User

__all__ = [
    "Area",
    "AreaPostcode",
    "AuditEntry",
    "Residency",
    "Role",
    "User",
    "VerificationMethod",
    "area_managers",
]
