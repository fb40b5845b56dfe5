"""Schemathesis against the live OpenAPI document: every operation answers as documented (status,
content type, headers, body schema) and never with a 5xx, on the demo data."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from pb.demo.people import load_demo

EXAMPLES_PER_OPERATION = 12  # modest: the suite stays fast; CI runs it on SQLite and PostgreSQL


@pytest.fixture
def app_config(app_config):
    """Schemathesis calls the app as ``localhost``: no fixed server name."""
    return {**app_config, "SERVER_NAME": None}


def test_every_operation_conforms_to_the_live_openapi_document(app, session):
    load_demo(session)
    session.commit()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    assert schema.raw_schema["openapi"] == "3.1.0"
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} == {
        "/api/v1/areas", "/api/v1/areas/{slug}", "/api/v1/rounds", "/api/v1/rounds/{round_id}",
        "/api/v1/proposals", "/api/v1/proposals/{proposal_id}", "/api/v1/results",
        "/api/v1/rounds/{round_id}/results", "/api/v1/rounds/{round_id}/results/{version}",
        "/api/v1/grants", "/api/v1/grants/{grant_id}", "/api/v1/implementations",
        "/api/v1/implementations/{implementation_id}",
    }
    statuses: dict[str, set[int]] = {}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def conforms(case: schemathesis.Case) -> None:
            response = case.call_and_validate()
            assert response.status_code < 500
            statuses.setdefault(case.operation.path, set()).add(response.status_code)

        conforms()
    # The lists answered with data, not only with errors.
    for path in ("/api/v1/areas", "/api/v1/rounds", "/api/v1/proposals", "/api/v1/results", "/api/v1/grants",
                 "/api/v1/implementations"):
        assert 200 in statuses[path], (path, statuses[path])
