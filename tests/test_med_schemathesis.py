"""schemathesis over MED's REST operations as the fraud team (tests/test_schemathesis.py calls them as a
customer, who is refused at once): the answers are the ones the served schema documents, never a 5xx."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dict_project.wsgi import application
from tests.factories import token_for
from tests.med_support import fraud_team

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
CONFIG = schemathesis.Config.from_dict(
    {"seed": 20261130, "generation": {"deterministic": True}, "phases": {"coverage": {"enabled": False}}}
)

pytestmark = pytest.mark.django_db(transaction=True)

schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG).include(path_regex="^/api/v1/med/")


@pytest.fixture
def analyst(make_account, no_api_rate_limit) -> dict[str, str]:
    """The Authorization header of the fraud team's user."""
    return {"Authorization": f"Bearer {token_for(fraud_team(make_account().holder.user))}"}


@schema.parametrize()
@settings(
    max_examples=20,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
)
def test_every_med_operation_answers_as_its_schema_says_to_the_fraud_team(case, analyst) -> None:
    case.call_and_validate(headers=analyst, checks=CHECKS)
