"""The demo municipality: loaded by ``pb demo``, idempotently. Later features add to it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from pb.db import utcnow
from pb.demo import address_register as demo_register
from pb.demo import grants as demo_grants
from pb.demo import municipality as demo_municipality
from pb.demo import results as demo_results
from pb.demo import rounds as demo_rounds
from pb.demo import voting as demo_voting
from pb.models.area import Area
from pb.models.residency import Residency, VerificationMethod
from pb.models.user import Role, User
from pb.services import accounts, areas

DEMO_PASSWORD = "buurtbudget-demo"

DEMO_AREAS = [
    ("Ulft", "ulft", "Dorp aan de Oude IJssel, met de DRU-fabriek en het Ulftse bos.", ["7071", "7072"]),
    ("Gendringen", "gendringen", "Het oudste dorp van de gemeente, vlak bij de Duitse grens.", ["7081"]),
    ("Silvolde-Terborg", "silvolde-terborg", "Twee dorpen aan de Oude IJssel die samen één wijkbudget hebben.", ["7061", "7064"]),
    ("Varsseveld", "varsseveld", "Dorp in de Achterhoek, bekend om de Slingeland en de vrijdagmarkt.", ["7051", "7052"]),
]

# (role label, email, name, role, managed area slugs, resident of)
DEMO_USERS = [
    ("beheerder gemeente", "admin@buurtbudget.test", "Anne de Beheerder", Role.ADMIN, [], None),
    ("gebiedsregisseur", "regisseur@buurtbudget.test", "Gerrit Regisseur", Role.MANAGER, ["ulft", "gendringen"], None),
    ("gebiedsregisseur", "regisseur2@buurtbudget.test", "Fatima El Amrani", Role.MANAGER, ["silvolde-terborg", "varsseveld"], None),
    ("medewerker infopunt", "infopunt@buurtbudget.test", "Sanne van het Infopunt", Role.STAFF, ["ulft", "gendringen"], None),
    ("medewerker infopunt", "infopunt2@buurtbudget.test", "Joost Bakker", Role.STAFF, ["silvolde-terborg", "varsseveld"], None),
    ("bewoner Ulft", "bewoner@buurtbudget.test", "Jan Jansen", Role.RESIDENT, [], "ulft"),
    ("bewoner Ulft", "buurvrouw@buurtbudget.test", "Mien Hendriks", Role.RESIDENT, [], "ulft"),
    ("bewoner Varsseveld", "varsseveld@buurtbudget.test", "Kees Wolters", Role.RESIDENT, [], "varsseveld"),
]


_DEMO_BIRTH_DATES = {
    "bewoner@buurtbudget.test": dt.date(1951, 5, 3),
    "buurvrouw@buurtbudget.test": dt.date(1987, 11, 20),
    "varsseveld@buurtbudget.test": dt.date(1969, 8, 9),
}


@dataclass(frozen=True)
class DemoLoaded:
    """What ``pb demo`` tells: the logins (role, e-mail, password) and notes on skipped parts."""

    logins: list[tuple[str, str, str]]
    notes: list[str]


def load_demo(session: Session) -> DemoLoaded:
    """Create the demo areas, accounts, rounds, register and results that are missing."""
    for name, slug, description, postcodes in DEMO_AREAS:
        if session.scalar(select(Area).where(Area.slug == slug)) is None:
            areas.create_area(
                session, actor=None,
                data=areas.AreaData(name=name, slug=slug, description=description,
                                    postcodes=postcodes, manager_ids=[]),
            )
    logins = []
    for label, email, name, role, managed, resident_of in DEMO_USERS:
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            user = accounts.create_user(
                session, actor=None, email=email, name=name, password=DEMO_PASSWORD,
                role=role, area_slugs=managed,
            )
        if managed and not user.managed_areas:  # an older demo's information-point worker had no areas
            user.managed_areas = [areas.get_by_slug(session, slug) for slug in managed]
        if resident_of and not user.residencies:
            area = areas.get_by_slug(session, resident_of)
            # Birth dates let the demo residents take part in rounds with an age limit.
            session.add(Residency(user=user, area=area, method=VerificationMethod.IN_PERSON,
                                  verified_at=utcnow(), birth_date=_DEMO_BIRTH_DATES[email]))
        logins.append((label, email, DEMO_PASSWORD))
    session.flush()
    demo_voting.load_demo_voting(session)
    demo_rounds.load_demo_rounds(session, DEMO_PASSWORD)
    demo_register.load_demo_register(session)
    results_note = demo_results.load_demo_results(session)
    demo_grants.load_demo_grants(session, DEMO_PASSWORD)
    demo_municipality.load_demo_face(session)
    return DemoLoaded(logins=logins, notes=[results_note])
