"""schemathesis over every REST operation: the answers are the ones the served schema documents.

The schema is loaded from the app itself (``/api/schema/`` through the WSGI application) and every
operation is called as a seeded customer with a valid bearer token. A 5xx, an undocumented status,
a body or header that does not match its schema, or the wrong content type fails the test.
Bounded and deterministic: a fixed seed, derandomized examples, no coverage phase.
"""

import uuid

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
from keys.services import entry_create
from tests.factories import create_entry, token_for

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
CONFIG = schemathesis.Config.from_dict(
    {"seed": 20261129, "generation": {"deterministic": True}, "phases": {"coverage": {"enabled": False}}}
)

# Real commits, as in production: the WSGI app closes a connection left inside a transaction at the end of each
# request, and a key's registration at DICT runs once its transaction commits.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def customer(make_account, no_api_rate_limit) -> dict[str, str]:
    """The Authorization header of a customer with an account and a key of each of two types."""
    account = make_account()
    user = account.holder.user
    entry_create(user=user, account_id=account.pk, key_type="EVP", key_value=None, request_id=uuid.uuid4())
    create_entry(account, "EMAIL", "maria@example.com")
    return {"Authorization": f"Bearer {token_for(user)}"}


# Loaded when the module is collected: the schema view needs neither the database nor a token.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG)


@schema.parametrize()
@settings(
    max_examples=20,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
)
def test_every_operation_answers_as_its_schema_says(case, customer) -> None:
    case.call_and_validate(headers=customer, checks=CHECKS)
