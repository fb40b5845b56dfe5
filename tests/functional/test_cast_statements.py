"""The cast's hot path: what one online cast asks the database once a round is under way."""

from __future__ import annotations

from sqlalchemy import event

from tests.factories import make_area, make_proposal, make_resident, make_round


def test_a_cast_sends_four_statements_once_voting_is_under_way(app, client, auth, session):
    """Issue 12's target: the account (login), the round with the voter's residency, the
    participation and the sealed ballot. Project list, costs, readiness and the round key are
    frozen once voting opens and kept per process, so they are read by the first cast only."""
    area = make_area(session)
    round_ = make_round(session, area, budget_cents=2_500_000)
    props = [make_proposal(session, round_, title=f"Plan {i}", estimated_cost_cents=1_000_000) for i in range(3)]
    first, second = make_resident(session, area), make_resident(session, area)
    session.commit()
    round_id, project_id = round_.id, props[0].id
    data = {"project": [str(project_id)], "action": "cast"}

    auth.login(first.email)
    assert client.post(f"/rounds/{round_id}/vote/cast", data=data).status_code == 200
    auth.logout()
    auth.login(second.email)
    engine = app.extensions["pb_db"].kw["bind"]
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_rest):
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", count)
    try:
        answer = client.post(f"/rounds/{round_id}/vote/cast", data=data)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert answer.status_code == 200 and "Uw stem is opgeslagen" in answer.get_data(as_text=True)
    statements = [s for s in seen if not s.startswith("BEGIN")]
    assert [s.split()[0] for s in statements] == ["SELECT", "SELECT", "INSERT", "INSERT"], statements
    assert "FROM users" in statements[0] and "FROM rounds" in statements[1]
    assert "INTO participations" in statements[2] and "INTO sealed_ballots" in statements[3]
