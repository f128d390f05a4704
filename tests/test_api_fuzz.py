"""The API fuzzed from its own OpenAPI description: no input, however malformed, gives a 500."""
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_schema_conformance,
                                 status_code_conformance)
from sqlalchemy import select

from booking.auth.services import issue_token
from models import User, db


@pytest.fixture
def api_schema(world):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", world)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_fails_and_matches_its_description(case):
    for username in ("admin", "manager", "secretary", "lecturer"):
        user = db.session.scalar(select(User).where(User.username == username))
        token, _ = issue_token(user)  # a fresh one each time: the fuzzer also revokes tokens
        case.call_and_validate(
            headers={"Authorization": f"Bearer {token}"},
            checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                    response_schema_conformance],
        )
