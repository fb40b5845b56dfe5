"""Demo: one real Dutch round (Assen 2024) imported and published.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from pb.models.area import Area
from pb.models.result import RoundImport
from pb.services import areas
from pb.services.pabulib_import import import_pabulib, pabulib_dir
from pb.services.results import publish_results

DEMO_FILE = "Netherlands_Assen_2024.pb"


DEMO_AREA = "assen"
DEMO_AREA_NAME = "Assen (voorbeeld)"
DEMO_AREA_DESCRIPTION = ("Geen deel van onze gemeente: hier staat de echte uitslag van Assen 2024 uit pabulib, "
                         "als voorbeeld van een gepubliceerde ronde.")


def _area(session: Session) -> Area:
    area = session.scalar(select(Area).where(Area.slug == DEMO_AREA))
    if area is None:
        area = areas.create_area(session, actor=None, data=areas.AreaData(
            name=DEMO_AREA_NAME, slug=DEMO_AREA, description=DEMO_AREA_DESCRIPTION, postcodes=[], manager_ids=[]))
    return area


def load_demo_results(session: Session) -> str:
    """Demo: import and publish one real Dutch round (Assen 2024) once, in an area of its own;
    log and return a note (saying why it was skipped when the pabulib folder is missing)."""
    path = pabulib_dir() / DEMO_FILE
    done = session.scalar(select(RoundImport).where(RoundImport.source_name == DEMO_FILE))
    if not path.exists():
        note = (f"Demo-uitslag Assen overgeslagen: {path} bestaat niet. Zet de pabulib-bestanden in "
                f"../shared/pabulib of wijs PB_PABULIB_DIR naar de map en draai `pb demo` opnieuw.")
    elif done is not None:
        note = f"Demo-uitslag Assen staat al klaar (ronde {done.round_id})."
    else:
        area = _area(session)
        summary = import_pabulib(session, path, area=area)
        # A real round from another town, shown in a demo area: say so in its title.
        summary.round.title = f"Voorbeeld: {summary.round.title} 2024 (echte uitslag uit Assen)"
        publish_results(session, summary.round, actor=None)
        note = f"Demo-uitslag: {DEMO_FILE} als ronde {summary.round.id} gepubliceerd."
    logging.getLogger(__name__).warning(note)
    return note
