"""The gRPC interceptor chain, over a real server on a random loopback port.

A tiny bytes-in/bytes-out service stands in for CoreDictService, so the chain is tested on
its own. The server's threads use their own database connections (auth reads the user), so
these tests are transactional.
"""

import json
import logging
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta

import grpc
import jwt
import pytest
from django.conf import settings
from django.db import connections
from django.utils import timezone
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2
from prometheus_client import CollectorRegistry
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from common.grpc_context import current_user
from common.grpc_errors import abort
from common.grpc_interceptors import GrpcMetrics, server_interceptors, start_metrics_server
from common.grpc_server import build_server
from common.request_id import current_request_id
from dict_rules import errors

pytestmark = pytest.mark.django_db(transaction=True)

SERVICE = "test.v1.Probe"
ECHO, BOOM, REFUSE, STREAM = (f"/{SERVICE}/{name}" for name in ("Echo", "Boom", "Refuse", "Stream"))
IN_FLIGHT = "coredict_grpc_in_flight_requests"


def _seen() -> bytes:
    """What the handler sees of the chain: the bound user and request id."""
    user = current_user()
    return json.dumps({"user": user.pk if user else None, "request_id": current_request_id()}).encode()


class Probe:
    """The test service's handlers; ``in_flight`` is read from inside a call."""

    def __init__(self, metrics: GrpcMetrics) -> None:
        self.metrics = metrics
        self.in_flight_during_call: float | None = None

    def echo(self, request: bytes, context: grpc.ServicerContext) -> bytes:
        self.in_flight_during_call = self.metrics.registry.get_sample_value(IN_FLIGHT, {"method": ECHO})
        return _seen()

    def boom(self, request: bytes, context: grpc.ServicerContext) -> bytes:
        raise RuntimeError("handler bug")

    def refuse(self, request: bytes, context: grpc.ServicerContext) -> None:
        abort(context, errors.NotFound("No such thing."))

    def stream(self, request: bytes, context: grpc.ServicerContext) -> Iterator[bytes]:
        yield _seen()
        yield _seen()

    def register(self, server: grpc.Server) -> None:
        handlers = {
            "Echo": grpc.unary_unary_rpc_method_handler(self.echo),
            "Boom": grpc.unary_unary_rpc_method_handler(self.boom),
            "Refuse": grpc.unary_unary_rpc_method_handler(self.refuse),
            "Stream": grpc.unary_stream_rpc_method_handler(self.stream),
        }
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))


@pytest.fixture(autouse=True)
def _server_threads_close_their_connections(monkeypatch) -> None:
    """Each call's connection is closed when it ends, so none outlives the test database."""
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)


@pytest.fixture
def metrics() -> GrpcMetrics:
    """Metrics on a registry of their own, so counts start at zero in every test."""
    return GrpcMetrics(CollectorRegistry())


@pytest.fixture
def probe(metrics: GrpcMetrics) -> Probe:
    return Probe(metrics)


@pytest.fixture
def channel(probe: Probe, metrics: GrpcMetrics) -> Iterator[grpc.Channel]:
    server, port, _ = build_server(
        address="127.0.0.1:0",
        workers=4,
        register=[probe.register],
        service_names=[SERVICE],
        interceptors=server_interceptors(metrics),
    )
    with grpc.insecure_channel(f"127.0.0.1:{port}") as chan:
        yield chan
    server.stop(None).wait()


def forge(user, **claims) -> str:
    """An access token signed with our key, with some claims replaced (wrong audience, expired...)."""
    now = timezone.now()
    payload = {
        "token_type": "access",
        "exp": now + timedelta(minutes=5),
        "iat": now,
        "jti": uuid.uuid4().hex,
        "user_id": str(user.pk),
        "aud": settings.SIMPLE_JWT["AUDIENCE"],
        "iss": settings.SIMPLE_JWT["ISSUER"],
        **claims,
    }
    return jwt.encode(payload, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")


def auth(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


def unary(channel: grpc.Channel, method: str) -> Callable[..., bytes]:
    return channel.unary_unary(method)


def refusal(call: Callable[[], object]) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as info:
        call()
    return info.value


def test_a_valid_token_binds_the_user_for_the_handler(channel, make_user) -> None:
    user = make_user()
    response, call = unary(channel, ECHO).with_call(b"", metadata=auth(str(AccessToken.for_user(user))))
    assert json.loads(response)["user"] == user.pk
    assert call.code() == grpc.StatusCode.OK


def test_a_streaming_handler_sees_the_user_and_request_id_on_every_message(channel, make_user) -> None:
    user = make_user()
    metadata = (*auth(str(AccessToken.for_user(user))), ("x-request-id", "req-stream-0001"))
    seen = [json.loads(item) for item in channel.unary_stream(STREAM)(b"", metadata=metadata)]
    assert seen == [{"user": user.pk, "request_id": "req-stream-0001"}] * 2


@pytest.mark.parametrize(
    "header",
    [None, "Basic dXNlcjpwdw==", "Bearer", "Bearer not-a-jwt", "Bearer a b"],
    ids=["missing", "other-scheme", "empty", "malformed", "two-parts"],
)
def test_missing_or_malformed_credentials_are_unauthenticated(channel, header: str | None) -> None:
    metadata = (("authorization", header),) if header else ()
    error = refusal(lambda: unary(channel, ECHO)(b"", metadata=metadata))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert dict(error.trailing_metadata())["x-dict-error"] == "Unauthorized"


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": timezone.now() - timedelta(seconds=1)},
        {"aud": "another-api"},
        {"iss": "someone-else"},
        {"token_type": "refresh"},
    ],
    ids=["expired", "wrong-audience", "wrong-issuer", "not-an-access-token"],
)
def test_tokens_rest_would_refuse_are_unauthenticated(channel, make_user, claims: dict) -> None:
    token = forge(make_user(), **claims)
    error = refusal(lambda: unary(channel, ECHO)(b"", metadata=auth(token)))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    assert dict(error.trailing_metadata())["x-dict-error"] == "Unauthorized"


@pytest.mark.parametrize(
    "header",
    [
        lambda user: f"Bearer {forge(user, exp=timezone.now() - timedelta(seconds=1))}",
        lambda user: f"Bearer {forge(user, aud='another-api')}",
        lambda user: "Bearer a b",
    ],
    ids=["expired", "wrong-audience", "malformed"],
)
def test_a_refusal_gives_rest_s_reason_in_its_details(channel, make_user, header) -> None:
    authorization = header(make_user())
    error = refusal(lambda: unary(channel, ECHO)(b"", metadata=(("authorization", authorization),)))
    rest = APIClient().get("/api/v1/accounts/", HTTP_AUTHORIZATION=authorization)
    assert error.details() == rest.json()["detail"]


def test_a_real_refresh_token_and_a_foreign_signature_are_refused(channel, make_user) -> None:
    user = make_user()
    for token in (str(RefreshToken.for_user(user)), jwt.encode({"user_id": str(user.pk)}, "x" * 32)):
        error = refusal(lambda token=token: unary(channel, ECHO)(b"", metadata=auth(token)))
        assert error.code() == grpc.StatusCode.UNAUTHENTICATED


def test_an_inactive_users_token_is_refused(channel, make_user) -> None:
    user = make_user()
    token = str(AccessToken.for_user(user))
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert refusal(lambda: unary(channel, ECHO)(b"", metadata=auth(token))).code() == grpc.StatusCode.UNAUTHENTICATED


def test_health_and_reflection_are_open(channel) -> None:
    answer = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=SERVICE))
    assert answer.status == health_pb2.HealthCheckResponse.SERVING
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    stream = channel.stream_stream(
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
        response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
    )
    services = {s.name for reply in stream(iter([request])) for s in reply.list_services_response.service}
    assert SERVICE in services


def test_a_raising_handler_gives_internal_with_the_request_id_and_the_server_keeps_serving(
    channel, make_user, caplog
) -> None:
    token = str(AccessToken.for_user(make_user()))
    caplog.set_level(logging.INFO, logger="common.grpc_interceptors")
    metadata = (*auth(token), ("x-request-id", "req-boom-00001"))
    error = refusal(lambda: unary(channel, BOOM)(b"", metadata=metadata))
    assert error.code() == grpc.StatusCode.INTERNAL
    assert error.details() == "internal error; request id req-boom-00001"
    assert "handler bug" not in error.details()
    assert dict(error.trailing_metadata())["x-request-id"] == "req-boom-00001"
    traced = [r for r in caplog.records if r.exc_info and r.exc_info[0] is RuntimeError]
    assert len(traced) == 1 and "/test.v1.Probe/Boom" in traced[0].getMessage()
    for _ in range(5):  # a pool of 4 workers: every one of them still serves
        assert unary(channel, ECHO)(b"", metadata=auth(token))


def test_domain_aborts_pass_through_untouched(channel, make_user) -> None:
    error = refusal(lambda: unary(channel, REFUSE)(b"", metadata=auth(str(AccessToken.for_user(make_user())))))
    assert (error.code(), error.details()) == (grpc.StatusCode.NOT_FOUND, "No such thing.")
    trailing = dict(error.trailing_metadata())
    assert trailing["x-dict-error"] == "NotFound"
    assert len(trailing["x-request-id"]) == 32


def test_a_sane_request_id_is_echoed_and_others_are_replaced(channel, make_user) -> None:
    token = str(AccessToken.for_user(make_user()))
    echo = unary(channel, ECHO)
    response, call = echo.with_call(b"", metadata=(*auth(token), ("x-request-id", "req-abc-123456")))
    assert json.loads(response)["request_id"] == "req-abc-123456"
    assert dict(call.initial_metadata())["x-request-id"] == "req-abc-123456"
    assert dict(call.trailing_metadata())["x-request-id"] == "req-abc-123456"
    for supplied in ((), (("x-request-id", "bad id; DROP"),)):
        response, call = echo.with_call(b"", metadata=(*auth(token), *supplied))
        generated = json.loads(response)["request_id"]
        assert len(generated) == 32 and generated != "req-abc-123456"
        assert dict(call.initial_metadata())["x-request-id"] == generated


def test_one_log_line_per_call_with_the_user_id_and_no_pii(channel, make_user, caplog) -> None:
    user = make_user("maria.silva@example.com")
    caplog.set_level(logging.INFO, logger="common.grpc_interceptors")
    metadata = (
        *auth(str(AccessToken.for_user(user))),
        ("x-request-id", "req-log-000001"),
        ("x-phone", "+5511987654321"),
    )
    unary(channel, ECHO)(b'{"tax_id": "11144477735", "key": "maria.silva@example.com"}', metadata=metadata)
    refusal(lambda: unary(channel, ECHO)(b"", metadata=(("x-request-id", "req-log-000002"),)))
    lines = [r for r in caplog.records if r.name == "common.grpc_interceptors"]
    assert [(r.grpc_method, r.grpc_code, r.user_id, r.request_id) for r in lines] == [
        (ECHO, "OK", user.pk, "req-log-000001"),
        (ECHO, "UNAUTHENTICATED", None, "req-log-000002"),
    ]
    assert all(isinstance(r.duration_ms, float) and r.duration_ms >= 0 for r in lines)
    ok = lines[0]
    assert ok.getMessage().startswith(f"grpc {ECHO} OK ") and f"user={user.pk}" in ok.getMessage()
    rendered = " ".join(f"{r.getMessage()} {r.__dict__}" for r in lines)
    for pii in ("maria", "11144477735", "+5511987654321"):
        assert pii not in rendered


def test_metrics_count_calls_by_method_and_code_and_time_them(channel, make_user, metrics, probe) -> None:
    token = str(AccessToken.for_user(make_user()))
    for _ in range(3):
        unary(channel, ECHO)(b"", metadata=auth(token))
    refusal(lambda: unary(channel, ECHO)(b""))
    refusal(lambda: unary(channel, BOOM)(b"", metadata=auth(token)))
    registry = metrics.registry

    def count(method: str, code: str) -> float | None:
        return registry.get_sample_value("coredict_grpc_requests_total", {"method": method, "code": code})

    assert count(ECHO, "OK") == 3
    assert count(ECHO, "UNAUTHENTICATED") == 1
    assert count(BOOM, "INTERNAL") == 1
    assert registry.get_sample_value("coredict_grpc_request_duration_seconds_count", {"method": ECHO}) == 4
    assert registry.get_sample_value("coredict_grpc_request_duration_seconds_sum", {"method": ECHO}) > 0
    assert probe.in_flight_during_call == 1
    assert registry.get_sample_value(IN_FLIGHT, {"method": ECHO}) == 0


def test_a_client_over_its_rate_is_exhausted_and_others_are_not(channel, make_user, settings) -> None:
    settings.RATE_LIMIT_RPS = 2
    greedy = auth(str(AccessToken.for_user(make_user())))
    codes, error = [], None
    for _ in range(10):
        try:
            unary(channel, ECHO)(b"", metadata=greedy)
            codes.append(grpc.StatusCode.OK)
        except grpc.RpcError as refused:
            codes.append(refused.code())
            error = refused
    # Ten quick calls span two one-second windows at most (three on a loaded machine): six get through at most.
    assert codes.count(grpc.StatusCode.OK) <= 6
    assert set(codes) == {grpc.StatusCode.OK, grpc.StatusCode.RESOURCE_EXHAUSTED}
    trailing = dict(error.trailing_metadata())
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert trailing["x-dict-error"] == "RateLimited"
    assert 1 <= int(trailing["retry-after"]) <= 2
    assert unary(channel, ECHO)(b"", metadata=auth(str(AccessToken.for_user(make_user()))))


def test_rest_and_grpc_calls_share_one_count_per_user(channel, make_user, client_for, settings) -> None:
    settings.RATE_LIMIT_RPS = 2
    user = make_user()
    time.sleep(1 - time.time() % 1 + 0.01)  # start of a one-second window: all calls below fall in it
    assert [client_for(user).get("/api/v1/accounts/").status_code for _ in range(2)] == [200, 200]
    error = refusal(lambda: unary(channel, ECHO)(b"", metadata=auth(str(AccessToken.for_user(user)))))
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_anonymous_open_calls_are_limited_by_peer_address(channel, settings) -> None:
    settings.RATE_LIMIT_RPS = 1
    check = health_pb2_grpc.HealthStub(channel).Check
    codes = []
    for _ in range(4):
        try:
            check(health_pb2.HealthCheckRequest())
            codes.append(grpc.StatusCode.OK)
        except grpc.RpcError as error:
            codes.append(error.code())
    assert codes.count(grpc.StatusCode.OK) <= 2
    assert grpc.StatusCode.RESOURCE_EXHAUSTED in codes


def test_zero_turns_the_limit_off(channel, make_user, settings) -> None:
    settings.RATE_LIMIT_RPS = 0
    token = auth(str(AccessToken.for_user(make_user())))
    for _ in range(20):
        unary(channel, ECHO)(b"", metadata=token)


def test_the_metrics_endpoint_serves_prometheus_text(channel, make_user, metrics) -> None:
    unary(channel, ECHO)(b"", metadata=auth(str(AccessToken.for_user(make_user()))))
    server = start_metrics_server(0, addr="127.0.0.1", registry=metrics.registry)
    try:
        deadline = time.monotonic() + 5
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/metrics", timeout=2) as reply:
                    body = reply.read().decode()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
    finally:
        server.shutdown()
        server.server_close()
    assert f'coredict_grpc_requests_total{{code="OK",method="{ECHO}"}} 1.0' in body
    assert "coredict_grpc_request_duration_seconds_bucket" in body
