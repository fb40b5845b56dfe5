"""Property: the published turnout, totals and selection agree with the published ``ballots.pb``.

Random rounds (ballot type, rule, tie-break, costs, ballots) are published; the page, the JSON and
the file must tell the same story, and counting the file again gives the published selection.
"""

from __future__ import annotations

import itertools
import json
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pb.services import results as result_service
from pb.tally import TieBreak, read_pb, tally
from tests.factories import make_area, make_register_entry, make_results_ballot, make_round_with_proposals

BALLOT_TYPES = ("approval", "knapsack", "k_approval", "choose_one", "cumulative", "ranked")
RULES = ("greedy", "greedy-no-skip", "equalshares", "phragmen", "max-welfare")
TIE_BREAKS = ("order", "lower-cost", "higher-cost", "lottery")
_houses = itertools.count(1)


@st.composite
def rounds(draw: st.DrawFn) -> dict:
    m = draw(st.integers(2, 6))
    return {
        "ballot_type": draw(st.sampled_from(BALLOT_TYPES)),
        "rule": draw(st.sampled_from(RULES)),
        "tie_break": draw(st.sampled_from(TIE_BREAKS)),
        "costs": draw(st.lists(st.integers(1, 60).map(lambda k: k * 1_000_00 + draw(st.sampled_from([0, 50]))),
                               min_size=m, max_size=m)),
        "ballots": draw(st.lists(st.lists(st.integers(0, m - 1), min_size=1, max_size=m, unique=True),
                                 min_size=0, max_size=25)),
    }


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=rounds())
def test_published_numbers_agree_with_the_published_file(client, session, spec):
    area = make_area(session)
    make_register_entry(session, area, huisnummer=next(_houses), eligible_count=40)
    make_register_entry(session, area, huisnummer=next(_houses), eligible_count=7)
    bt = spec["ballot_type"]
    config: dict[str, object] = {}
    if bt == "cumulative":
        config["points_total"] = 6
    if bt in ("ranked", "k_approval"):
        config["max_projects"] = 2
    round_ = make_round_with_proposals(session, area, ballot_type=bt, counting_rule=spec["rule"],
                                tie_break=spec["tie_break"], costs_cents=spec["costs"],
                                tie_break_seed="99" if spec["tie_break"] == "lottery" else None, **config)
    ids = [p.id for p in sorted(round_.proposals, key=lambda p: p.id)]
    for pattern in spec["ballots"]:
        pattern = pattern[:1] if bt == "choose_one" else pattern[:2] if bt in ("ranked", "k_approval") else pattern
        if bt == "cumulative":
            choices = {ids[i]: 6 // len(pattern) for i in pattern}
            choices[ids[pattern[0]]] += 6 - sum(choices.values())
        elif bt == "ranked":
            choices = {ids[i]: r for r, i in enumerate(pattern, start=1)}
        else:
            choices = dict.fromkeys(ids[i] for i in pattern)
        make_results_ballot(session, round_, choices)
    result = result_service.publish_results(session, round_, actor=None)
    session.commit()

    text = client.get(f"/rounds/{round_.id}/ballots.pb").get_data(as_text=True)
    data = client.get(f"/rounds/{round_.id}/results.json").get_json()
    page = client.get(f"/rounds/{round_.id}/results").get_data(as_text=True)
    election = read_pb(text)
    n = len(spec["ballots"])
    # Turnout: the ballots in the file over the register's eligible residents (40 + 7).
    assert len(election.ballots) == result.ballots_total == data["ballots"] == n
    assert election.meta["num_votes"] == str(n) and data["eligible_voters"] == 47
    if n:
        pct = f"{Fraction(n * 1000, 47).__round__() / 10:.1f}".replace(".", ",")
        assert f"{n} stembiljetten van 47 bewoners die mochten stemmen: {pct}%" in page
    # Selection: the file's selected column, the JSON and a recount of the file agree.
    in_file = [p.id for p in election.projects if p.official_selected == 1]
    assert sorted(in_file) == sorted(data["selected"])
    kind, _, seed = election.meta["tie_break"].partition(":")
    recount = tally(election, result.rule, TieBreak(kind, int(seed) if seed else None))
    assert list(recount.selected_ids) == data["selected"]
    # Totals: budget and spent equal the file's budget and the costs of its selected projects.
    spent = sum(p.cost for p in election.projects if p.id in in_file)
    assert Fraction(str(data["spent"])) == spent and Fraction(str(data["budget"])) == election.budget
    scores = {p["id"]: Fraction(str(p["score"])) for p in json.loads(result.outcome_json)["projects"]}
    assert scores == {p.id: Fraction(election.profile.scores[i]) for i, p in enumerate(election.projects)}
