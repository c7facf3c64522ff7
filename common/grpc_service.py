"""What every CoreDictService method shares, whichever app owns it: the ``rpc`` decorator and HealthCheck.

Plain grpcio, not django-grpc-framework: that library's server command and in-process test
channel are broken on current Django and grpcio (STACK_NOTES), and its model serializers would
bypass our services. Each app's mixin of methods (``keys.grpc.KeyMethods``, ...) parses the
request with explicit mappers, calls a service or selector, and maps the result back; ``rpc``
gives it the caller (``grpc_context.current_user()``, bound by the auth interceptor) and turns
domain errors and outages into statuses through ``grpc_errors.abort``. ``dict_project.grpc``
composes the mixins into the one servicer.
"""

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import grpc
from django.contrib.auth.models import AbstractBaseUser
from django.db import close_old_connections

from common.grpc_context import current_user
from common.grpc_errors import abort
from common.health import Readiness, readiness
from common.outages import OUTAGES, outage_error
from dict_rules.errors import DomainError, Unauthenticated
from protos.dict.core.v1 import core_dict_pb2 as pb

T = TypeVar("T")


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


def health_to_pb(state: Readiness) -> pb.HealthCheckResponse:
    return pb.HealthCheckResponse(
        status=pb.SERVING if state.ready else pb.NOT_SERVING,
        database=state.database,
        cache=state.cache,
        connect=state.connect,
    )


class HealthMethods:
    """CoreDictService's HealthCheck: no app's, so the kernel's."""

    def HealthCheck(self, request: pb.HealthCheckRequest, context: grpc.ServicerContext) -> pb.HealthCheckResponse:
        """Open (no caller needed): the same readiness REST's /readyz reports."""
        return serve(context, lambda: health_to_pb(readiness()))
