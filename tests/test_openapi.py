"""The OpenAPI schema clients build on: valid, with the bearer scheme, every refusal as a Problem, real page objects;
and Swagger UI served from our own static files."""

import json
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from common.http_errors import PROBLEM_CONTENT_TYPE, problem

pytestmark = pytest.mark.django_db

TOKEN_ENDPOINTS = {"/api/v1/auth/token/", "/api/v1/auth/token/refresh/"}
PAGINATED_LISTS = {"/api/v1/accounts/", "/api/v1/keys/", "/api/v1/claims/incoming/", "/api/v1/claims/outgoing/"}


@pytest.fixture(scope="module")
def schema() -> dict:
    """The schema as ``manage.py spectacular --validate --fail-on-warn`` writes it: any warning fails the run."""
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", stdout=out)
    return json.loads(out.getvalue())


def operations(schema: dict):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_the_schema_validates_with_no_warning(schema) -> None:
    assert schema["openapi"].startswith("3.")


def test_every_operation_but_the_token_endpoints_needs_the_bearer_jwt(schema) -> None:
    assert schema["components"]["securitySchemes"] == {
        "jwtAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    }
    for path, method, operation in operations(schema):
        expected = None if path in TOKEN_ENDPOINTS else [{"jwtAuth": []}]
        assert operation.get("security") == expected, (method, path)


def test_every_refusal_is_a_problem_and_the_ones_any_view_gives_are_there(schema) -> None:
    ref = {"$ref": "#/components/schemas/Problem"}
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        assert {"401", "406", "429", "503"} <= set(responses), (method, path)
        for status, response in responses.items():
            if int(status) >= 400:
                assert response["content"] == {PROBLEM_CONTENT_TYPE: {"schema": ref}}, (method, path, status)
        assert "WWW-Authenticate" in responses["401"]["headers"]
        assert responses["429"]["headers"]["Retry-After"]["required"] is True
        assert "Retry-After" in responses["503"]["headers"]
        if "requestBody" in operation:
            assert {"400", "413", "415"} <= set(responses), (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
        if any(parameter["name"] == "cursor" for parameter in operation.get("parameters", [])):
            assert "400" in responses, (method, path)  # a cursor the list never gave out


def test_json_is_the_only_format_asked_for_by_header_or_by_query(make_account, client_for) -> None:
    """A 406 is documented on every operation (above); ``?format=`` is not a parameter of this API."""
    client = client_for(make_account().holder.user)
    refused = client.get("/api/v1/accounts/", HTTP_ACCEPT="text/html")
    assert refused.status_code == 406 and refused["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert client.get("/api/v1/accounts/", {"format": "xml"}).status_code == 200


def test_domain_refusals_are_documented_where_they_happen(schema) -> None:
    paths = schema["paths"]
    assert {"404", "409", "422"} <= set(paths["/api/v1/keys/"]["post"]["responses"])
    assert {"202", "404", "409", "422"} <= set(paths["/api/v1/keys/{entry_id}/"]["patch"]["responses"])
    assert {"403", "409", "422"} <= set(paths["/api/v1/claims/{claim_id}/respond/"]["post"]["responses"])
    assert {"400", "403"} <= set(paths["/api/v1/lookup/{key}/"]["get"]["responses"])


def test_the_problem_component_is_what_http_errors_writes(schema) -> None:
    component = schema["components"]["schemas"]["Problem"]
    with_fields = problem(400, "BadRequest", "The request is invalid.", [{"field": "otp", "message": "Required."}])
    without = problem(404, "NotFound", "Not found.")
    assert set(component["properties"]) == set(with_fields)
    assert set(component["required"]) == set(without)
    field = schema["components"]["schemas"]["InvalidField"]
    assert set(field["properties"]) == set(with_fields["errors"][0]) == set(field["required"])


def test_lists_are_documented_as_the_cursor_page_they_answer(schema, make_account, client_for) -> None:
    account = make_account()
    client = client_for(account.holder.user)
    for path in PAGINATED_LISTS:
        operation = schema["paths"][path]["get"]
        page_ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        page = schema["components"]["schemas"][page_ref.rsplit("/", 1)[1]]
        assert page["properties"]["results"]["type"] == "array", path
        assert {p["name"] for p in operation["parameters"]} >= {"cursor", "page_size"}, path
        assert set(client.get(path).json()) == set(page["properties"]), path


def test_swagger_ui_loads_only_assets_this_server_serves(settings, tmp_path) -> None:
    settings.STATIC_ROOT = tmp_path
    call_command("collectstatic", "--noinput", verbosity=0)  # as deployments do (Makefile, deploy/Dockerfile)
    client = Client()  # a new handler: WhiteNoise reads the new STATIC_ROOT
    page = client.get("/api/docs/").content.decode()
    assert not re.search(r"https?://", page, re.IGNORECASE), "an absolute URL in /api/docs/"
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)
    for asset in assets:
        assert asset.startswith(settings.STATIC_URL) and not asset.startswith("//"), asset
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert b"".join(response.streaming_content if response.streaming else [response.content]), asset
