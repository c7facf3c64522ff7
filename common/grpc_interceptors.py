"""The CoreDictService's server interceptors: recovery, request id + logging, metrics, auth, rate limit.

grpcio calls ``intercept_service`` on its polling thread, not on the thread that runs the
handler, so every layer wraps the handler's behaviour instead: its code, and the context
variables it binds (request id, user), then live in the handler's own thread. Only unary
requests are wrapped (unary-unary and unary-stream); streaming-request methods (reflection)
pass through untouched. Refusals go through ``grpc_errors.abort`` so codes come from its table.
"""

import contextvars
import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote
from wsgiref.simple_server import WSGIServer

import grpc
from django.db import close_old_connections
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from rest_framework.exceptions import AuthenticationFailed

from common.authentication import HolderJWTAuthentication
from common.grpc_context import current_user, set_current_user
from common.grpc_errors import abort
from common.request_id import bind_request_id, current_request_id
from common.retry_after import retry_after_seconds
from common.throttling import ClientRateThrottle
from common.timing import timed
from dict_rules import errors

logger = logging.getLogger(__name__)

REQUEST_ID_METADATA_KEY = "x-request-id"
OPEN_METHODS = frozenset({"/dict.core.v1.CoreDictService/HealthCheck"})
# Methods that read only the token's user id here and check the user, and count the per-client limit, in
# their own single Redis call (lookup.store): the lookup's hot path, with no query and no extra round trip.
TOKEN_ONLY_METHODS = frozenset({"/dict.core.v1.CoreDictService/LookupKey"})
OPEN_SERVICE_PREFIXES = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/grpc.reflection.v1.ServerReflection/",
)

Behavior = Callable[[Any, grpc.ServicerContext], Any]


def is_open(method: str) -> bool:
    """Methods callable without a token: probes and tooling must work before anyone logs in."""
    return method in OPEN_METHODS or method.startswith(OPEN_SERVICE_PREFIXES)


def final_status(context: grpc.ServicerContext, error: BaseException | None) -> grpc.StatusCode:
    """The status the call ends with, as seen from inside the chain.

    An abort sets the context's code before raising; any other exception becomes INTERNAL in
    the recovery layer, and a closed stream means the client went away.
    """
    code = context.code()
    if code is not None:
        return code
    if error is None:
        return grpc.StatusCode.OK
    return grpc.StatusCode.CANCELLED if isinstance(error, GeneratorExit) else grpc.StatusCode.INTERNAL


def observed(context: grpc.ServicerContext, on_end: Callable[[grpc.StatusCode, float], None]) -> AbstractContextManager:
    """Run the call, then tell ``on_end`` its final status and its duration in seconds, whatever happened."""
    return timed(lambda error, seconds: on_end(final_status(context, error), seconds))


def _metadata(context: grpc.ServicerContext) -> dict[str, str | bytes]:
    return {item.key: item.value for item in context.invocation_metadata() or ()}


def _peer_host(peer: str) -> str:
    """The caller's address without its port ("ipv4:10.0.0.1:5123" -> "10.0.0.1"), like REST's REMOTE_ADDR."""
    kind, _, address = peer.partition(":")
    if kind not in {"ipv4", "ipv6"}:
        return peer
    return unquote(address).rsplit(":", 1)[0].strip("[]")


def _iterate_in(ctx: contextvars.Context, iterator: Iterator[Any]) -> Iterator[Any]:
    """Step ``iterator`` inside ``ctx``, so what it binds stays in the call's own context."""
    while True:
        try:
            item = ctx.run(next, iterator)
        except StopIteration:
            return
        yield item


class _Layer(grpc.ServerInterceptor):
    """One layer of the chain: ``around`` runs in the handler's thread, around its behaviour."""

    # The outermost layer runs each call in a fresh copy of the context: pool threads are
    # reused, and inner layers bind without resetting so outer ones can read what they bound.
    isolate = False

    def around(self, method: str, context: grpc.ServicerContext) -> AbstractContextManager[None]:
        raise NotImplementedError

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(handler_call_details)
        if handler is None or handler.request_streaming:
            return handler
        method = handler_call_details.method
        codecs = {
            "request_deserializer": handler.request_deserializer,
            "response_serializer": handler.response_serializer,
        }
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(self._wrap_unary(method, handler.unary_unary), **codecs)
        return grpc.unary_stream_rpc_method_handler(self._wrap_stream(method, handler.unary_stream), **codecs)

    def _wrap_unary(self, method: str, behavior: Behavior) -> Behavior:
        def call(request: Any, context: grpc.ServicerContext) -> Any:
            with self.around(method, context):
                return behavior(request, context)

        if not self.isolate:
            return call
        return lambda request, context: contextvars.copy_context().run(call, request, context)

    def _wrap_stream(self, method: str, behavior: Behavior) -> Behavior:
        def call(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            with self.around(method, context):
                yield from behavior(request, context)

        if not self.isolate:
            return call
        return lambda request, context: _iterate_in(contextvars.copy_context(), call(request, context))


class RecoveryInterceptor(_Layer):
    """An unexpected exception becomes INTERNAL naming the request id, never a dead worker."""

    isolate = True

    @contextmanager
    def around(self, method: str, context: grpc.ServicerContext) -> Iterator[None]:
        try:
            yield
        except Exception:
            if context.code() is not None:  # a deliberate abort (domain refusal): its status stands
                raise
            request_id = current_request_id()
            logger.exception("unhandled error in %s", method)
            context.abort(grpc.StatusCode.INTERNAL, f"internal error; request id {request_id}")


class RequestLogInterceptor(_Layer):
    """Binds the request id (echoed in initial and trailing metadata) and logs one line per call.

    The line carries the user's id, never the username, and no request body; the handlers'
    PII filter masks whatever else might slip into the message. Servicers must not send
    initial metadata themselves: it is sent here, once.
    """

    @contextmanager
    def around(self, method: str, context: grpc.ServicerContext) -> Iterator[None]:
        supplied = _metadata(context).get(REQUEST_ID_METADATA_KEY)
        request_id = bind_request_id(supplied if isinstance(supplied, str) else None)
        context.send_initial_metadata(((REQUEST_ID_METADATA_KEY, request_id),))

        def log_line(status: grpc.StatusCode, seconds: float) -> None:
            # Appended, not set: an abort may already have put the error's metadata there.
            context.set_trailing_metadata((*(context.trailing_metadata() or ()), (REQUEST_ID_METADATA_KEY, request_id)))
            code, duration_ms = status.name, round(seconds * 1000, 1)
            user = current_user()
            user_id = user.pk if user is not None else None
            logger.info(
                "grpc %s %s %.1fms user=%s",
                method,
                code,
                duration_ms,
                user_id if user_id is not None else "-",
                extra={
                    "grpc_method": method,
                    "grpc_code": code,
                    "duration_ms": duration_ms,
                    "user_id": user_id,
                    "request_id": request_id,
                },
            )

        with observed(context, log_line):
            yield


class GrpcMetrics:
    """The server's Prometheus metrics, on one registry (created once per registry)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.requests = Counter(
            "coredict_grpc_requests",
            "gRPC calls handled, by method and status code.",
            ["method", "code"],
            registry=registry,
        )
        self.latency = Histogram(
            "coredict_grpc_request_duration_seconds", "gRPC call latency, by method.", ["method"], registry=registry
        )
        self.in_flight = Gauge(
            "coredict_grpc_in_flight_requests", "gRPC calls being handled, by method.", ["method"], registry=registry
        )


# The process-wide metrics, on the default registry (next to the process collectors), built once.
METRICS = GrpcMetrics(REGISTRY)


class MetricsInterceptor(_Layer):
    def __init__(self, metrics: GrpcMetrics) -> None:
        self.metrics = metrics

    @contextmanager
    def around(self, method: str, context: grpc.ServicerContext) -> Iterator[None]:
        in_flight = self.metrics.in_flight.labels(method)
        in_flight.inc()

        def count(status: grpc.StatusCode, seconds: float) -> None:
            in_flight.dec()
            self.metrics.latency.labels(method).observe(seconds)
            self.metrics.requests.labels(method, status.name).inc()

        with observed(context, count):
            yield


class AuthInterceptor(_Layer):
    """The caller's JWT from ``authorization: Bearer``, validated exactly as REST validates it.

    The user is bound for the call with ``grpc_context.set_current_user`` (None on open
    methods). Stale database connections are closed before and after, as Django does around
    each HTTP request, since this layer queries the user table on a long-lived pool thread.
    """

    @contextmanager
    def around(self, method: str, context: grpc.ServicerContext) -> Iterator[None]:
        close_old_connections()
        try:
            set_current_user(None if is_open(method) else self._authenticate(context, method))
            yield
        finally:
            close_old_connections()

    @staticmethod
    def _authenticate(context: grpc.ServicerContext, method: str) -> Any:
        header = _metadata(context).get("authorization")
        auth = HolderJWTAuthentication(token_only=method in TOKEN_ONLY_METHODS)
        try:
            raw_token = auth.get_raw_token(header.encode()) if isinstance(header, str) else None
            if raw_token is None:
                abort(context, errors.Unauthenticated("Authentication credentials were not provided."))
            return auth.get_user(auth.get_validated_token(raw_token))
        except AuthenticationFailed as refused:  # common.authentication.TokenRefused: REST's sentence
            abort(context, errors.Unauthenticated(str(refused.detail)))


class RateLimitInterceptor(_Layer):
    """REST's per-client limit (RATE_LIMIT_RPS) on the same counters: the user, else the peer address."""

    @contextmanager
    def around(self, method: str, context: grpc.ServicerContext) -> Iterator[None]:
        if method in TOKEN_ONLY_METHODS:  # counted on the same counter inside their own Redis call
            yield
            return
        throttle = ClientRateThrottle()
        # What REST's client_key reads from a request; gRPC has no forwarding header, only its peer.
        client = SimpleNamespace(user=current_user(), META={"REMOTE_ADDR": _peer_host(context.peer())}, headers={})
        if not throttle.allow_request(client, None):
            abort(context, errors.RateLimited(retry_after=retry_after_seconds(throttle.wait())))
        yield


def server_interceptors(metrics: GrpcMetrics | None = None) -> list[grpc.ServerInterceptor]:
    """The chain in order, outermost first; ``metrics`` defaults to the process-wide ones."""
    return [
        RecoveryInterceptor(),
        RequestLogInterceptor(),
        MetricsInterceptor(metrics or METRICS),
        AuthInterceptor(),
        RateLimitInterceptor(),
    ]


# Prometheus scrapes from outside the container, hence every interface by default.
def start_metrics_server(port: int, *, addr: str, registry: CollectorRegistry = REGISTRY) -> WSGIServer:
    """Serve ``/metrics`` on ``addr`` (the caller's METRICS_BIND), on its own thread; returns the HTTP server."""
    server, _thread = start_http_server(port, addr=addr, registry=registry)
    return server
