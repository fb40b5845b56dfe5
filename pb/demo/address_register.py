"""Demo: a few addresses per demo area in the address register."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pb.models.area import Area
from pb.models.register import RegisterEntry
from pb.services.address_register import import_addresses

# A few addresses per demo area (postcode, huisnummer, toevoeging, eligible, birth year).
DEMO_REGISTER: dict[str, list[tuple[str, int, str, int, int | None]]] = {
    "ulft": [("7071AA", 1, "", 2, None), ("7071AA", 3, "", 1, None), ("7071AB", 12, "A", 1, None),
             ("7072BC", 5, "", 3, None), ("7072BC", 7, "", 1, 2012)],
    "gendringen": [("7081AA", 2, "", 2, None), ("7081AB", 10, "", 1, None), ("7081AC", 4, "B", 1, None)],
    "silvolde-terborg": [("7061AA", 8, "", 2, None), ("7064AB", 15, "", 1, None), ("7064AC", 21, "", 1, 2010)],
    "varsseveld": [("7051AA", 1, "", 2, None), ("7052AB", 33, "", 1, None), ("7052AC", 9, "1", 1, None)],
}


def load_demo_register(session: Session) -> int:
    """Import the demo addresses that are missing (idempotent); return how many were added."""
    have = set(session.execute(select(RegisterEntry.postcode, RegisterEntry.huisnummer, RegisterEntry.toevoeging)).all())
    lines = ["postcode;huisnummer;toevoeging;gebied;aantal_stemgerechtigden;geboortejaar"]
    for slug, rows in DEMO_REGISTER.items():
        if session.scalar(select(Area.id).where(Area.slug == slug)) is None:
            continue
        for pc, nr, add, eligible, year in rows:
            if (pc, nr, add) not in have:
                lines.append(f"{pc};{nr};{add};{slug};{eligible};{year or ''}")
    if len(lines) == 1:
        return 0
    return import_addresses(session, "\n".join(lines).encode(), actor=None).created
