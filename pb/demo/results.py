"""Demo: one real Dutch round (Assen 2024) imported and published.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from pb.models.area import Area
from pb.models.result import RoundImport
from pb.services.pabulib_import import import_pabulib, pabulib_dir
from pb.services.results import publish_results

DEMO_FILE = "Netherlands_Assen_2024.pb"


DEMO_AREA = "ulft"


def load_demo_results(session: Session) -> str:
    """Demo: import and publish one real Dutch round (Assen 2024) once; log and return a note."""
    path = pabulib_dir() / DEMO_FILE
    done = session.scalar(select(RoundImport).where(RoundImport.source_name == DEMO_FILE))
    area = session.scalar(select(Area).where(Area.slug == DEMO_AREA))
    if not path.exists():
        note = f"Demo-uitslag overgeslagen: {path} bestaat niet."
    elif done is not None:
        note = f"Demo-uitslag staat al klaar (ronde {done.round_id})."
    elif area is None:
        note = f"Demo-uitslag overgeslagen: gebied {DEMO_AREA} ontbreekt."
    else:
        summary = import_pabulib(session, path, area=area)
        # A real round from another town, shown in a demo area: say so in its title.
        summary.round.title = f"Voorbeeld: {summary.round.title} 2024 (echte uitslag uit Assen)"
        publish_results(session, summary.round, actor=None)
        note = f"Demo-uitslag: {DEMO_FILE} als ronde {summary.round.id} gepubliceerd."
    logging.getLogger(__name__).warning(note)
    return note
