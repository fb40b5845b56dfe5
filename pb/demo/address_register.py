"""Demo: a few addresses per demo area in the address register (BAG columns; made-up streets)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pb.models.area import Area
from pb.models.register import RegisterEntry
from pb.services.register_import import import_addresses

# A few addresses per demo area (street, postcode, huisnummer, huisletter, toevoeging, woonplaats,
# eligible, birth year). Street names are made up for the demo.
DEMO_REGISTER: dict[str, list[tuple[str, str, int, str, str, str, int, int | None]]] = {
    "ulft": [("Dorpsstraat", "7071AA", 1, "", "", "Ulft", 2, None), ("Dorpsstraat", "7071AA", 3, "", "", "Ulft", 1, None),
             ("Kerkstraat", "7071AB", 12, "A", "", "Ulft", 1, None), ("Molenweg", "7072BC", 5, "", "", "Ulft", 3, None),
             ("Molenweg", "7072BC", 7, "", "", "Ulft", 1, 2012)],
    "gendringen": [("Hoofdstraat", "7081AA", 2, "", "", "Gendringen", 2, None),
                   ("Schoolstraat", "7081AB", 10, "", "", "Gendringen", 1, None),
                   ("Veldweg", "7081AC", 4, "B", "", "Gendringen", 1, None)],
    "silvolde-terborg": [("Markt", "7061AA", 8, "", "", "Terborg", 2, None),
                         ("Kastanjelaan", "7064AB", 15, "", "", "Silvolde", 1, None),
                         ("Eikenlaan", "7064AC", 21, "", "", "Silvolde", 1, 2010)],
    "varsseveld": [("Stationsstraat", "7051AA", 1, "", "", "Varsseveld", 2, None),
                   ("Lindelaan", "7052AB", 33, "", "", "Varsseveld", 1, None),
                   ("Beukenlaan", "7052AC", 9, "", "1", "Varsseveld", 1, None)],
}


def load_demo_register(session: Session) -> int:
    """Import the demo addresses that are missing (idempotent); return how many were added."""
    have = set(session.execute(select(RegisterEntry.postcode, RegisterEntry.huisnummer, RegisterEntry.huisletter,
                                      RegisterEntry.huisnummertoevoeging)).all())
    lines = ["openbare_ruimte;huisnummer;huisletter;huisnummertoevoeging;postcode;woonplaats;gebied;"
             "aantal_stemgerechtigden;geboortejaar"]
    for slug, rows in DEMO_REGISTER.items():
        if session.scalar(select(Area.id).where(Area.slug == slug)) is None:
            continue
        for street, pc, nr, letter, add, town, eligible, year in rows:
            if (pc, nr, letter, add) not in have:
                lines.append(f"{street};{nr};{letter};{add};{pc};{town};{slug};{eligible};{year or ''}")
    if len(lines) == 1:
        return 0
    return import_addresses(session, "\n".join(lines).encode(), actor=None).created


# Where `make run` serves the app; the lines below are printed by `pb demo` and copied in the README.
DEMO_BASE_URL = "http://127.0.0.1:5000"
DEMO_CODE_AREA = "ulft"


def address_line(street: str, postcode: str, nr: int, letter: str, addition: str, town: str) -> str:
    """An address as a resident writes it: "Kerkstraat 12A, 7071 AB Ulft" (addition after a dash)."""
    number = f"{nr}{letter}" + (f"-{addition}" if addition else "")
    return f"{street} {number}, {postcode[:4]} {postcode[4:]} {town}"


def register_lines() -> list[str]:
    """The demo register, one line per area: its slug and its addresses."""
    return [f"  {slug}: " + "; ".join(address_line(*row[:6]) for row in rows) for slug, rows in DEMO_REGISTER.items()]


def letter_code_steps() -> list[str]:
    """How to get a letter code for a demo address and use it (a test follows these steps)."""
    return [
        f"  1. .venv/bin/flask --app wsgi pb letter-codes {DEMO_CODE_AREA} --csv letter-codes-{DEMO_CODE_AREA}.csv --yes",
        "     writes one new code per address of the area to the CSV (another area: use its slug from the list above).",
        f"  2. Make an account at {DEMO_BASE_URL}/register; the confirmation e-mail is printed by the worker and "
        "saved in instance/outbox/.",
        f"  3. Log in, open {DEMO_BASE_URL}/verify and type the postcode, the house number and the code from your "
        "address's row in the CSV.",
    ]
