"""A results page for a round with 200 projects: the chart shows the top 20, the table all of them."""

from __future__ import annotations

import re

from sqlalchemy import select

from pb.models.proposal import Proposal
from pb.services import results as result_service
from pb.views.presenters import CHART_TOP
from tests.factories import make_area, make_results_ballot, make_round_with_proposals

LONG = "Een heel lang projectnaam over bankjes, bomen, speeltoestellen en een jeu-de-boulesbaan bij het dorpshuis"


def test_chart_of_a_large_round_shows_the_top_and_the_table_lists_every_project(client, session):
    area = make_area(session, slug="groot", name="Groot")
    titles = [LONG if i == 0 else f"Project {i:03d}" for i in range(200)]
    round_ = make_round_with_proposals(session, area, costs_cents=[1_000_00] * 200, titles=titles,
                                       budget_cents=20_000_00)
    ids = list(session.scalars(select(Proposal.id).where(Proposal.round_id == round_.id).order_by(Proposal.id)))
    for voter in range(30):  # project i gets votes from the voters below 30 - i // 7
        make_results_ballot(session, round_, dict.fromkeys(ids[i] for i in range(200) if voter < 30 - i // 7))
    result_service.publish_results(session, round_, actor=None)
    session.commit()

    page = client.get(f"/rounds/{round_.id}/results").get_data(as_text=True)
    chart = page.split('class="chart chart-scores"', 1)[1].split("</figure>", 1)[0]
    assert chart.count('class="bar-row') == CHART_TOP == 20
    assert "De 20 projecten met de meeste stemmen of punten" in chart and "Alle 200 projecten staan in de tabel" in chart
    # The long name is text of its own (it wraps) and the score sits apart from it.
    row = re.search(r'<li class="bar-row bar-\w+">\s*<span class="bar-name">([^<]*)</span>\s*'
                    r'<span class="bar-track">.*?<span class="bar-score">(\d+)', chart, re.S)
    assert row.group(1) == LONG and row.group(2) == "30"
    table = page.split('<table class="table results-table stack-table">', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr class=") == 200
    assert table.count('data-label="Kosten"') == 200
