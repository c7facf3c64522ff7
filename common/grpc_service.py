"""What every CoreDictService method shares, whichever app owns it: the ``rpc`` decorator and HealthCheck.

Plain grpcio, not django-grpc-framework: that library's server command and in-process test
channel are broken on current Django and grpcio (STACK_NOTES), and its model serializers would
bypass our services. Each app's mixin of methods (``keys.grpc.KeyMethods``, ...) parses the
request with explicit mappers, calls a service or selector, and maps the result back; ``rpc``
gives it the caller (``grpc_context.current_user()``, bound by the auth interceptor) and turns
domain errors and outages into statuses through ``grpc_errors.abort``. ``dict_project.grpc``
composes the mixins into the one servicer, and adds it with ``add_servicer`` so that a request
is decoded inside the interceptor chain, not by grpcio before it.
"""

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import grpc
from django.contrib.auth.models import AbstractBaseUser
from django.db import close_old_connections
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import DecodeError, Message

from common.grpc_context import current_user
from common.grpc_errors import abort
from common.health import Readiness, readiness
from common.outages import OUTAGES, outage_error
from common.strict_input import check_text
from dict_rules.errors import BadRequest, DomainError, Unauthenticated
from protos.dict.core.v1 import core_dict_pb2 as pb

T = TypeVar("T")

logger = logging.getLogger(__name__)


def serve(context: grpc.ServicerContext, work: Callable[[], T]) -> T:
    """Fresh DB connections around each call (as Django does per HTTP request); domain errors and
    outages of the database or Redis as statuses. The simulated directory's Connect server
    (dictsim.grpc) serves through it too."""
    close_old_connections()
    try:
        return work()
    except DomainError as error:
        abort(context, error)
    except OUTAGES as error:
        abort(context, outage_error(error))
    finally:
        close_old_connections()


def caller() -> AbstractBaseUser:
    """The authenticated user; the auth interceptor refuses anonymous calls first, this is the backstop."""
    user = current_user()
    if user is None:
        raise Unauthenticated()
    return user


def rpc(method: Callable[[Any, Any, AbstractBaseUser], T]) -> Callable[[Any, Any, grpc.ServicerContext], T]:
    """A servicer method that receives the caller instead of the context."""

    @functools.wraps(method)
    def wrapper(self, request, context: grpc.ServicerContext) -> T:
        return serve(context, lambda: method(self, request, caller()))

    return wrapper


@functools.cache
def _text_fields(
    full_name: str, descriptor: Descriptor
) -> tuple[tuple[FieldDescriptor, ...], tuple[FieldDescriptor, ...]]:
    """A message type's string fields, and its nested message fields (map entries excluded).

    Worked out once per type (keyed by its full name; the descriptor rides along): ``check_texts``
    runs on every request.
    """
    strings = tuple(f for f in descriptor.fields if f.type == f.TYPE_STRING)
    messages = tuple(
        f for f in descriptor.fields if f.type == f.TYPE_MESSAGE and not f.message_type.GetOptions().map_entry
    )
    return strings, messages


def check_texts(message: Message, prefix: str = "") -> None:
    """Every string of a request, nested messages included, checked as REST's serializers check text."""
    descriptor = message.DESCRIPTOR
    strings, messages = _text_fields(descriptor.full_name, descriptor)
    for field in strings:
        value = getattr(message, field.name)
        for text in value if field.is_repeated else (value,):
            check_text(f"{prefix}{field.name}", text)
    for field in messages:
        if field.is_repeated:
            items = getattr(message, field.name)
        elif message.HasField(field.name):
            items = (getattr(message, field.name),)
        else:
            continue
        for item in items:
            check_texts(item, f"{prefix}{field.name}.")


def decode(method: str, parse: Callable[[bytes], Message], raw: bytes, context: grpc.ServicerContext) -> Message:
    """The request from its bytes: what does not decode, or carries control characters, is BadRequest."""
    try:
        request = parse(raw)
        check_texts(request)
    except DecodeError:
        logger.warning("grpc %s: the request message does not decode (%d bytes)", method, len(raw))
        abort(context, BadRequest("The request message could not be decoded."))
    except DomainError as error:
        abort(context, error)
    return request


def _decoding_inside(method: str, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
    """The handler with grpcio handing over raw bytes (it cannot fail) and the behaviour decoding them.

    grpcio runs the request deserializer before any interceptor, and answers a failure INTERNAL
    with a traceback; decoding in the behaviour puts it after recovery, logging, metrics, auth
    and rate limit, like any other refusal.
    """
    if handler.request_streaming or handler.request_deserializer is None:
        return handler
    parse = handler.request_deserializer
    codecs = {"request_deserializer": None, "response_serializer": handler.response_serializer}
    if handler.unary_unary is not None:
        behaviour = handler.unary_unary
        return grpc.unary_unary_rpc_method_handler(
            lambda raw, context: behaviour(decode(method, parse, raw, context), context), **codecs
        )
    stream = handler.unary_stream
    return grpc.unary_stream_rpc_method_handler(
        lambda raw, context: stream(decode(method, parse, raw, context), context), **codecs
    )


class _HandlerRecorder:
    """Stands in for the server while a generated ``add_*Servicer_to_server`` registers its handlers."""

    def __init__(self) -> None:
        self.services: list[tuple[str, dict[str, grpc.RpcMethodHandler]]] = []

    def add_generic_rpc_handlers(self, handlers: Any) -> None:
        """The same handlers arrive through ``add_registered_method_handlers``."""

    def add_registered_method_handlers(self, service: str, handlers: dict[str, grpc.RpcMethodHandler]) -> None:
        self.services.append((service, handlers))


def add_servicer(add_to_server: Callable[[Any, Any], None], servicer: Any, server: grpc.Server) -> list[str]:
    """``add_to_server(servicer, server)`` (the generated function), with requests decoded in the chain.

    Returns the full names of the services added (for health and reflection).
    """
    recorder = _HandlerRecorder()
    add_to_server(servicer, recorder)
    for service, handlers in recorder.services:
        decoding = {name: _decoding_inside(f"/{service}/{name}", h) for name, h in handlers.items()}
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service, decoding),))
        server.add_registered_method_handlers(service, decoding)
    return [service for service, _ in recorder.services]


def health_to_pb(state: Readiness) -> pb.HealthCheckResponse:
    return pb.HealthCheckResponse(
        status=pb.SERVING if state.ready else pb.NOT_SERVING,
        database=state.database,
        cache=state.cache,
        connect=state.connect,
        pulsar=state.pulsar or "",
    )


class HealthMethods:
    """CoreDictService's HealthCheck: no app's, so the kernel's."""

    def HealthCheck(self, request: pb.HealthCheckRequest, context: grpc.ServicerContext) -> pb.HealthCheckResponse:
        """Open (no caller needed): the same readiness REST's /readyz reports."""
        return serve(context, lambda: health_to_pb(readiness()))
