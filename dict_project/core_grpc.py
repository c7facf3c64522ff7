"""CoreDictService: the customer's use cases over gRPC, calling the same services and selectors as REST.

Plain grpcio, not django-grpc-framework: that library's server command and in-process test
channel are broken on current Django and grpcio (STACK_NOTES), and its model serializers would
bypass our services. Each method parses with ``grpc_mappers``, calls a service or selector, and
maps the result back; domain errors become statuses through ``grpc_errors.abort``. Who calls is
``grpc_context.current_user()``, bound by the auth interceptor.
"""

import base64
import binascii
import functools
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import grpc
from django.contrib.auth.models import AbstractBaseUser
from django.db import close_old_connections
from django.db.models import Model, Q, QuerySet
from rest_framework.pagination import CursorPagination

from claims import selectors as claim_selectors
from claims import services as claim_services
from claims.domain import Role
from common.grpc_context import current_user
from common.grpc_errors import abort
from common.health import readiness
from common.outages import OUTAGES, outage_error
from common.pagination import DeadlineFirstCursorPagination, NewestFirstCursorPagination
from dict_project import grpc_mappers as mappers
from dict_rules.errors import BadRequest, DomainError, Unauthenticated
from keys import selectors as key_selectors
from keys import services as key_services
from lookup import services as lookup_services
from portability import services as portability_services
from protos.dict.core.v1 import core_dict_pb2 as pb
from protos.dict.core.v1 import core_dict_pb2_grpc

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["CoreDictService"].full_name
MAX_TOKEN_LENGTH = 200  # ours are about 110 characters
KEY_NOT_FOUND = "Key not found."
CLAIM_NOT_FOUND = "Claim not found."

T = TypeVar("T")


def _serve(context: grpc.ServicerContext, work: Callable[[], T]) -> T:
    """Fresh DB connections around each call (as Django does per HTTP request); domain errors and
    outages of the database or Redis as statuses."""
    close_old_connections()
    try:
        return work()
    except DomainError as error:
        abort(context, error)
    except OUTAGES as error:
        abort(context, outage_error(error))
    finally:
        close_old_connections()


def _caller() -> AbstractBaseUser:
    """The authenticated user; the auth interceptor refuses anonymous calls first, this is the backstop."""
    user = current_user()
    if user is None:
        raise Unauthenticated()
    return user


def rpc(method: Callable[[Any, Any, AbstractBaseUser], T]) -> Callable[[Any, Any, grpc.ServicerContext], T]:
    """A servicer method that receives the caller instead of the context."""

    @functools.wraps(method)
    def wrapper(self, request, context: grpc.ServicerContext) -> T:
        return _serve(context, lambda: method(self, request, _caller()))

    return wrapper


# --- keyset pages -----------------------------------------------------------------------------------


class Keyset:
    """A REST pagination class's ordering and sizes, with opaque page tokens: base64 of the last row's values.

    The ordering is (timestamp, id), both in one direction, which makes "after the last row"
    one OR of two comparisons. The token names its list, so one list's token is refused by
    another; anything else that is not a token this list gave out is refused as BadRequest.
    """

    def __init__(self, name: str, pages: type[CursorPagination]) -> None:
        self.name, self.ordering = name, pages.ordering
        self.default_size, self.max_size = pages.page_size, pages.max_page_size
        self.descending = self.ordering[0].startswith("-")
        self.time_field = self.ordering[0].lstrip("-")

    def page(self, qs: QuerySet, page_size: int, page_token: str) -> tuple[list[Model], str]:
        size = min(page_size, self.max_size) if page_size > 0 else self.default_size
        qs = qs.order_by(*self.ordering)
        if page_token:
            at, last_id = self._decode(page_token)
            op = "lt" if self.descending else "gt"
            qs = qs.filter(Q(**{f"{self.time_field}__{op}": at}) | Q(**{self.time_field: at, f"id__{op}": last_id}))
        rows = list(qs[: size + 1])
        if len(rows) <= size:
            return rows, ""
        last = rows[size - 1]
        return rows[:size], self._encode(getattr(last, self.time_field), last.pk)

    def _encode(self, at: datetime, row_id: uuid.UUID) -> str:
        raw = json.dumps([self.name, at.isoformat(), str(row_id)]).encode()
        return base64.urlsafe_b64encode(raw).decode()

    def _decode(self, token: str) -> tuple[datetime, uuid.UUID]:
        try:
            if len(token) > MAX_TOKEN_LENGTH:
                raise ValueError(len(token))
            name, at, row_id = json.loads(base64.urlsafe_b64decode(token.encode()))
            if name != self.name or not isinstance(at, str) or not isinstance(row_id, str):
                raise ValueError(name)
            moment = datetime.fromisoformat(at)
            if moment.tzinfo is None:
                raise ValueError(at)
            return moment.astimezone(UTC), uuid.UUID(row_id)  # astimezone: overflows here, not in the database
        except (ValueError, TypeError, OverflowError, RecursionError, binascii.Error, UnicodeError):
            raise BadRequest.on_field("page_token", "page_token is not one this list gave out.") from None


KEYS = Keyset("keys", NewestFirstCursorPagination)
INCOMING = Keyset("incoming", DeadlineFirstCursorPagination)
OUTGOING = Keyset("outgoing", NewestFirstCursorPagination)


# --- the servicer -----------------------------------------------------------------------------------


class CoreDictServicer(core_dict_pb2_grpc.CoreDictServiceServicer):
    @rpc
    def CreateKey(self, request: pb.CreateKeyRequest, user: AbstractBaseUser) -> pb.CreateKeyResponse:
        entry, replayed = key_services.entry_create(user=user, **mappers.create_key_args(request))
        entry = key_selectors.entry_get(user=user, entry_id=entry.pk)
        return pb.CreateKeyResponse(entry=mappers.entry_to_pb(entry), replayed=replayed)

    @rpc
    def ListKeys(self, request: pb.ListKeysRequest, user: AbstractBaseUser) -> pb.ListKeysResponse:
        qs = key_selectors.entry_list(user=user, **mappers.key_filters(request))
        rows, token = KEYS.page(qs, request.page_size, request.page_token)
        return pb.ListKeysResponse(entries=[mappers.entry_to_pb(e) for e in rows], next_page_token=token)

    @rpc
    def GetKey(self, request: pb.GetKeyRequest, user: AbstractBaseUser) -> pb.Entry:
        entry_id = mappers.resource_id_from_pb(request.id, KEY_NOT_FOUND)
        return mappers.entry_to_pb(key_selectors.entry_get(user=user, entry_id=entry_id))

    @rpc
    def DeleteKey(self, request: pb.DeleteKeyRequest, user: AbstractBaseUser) -> pb.Entry:
        entry_id = mappers.resource_id_from_pb(request.id, KEY_NOT_FOUND)
        reason = mappers.delete_reason_from_pb(request.reason)
        key_services.entry_delete(user=user, entry_id=entry_id, reason=reason)
        return mappers.entry_to_pb(key_selectors.entry_get(user=user, entry_id=entry_id))

    @rpc
    def StartClaim(self, request: pb.StartClaimRequest, user: AbstractBaseUser) -> pb.StartClaimResponse:
        claim, replayed = claim_services.ownership_claim_start(user=user, **mappers.ownership_claim_args(request))
        return self._started(user, claim.pk, replayed)

    @rpc
    def GetClaimStatus(self, request: pb.GetClaimStatusRequest, user: AbstractBaseUser) -> pb.Claim:
        return self._shown(user, mappers.resource_id_from_pb(request.id, CLAIM_NOT_FOUND))

    @rpc
    def ListIncomingClaims(self, request: pb.ListClaimsRequest, user: AbstractBaseUser) -> pb.ListClaimsResponse:
        return self._claims(user, request, Role.DONOR, INCOMING)

    @rpc
    def ListOutgoingClaims(self, request: pb.ListClaimsRequest, user: AbstractBaseUser) -> pb.ListClaimsResponse:
        return self._claims(user, request, Role.CLAIMER, OUTGOING)

    @rpc
    def RespondToClaim(self, request: pb.RespondToClaimRequest, user: AbstractBaseUser) -> pb.Claim:
        claim_id = mappers.resource_id_from_pb(request.id, CLAIM_NOT_FOUND)
        accept = mappers.accept_from_pb(request.decision)
        otp = mappers.otp_from_pb(request.otp)
        claim_services.claim_respond(user=user, claim_id=claim_id, accept=accept, otp=otp)
        return self._shown(user, claim_id)

    @rpc
    def CancelClaim(self, request: pb.CancelClaimRequest, user: AbstractBaseUser) -> pb.Claim:
        claim_id = mappers.resource_id_from_pb(request.id, CLAIM_NOT_FOUND)
        otp = mappers.otp_from_pb(request.otp)
        reason = mappers.claim_reason_from_pb(request.reason)
        claim_services.claim_cancel(user=user, claim_id=claim_id, otp=otp, reason=reason)
        return self._shown(user, claim_id)

    @rpc
    def StartPortability(self, request: pb.StartPortabilityRequest, user: AbstractBaseUser) -> pb.StartClaimResponse:
        claim, replayed = portability_services.portability_start(user=user, **mappers.portability_args(request))
        return self._started(user, claim.pk, replayed)

    @rpc
    def ConfirmPortability(self, request: pb.ConfirmPortabilityRequest, user: AbstractBaseUser) -> pb.Claim:
        claim_id = mappers.resource_id_from_pb(request.id, CLAIM_NOT_FOUND)
        portability_services.portability_confirm(user=user, claim_id=claim_id, otp=mappers.otp_from_pb(request.otp))
        return self._shown(user, claim_id)

    @rpc
    def CancelPortability(self, request: pb.CancelPortabilityRequest, user: AbstractBaseUser) -> pb.Claim:
        claim_id = mappers.resource_id_from_pb(request.id, CLAIM_NOT_FOUND)
        portability_services.portability_cancel(user=user, claim_id=claim_id, otp=mappers.otp_from_pb(request.otp))
        return self._shown(user, claim_id)

    @rpc
    def LookupKey(self, request: pb.LookupKeyRequest, user: AbstractBaseUser) -> pb.LookupKeyResponse:
        return mappers.lookup_to_pb(lookup_services.lookup_key(user=user, key=request.key))

    def HealthCheck(self, request: pb.HealthCheckRequest, context: grpc.ServicerContext) -> pb.HealthCheckResponse:
        """Open (no caller needed): the same readiness REST's /readyz reports."""
        return _serve(context, lambda: mappers.health_to_pb(readiness()))

    @staticmethod
    def _shown(user: AbstractBaseUser, claim_id: uuid.UUID) -> pb.Claim:
        return mappers.claim_to_pb(claim_selectors.claim_get(user=user, claim_id=claim_id))

    def _started(self, user: AbstractBaseUser, claim_id: uuid.UUID, replayed: bool) -> pb.StartClaimResponse:
        return pb.StartClaimResponse(claim=self._shown(user, claim_id), replayed=replayed)

    @staticmethod
    def _claims(
        user: AbstractBaseUser, request: pb.ListClaimsRequest, role: Role, keyset: Keyset
    ) -> pb.ListClaimsResponse:
        qs = claim_selectors.claim_list(user=user, role=role, **mappers.claim_filters(request))
        rows, token = keyset.page(qs, request.page_size, request.page_token)
        return pb.ListClaimsResponse(claims=[mappers.claim_to_pb(c) for c in rows], next_page_token=token)


def add_to_server(server: grpc.Server) -> None:
    core_dict_pb2_grpc.add_CoreDictServiceServicer_to_server(CoreDictServicer(), server)
