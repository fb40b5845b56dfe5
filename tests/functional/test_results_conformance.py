"""Conformance of the web app: import and publish every shared pabulib file whose rule we implement
and compare the published selection with the file's official ``selected`` column (slow).

The rate is printed (``-s``) and must stay 100%; files without a ``selected`` column are counted
as published but not compared. Needs ``../shared/pabulib`` (or ``PB_PABULIB_DIR``); skips with a
message when it is absent.
"""

from __future__ import annotations

import json

import pytest

from pb.models.area import Area
from pb.services import areas, pabulib_import
from pb.services import results as result_service
from pb.tally import RULES, read_pb


def _files():
    folder = pabulib_import.pabulib_dir()
    files = sorted(folder.glob("*.pb")) if folder.is_dir() else []
    if not files:
        pytest.skip(f"shared pabulib files not found in {folder} (set PB_PABULIB_DIR)")
    return files


@pytest.mark.slow
def test_published_selection_equals_the_official_one_on_every_implemented_file(session):
    area = areas.create_area(session, actor=None, data=areas.AreaData(
        name="Conformance", slug="conformance", description="", postcodes=[], manager_ids=[]))
    session.commit()
    area_id = area.id
    compared = matched = published = 0
    mismatches = []
    for path in _files():
        election = read_pb(path)
        if election.rule not in RULES:
            continue
        summary = pabulib_import.import_pabulib(session, path, area=session.get(Area, area_id))
        result = result_service.publish_results(session, summary.round, actor=None)
        session.commit()
        published += 1
        official = {p.id for p in election.projects if (p.official_selected or 0) >= 1}
        if not official:
            continue
        must = {p.id for p in election.projects if p.official_selected == 1}
        ours = set(json.loads(result.outcome_json)["selected"])
        compared += 1
        if must <= ours <= official:
            matched += 1
        else:
            mismatches.append(path.stem)
        session.expunge_all()
    print(f"\nconformance: {matched}/{compared} published selections equal the official ones "
          f"({100 * matched / max(compared, 1):.1f}%); {published} files published")
    assert compared >= 150 and not mismatches, mismatches
