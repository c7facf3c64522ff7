"""Input never earns a 500, and is read strictly: oversized and deeply nested bodies, unknown fields,
a request id that is not a UUID string, control characters in text, a gRPC message that does not
decode. (What both edges share is also held in tests/test_parity.py.)"""

import io
import logging
import uuid
from urllib.parse import quote

import grpc
import pytest
from django.test import Client
from rest_framework.exceptions import ParseError

from common.grpc_errors import ERROR_METADATA_KEY
from common.grpc_interceptors import GrpcMetrics, server_interceptors
from common.grpc_server import new_server, start_server
from dict_project.grpc import grpc_handlers
from tests.factories import token_for

pytestmark = pytest.mark.django_db

DEEP = b"[" * 5000 + b"]" * 5000
DEEP_OBJECT = b'{"a":' * 5000 + b"1" + b"}" * 5000


def post(path: str, body: bytes, **extra):
    return Client().post(path, data=body, content_type="application/json", **extra)


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert "request_id" in body
    return body


# --- REST: never a 500 -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/auth/token/", "/api/v1/auth/token/refresh/", "/api/v1/keys/"])
def test_a_body_over_the_upload_limit_is_413(path, settings, make_account) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    account = make_account()
    body = b'{"x": "' + b"a" * 5000 + b'"}'
    response = post(path, body, HTTP_AUTHORIZATION=f"Bearer {token_for(account.holder.user)}")
    assert_problem(response, 413, "PayloadTooLarge")


@pytest.mark.parametrize("path", ["/api/v1/auth/token/", "/api/v1/auth/token/refresh/", "/api/v1/keys/"])
@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["array", "object"])
def test_json_nested_thousands_deep_is_400(path, body, make_account) -> None:
    account = make_account()
    response = post(path, body, HTTP_AUTHORIZATION=f"Bearer {token_for(account.holder.user)}")
    assert_problem(response, 400, "BadRequest")


def test_the_parser_refuses_nesting_under_the_recursion_limit_too() -> None:
    """A few hundred levels decode fine, but are far beyond any request's shape."""
    from common.parsers import BoundedJSONParser

    with pytest.raises(ParseError):
        BoundedJSONParser().parse(io.BytesIO(b"[" * 300 + b"]" * 300))
    assert BoundedJSONParser().parse(io.BytesIO(b'{"a": [{"b": 1}]}')) == {"a": [{"b": 1}]}


# --- REST: strict input --------------------------------------------------------------------------------


def create_key_body(account, **changes) -> dict:
    return {"account_id": account.id, "key_type": "EVP", "request_id": str(uuid.uuid4())} | changes


def test_unknown_fields_are_refused_by_name(client_for, make_account) -> None:
    account = make_account()
    response = client_for(account.holder.user).post(
        "/api/v1/keys/", create_key_body(account, colour="red", extra=1), format="json"
    )
    body = assert_problem(response, 400, "BadRequest")
    assert {e["field"] for e in body["errors"]} == {"colour", "extra"}


@pytest.mark.parametrize(
    ("path", "cursor"),
    [
        ("/api/v1/keys/", "garbage"),
        ("/api/v1/keys/", "cD0yMDI2"),  # p=2026: not a created_at
        ("/api/v1/keys/", "cj0xJnA9eA=="),  # r=1&p=x
        ("/api/v1/accounts/", "garbage"),
        ("/api/v1/accounts/", "cD14"),  # p=x: not an id
    ],
)
def test_a_cursor_the_list_did_not_give_out_is_bad_request(path, cursor, client_for, make_account) -> None:
    """As gRPC's page_token: DRF alone answers 404 for some and fails in the query (500) for others."""
    account = make_account()
    response = client_for(account.holder.user).get(path, {"cursor": cursor})
    body = assert_problem(response, 400, "BadRequest")
    assert [e["field"] for e in body["errors"]] == ["cursor"]


@pytest.mark.parametrize("request_id", [123, 2**100, ["a"], True])
def test_request_id_must_be_a_uuid_string(request_id, client_for, make_account) -> None:
    account = make_account()
    response = client_for(account.holder.user).post(
        "/api/v1/keys/", create_key_body(account, request_id=request_id), format="json"
    )
    body = assert_problem(response, 400, "BadRequest")
    assert [e["field"] for e in body["errors"]] == ["request_id"]


@pytest.mark.parametrize("text", ["a\x00b", "a\x01b", "a\x1fb", "a\x7fb", "a\x85b", "a\nb"])
def test_control_characters_in_text_are_bad_request_naming_the_field(text, client_for, make_account) -> None:
    account = make_account()
    response = client_for(account.holder.user).post(
        "/api/v1/keys/", create_key_body(account, key_type="EMAIL", key_value=text), format="json"
    )
    body = assert_problem(response, 400, "BadRequest")
    assert [e["field"] for e in body["errors"]] == ["key_value"]


# A newline once missed the URL pattern (404); the path converter takes any text, the key's check refuses it.
@pytest.mark.parametrize(
    "key",
    ["a\x00b@example.com", "a\x01b@example.com", "+5511\x7f98765432", "a\nb@example.com", "a@example.com\n", "\n"],
)
def test_control_characters_in_a_looked_up_key_are_bad_request(key, client_for, make_account) -> None:
    account = make_account()
    response = client_for(account.holder.user).get(f"/api/v1/lookup/{quote(key, safe='')}/")
    body = assert_problem(response, 400, "BadRequest")
    assert [e["field"] for e in body["errors"]] == ["key"]


@pytest.mark.parametrize("key", ["a\x00b@example.com", " +5511\x7f98765432"])
def test_the_lookup_rule_itself_refuses_control_characters(key) -> None:
    """One rule for both edges: the key's reading refuses them, not each edge's view."""
    from dict_rules.errors import BadRequest
    from lookup.domain import normalize_lookup_key

    with pytest.raises(BadRequest) as raised:
        normalize_lookup_key(key)
    assert type(raised.value) is BadRequest and [f.field for f in raised.value.fields] == ["key"]


def test_add_servicer_names_the_services_it_added() -> None:
    from concurrent import futures

    from common.grpc_service import add_servicer
    from protos.dict.core.v1 import core_dict_pb2_grpc

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    servicer = core_dict_pb2_grpc.CoreDictServiceServicer()
    assert add_servicer(core_dict_pb2_grpc.add_CoreDictServiceServicer_to_server, servicer, server) == [
        "dict.core.v1.CoreDictService"
    ]
    assert grpc_handlers(grpc.server(futures.ThreadPoolExecutor(max_workers=1))) == ["dict.core.v1.CoreDictService"]


# --- gRPC: a message that does not decode ----------------------------------------------------------------


@pytest.fixture
def grpc_port(settings):
    settings.RATE_LIMIT_RPS = 1000
    metrics = GrpcMetrics(__import__("prometheus_client").CollectorRegistry())
    server = new_server(workers=4, interceptors=server_interceptors(metrics))
    port, _ = start_server(server, address="127.0.0.1:0", service_names=grpc_handlers(server))
    yield port, metrics
    server.stop(None)


def raw_call(port: int, method: str, payload: bytes, token: str | None):
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        call = channel.unary_unary(f"/dict.core.v1.CoreDictService/{method}")
        metadata = (("authorization", f"Bearer {token}"),) if token else ()
        with pytest.raises(grpc.RpcError) as raised:
            call(payload, metadata=metadata, timeout=10)
    return raised.value


@pytest.mark.django_db(transaction=True)
def test_an_undecodable_message_is_invalid_argument_through_the_chain(grpc_port, make_account, caplog) -> None:
    port, metrics = grpc_port
    account = make_account()
    caplog.set_level(logging.INFO)
    error = raw_call(port, "CreateKey", b"\xff\xff\xff", token_for(account.holder.user))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert dict(error.trailing_metadata())[ERROR_METADATA_KEY] == "BadRequest"
    assert "x-request-id" in dict(error.trailing_metadata())
    assert not any(r.exc_info for r in caplog.records), "no traceback"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "decode" in r.getMessage()]
    assert len(warnings) == 1
    method = "/dict.core.v1.CoreDictService/CreateKey"
    assert (
        metrics.registry.get_sample_value(
            "coredict_grpc_requests_total", {"method": method, "code": "INVALID_ARGUMENT"}
        )
        == 1
    )


@pytest.mark.django_db(transaction=True)
def test_an_undecodable_message_still_needs_a_token(grpc_port) -> None:
    port, _ = grpc_port
    error = raw_call(port, "CreateKey", b"\xff\xff\xff", None)
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
