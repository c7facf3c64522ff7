"""Parity: the same scenarios through REST and through gRPC give the same outcomes.

Each transport is a real server on a random loopback port: pytest-django's ``live_server``
(Django's threaded WSGI server) for REST, and CoreDictService with the production interceptor
chain for gRPC. Callers present real JWTs in both. A scenario is written once against the
``Transport`` operations and runs once per transport, on fresh data of its own; every step
records DICT's code ("OK" on success) and a transport-neutral view of the result. The test
then asserts, step by step, that both runs expect and get the same codes, show the same
views and the same invalid fields, and answer with statuses that correspond (404 with
NOT_FOUND, 409 with ALREADY_EXISTS or FAILED_PRECONDITION, ...).
"""

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode

import grpc
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connections
from django.utils import timezone
from google.protobuf import json_format
from google.protobuf.message import Message
from rest_framework_simplejwt.tokens import AccessToken

from backoffice.roles import RISK_ENGINE
from claims.models import Claim
from claims.services import claims_poll
from common.grpc_errors import ERROR_METADATA_KEY, FIELDS_METADATA_KEY, GRPC_STATUS, grpc_status_for
from common.grpc_interceptors import server_interceptors
from common.grpc_server import new_server, start_server
from common.http_errors import HTTP_STATUS, http_status_for
from dict_project.grpc import grpc_handlers
from dict_rules.errors import ERRORS_BY_CODE
from dict_rules.lookups import new_end_to_end_id
from dict_rules.med import Statistics
from dictsim import claims as dir_claims
from dictsim import clock as dict_clock
from dictsim import spi
from med.models import InfractionReport
from med.services import med_poll
from protos.dict.core.v1 import core_dict_pb2 as pb
from protos.dict.core.v1 import core_dict_pb2_grpc
from rfb.services import simulated_registration_set
from tests.factories import (
    DAY,
    OTHER_PSP,
    at_other_psp,
    code,
    device_for,
    incoming_claim,
    key_at_other_psp,
    new_cpf,
    new_phone,
    our_key,
    owner_of,
    sent_code,
    stranger,
    token_for,
    unknown_email,
    wrong_code,
)
from tests.med_support import fraud_team, paid_by_our_customer, paid_to_our_customer, reported_by_other_psp

pytestmark = pytest.mark.django_db(transaction=True)

# The statuses each HTTP status may correspond to; a code's status comes from each side's one table.
CORRESPONDING: dict[int, set[grpc.StatusCode]] = {
    200: {grpc.StatusCode.OK},
    201: {grpc.StatusCode.OK},
    202: {grpc.StatusCode.OK},
    400: {grpc.StatusCode.INVALID_ARGUMENT},
    401: {grpc.StatusCode.UNAUTHENTICATED},
    403: {grpc.StatusCode.PERMISSION_DENIED},
    404: {grpc.StatusCode.NOT_FOUND},
    409: {grpc.StatusCode.ALREADY_EXISTS, grpc.StatusCode.FAILED_PRECONDITION},
    422: {grpc.StatusCode.FAILED_PRECONDITION},
    429: {grpc.StatusCode.RESOURCE_EXHAUSTED},
    503: {grpc.StatusCode.UNAVAILABLE},
}


@dataclass(frozen=True)
class Reply:
    """One call's answer: the transport's status, DICT's code ("OK" on success), the body as data."""

    status: int | grpc.StatusCode
    code: str
    data: dict[str, Any]
    fields: frozenset[str] = frozenset()  # the invalid fields a refusal names


# --- the two transports ---------------------------------------------------------------------------------


class Rest:
    """The REST API over HTTP; lists answer ``{"items", "next"}`` with ``next`` the next page's URL."""

    name = "rest"

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def _send(
        self, auth: str | None, method: str, path: str, body: dict | None = None, raw: bytes | None = None
    ) -> Reply:
        url = path if path.startswith("http") else f"{self.base_url}/api/v1/{path}"
        headers = {"Content-Type": "application/json", **({"Authorization": auth} if auth else {})}
        payload = json.dumps({k: v for k, v in (body or {}).items() if v is not None}).encode() if body else raw
        request = urllib.request.Request(url, data=payload, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                data = json.loads(response.read())
                if response.headers.get("Idempotent-Replayed") == "true":
                    data["replayed"] = True
                return Reply(response.status, "OK", data)
        except urllib.error.HTTPError as error:
            problem = json.loads(error.read())
            fields = frozenset(f["field"] for f in problem.get("errors", ()))
            return Reply(error.code, problem["code"], problem, fields)

    def _list(self, auth: str | None, path: str, page_size: int | None, page: str | None, filters: dict) -> Reply:
        query = {k: v for k, v in (filters | {"page_size": page_size}).items() if v is not None}
        reply = self._send(auth, "GET", page or f"{path}?{urlencode(query)}")
        if reply.code != "OK":
            return reply
        return Reply(reply.status, "OK", {"items": reply.data["results"], "next": reply.data["next"]})

    def create_key(self, auth, account_id, key_type, key_value, request_id, proof=None) -> Reply:
        body = {"account_id": account_id, "key_type": key_type, "key_value": key_value, "request_id": request_id}
        return self._send(auth, "POST", "keys/", body | {"possession_challenge_id": proof})

    def start_challenge(self, auth, key_type, key) -> Reply:
        return self._send(auth, "POST", "keys/possession-challenges/", {"key_type": key_type, "key": key})

    def confirm_challenge(self, auth, challenge_id, code) -> Reply:
        return self._send(auth, "POST", f"keys/possession-challenges/{challenge_id}/confirm/", {"code": code})

    def complete_claim(self, auth, claim_id, proof) -> Reply:
        return self._send(auth, "POST", f"claims/{claim_id}/complete/", {"possession_challenge_id": proof})

    def list_keys(self, auth, page_size=None, page=None, **filters) -> Reply:
        return self._list(auth, "keys/", page_size, page, filters)

    def get_key(self, auth, key_id) -> Reply:
        return self._send(auth, "GET", f"keys/{key_id}/")

    def delete_key(self, auth, key_id, reason=None) -> Reply:
        return self._send(auth, "DELETE", f"keys/{key_id}/", {"reason": reason})

    def update_key(self, auth, key_id, account_id, request_id, reason=None) -> Reply:
        body = {"account_id": account_id, "request_id": request_id, "reason": reason}
        return self._send(auth, "PATCH", f"keys/{key_id}/", body)

    def start_claim(self, auth, account_id, key, key_type, request_id) -> Reply:
        body = {"account_id": account_id, "key": key, "key_type": key_type, "request_id": request_id}
        return self._send(auth, "POST", "claims/", body)

    def claim_status(self, auth, claim_id) -> Reply:
        return self._send(auth, "GET", f"claims/{claim_id}/")

    def incoming_claims(self, auth, page_size=None, page=None, **filters) -> Reply:
        return self._list(auth, "claims/incoming/", page_size, page, filters)

    def outgoing_claims(self, auth, page_size=None, page=None, **filters) -> Reply:
        return self._list(auth, "claims/outgoing/", page_size, page, filters)

    def respond(self, auth, claim_id, decision, otp, proof=None) -> Reply:
        body = {"decision": decision, "otp": otp, "possession_challenge_id": proof}
        return self._send(auth, "POST", f"claims/{claim_id}/respond/", body)

    def cancel_claim(self, auth, claim_id, otp, reason=None, proof=None) -> Reply:
        body = {"otp": otp, "reason": reason, "possession_challenge_id": proof}
        return self._send(auth, "POST", f"claims/{claim_id}/cancel/", body)

    def start_portability(self, auth, account_id, key_type, key, request_id) -> Reply:
        body = {"account_id": account_id, "key_type": key_type, "key": key, "request_id": request_id}
        return self._send(auth, "POST", "portabilities/", body)

    def confirm_portability(self, auth, claim_id, otp) -> Reply:
        return self._send(auth, "POST", f"portabilities/{claim_id}/confirm/", {"otp": otp})

    def cancel_portability(self, auth, claim_id, otp) -> Reply:
        return self._send(auth, "POST", f"portabilities/{claim_id}/cancel/", {"otp": otp})

    def lookup(self, auth, key, include_statistics=None, payer_account_id=None) -> Reply:
        query = {"include_statistics": include_statistics, "payer_account_id": payer_account_id}
        query = urlencode({k: str(v).lower() if isinstance(v, bool) else v for k, v in query.items() if v is not None})
        return self._send(auth, "GET", f"lookup/{quote(key, safe='')}/" + (f"?{query}" if query else ""))

    def create_key_undecodable(self, auth) -> Reply:
        """A body that is not JSON at all."""
        return self._send(auth, "POST", "keys/", raw=b'{"account_id": \xff')

    # MED (the fraud team's): DICT's enum names as strings on both edges.

    def _med_created(self, reply: Reply) -> Reply:
        return reply if reply.code != "OK" else Reply(reply.status, "OK", {"replayed": False} | reply.data)

    def med_open_report(self, auth, transaction_id, situation_type, request_id, details="") -> Reply:
        body = {"transaction_id": transaction_id, "situation_type": situation_type, "request_id": request_id}
        body |= {"email": "fraude@psp.example", "phone": "+5561988887777", "report_details": details}
        return self._med_created(self._send(auth, "POST", "med/infraction-reports/", body))

    def med_get_report(self, auth, report_id) -> Reply:
        return self._send(auth, "GET", f"med/infraction-reports/{report_id}/")

    def med_list_reports(self, auth, page_size=None, page=None, **filters) -> Reply:
        return self._list(auth, "med/infraction-reports/", page_size, page, filters)

    def med_ack_report(self, auth, report_id) -> Reply:
        return self._send(auth, "POST", f"med/infraction-reports/{report_id}/acknowledge/")

    def med_close_report(self, auth, report_id, analysis_result, fraud_type="", details="") -> Reply:
        body = {"analysis_result": analysis_result, "fraud_type": fraud_type, "analysis_details": details}
        return self._send(auth, "POST", f"med/infraction-reports/{report_id}/close/", body)

    def med_cancel_report(self, auth, report_id) -> Reply:
        return self._send(auth, "POST", f"med/infraction-reports/{report_id}/cancel/")

    def med_request_refund(self, auth, transaction_id, reason, amount, request_id, details="") -> Reply:
        body = {"transaction_id": transaction_id, "reason": reason, "amount": amount, "request_id": request_id}
        return self._med_created(self._send(auth, "POST", "med/refunds/", body | {"details": details}))

    def med_create_marker(self, auth, tax_id, fraud_type, request_id, key="") -> Reply:
        body = {"tax_id": tax_id, "fraud_type": fraud_type, "request_id": request_id, "key": key}
        return self._med_created(self._send(auth, "POST", "med/fraud-markers/", body))


def enum(enum_type, name: str | None) -> int:
    """A name as the proto enum's number: None is the UNSPECIFIED zero, an unknown name a number no one uses."""
    if name is None:
        return 0
    return enum_type.Value(name) if name in enum_type.DESCRIPTOR.values_by_name else 99


class Grpc:
    """CoreDictService over a channel; messages become data as ``MessageToDict`` renders them."""

    name = "grpc"

    def __init__(self, stub: core_dict_pb2_grpc.CoreDictServiceStub, channel: grpc.Channel) -> None:
        self.stub = stub
        self.channel = channel

    def _call(self, auth: str | None, method: str, request: Message | bytes) -> Reply:
        metadata = (("authorization", auth),) if auth else ()
        try:
            if isinstance(request, bytes):  # sent as is: no serializer on either side of the channel
                answer = self.channel.unary_unary(f"/dict.core.v1.CoreDictService/{method}")(
                    request, metadata=metadata, timeout=20
                )
            else:
                answer = getattr(self.stub, method)(request, metadata=metadata, timeout=20)
        except grpc.RpcError as error:
            trailers = dict(error.trailing_metadata() or ())
            fields = frozenset(name for name, _ in json.loads(trailers.get(FIELDS_METADATA_KEY, b"[]")))
            return Reply(error.code(), trailers.get(ERROR_METADATA_KEY, "none"), {"detail": error.details()}, fields)
        data = json_format.MessageToDict(answer, preserving_proto_field_name=True)
        return Reply(grpc.StatusCode.OK, "OK", data)

    def _started(self, reply: Reply, entity: str) -> Reply:
        """CreateKey and Start* wrap the entity with ``replayed``; REST answers the entity itself."""
        if reply.code != "OK":
            return reply
        return Reply(reply.status, "OK", reply.data[entity] | {"replayed": reply.data.get("replayed", False)})

    def _list(self, auth, method, items: str, request: Message) -> Reply:
        reply = self._call(auth, method, request)
        if reply.code != "OK":
            return reply
        return Reply(
            reply.status, "OK", {"items": reply.data.get(items, []), "next": reply.data.get("next_page_token")}
        )

    def create_key(self, auth, account_id, key_type, key_value, request_id, proof=None) -> Reply:
        request = pb.CreateKeyRequest(
            account_id=account_id,
            key_type=enum(pb.KeyType, key_type),
            key_value=key_value,
            request_id=request_id,
            possession_challenge_id=proof or "",
        )
        return self._started(self._call(auth, "CreateKey", request), "entry")

    def start_challenge(self, auth, key_type, key) -> Reply:
        request = pb.StartPossessionChallengeRequest(key_type=enum(pb.KeyType, key_type), key=key)
        return self._call(auth, "StartPossessionChallenge", request)

    def confirm_challenge(self, auth, challenge_id, code) -> Reply:
        request = pb.ConfirmPossessionChallengeRequest(id=challenge_id, code=code)
        return self._call(auth, "ConfirmPossessionChallenge", request)

    def complete_claim(self, auth, claim_id, proof) -> Reply:
        request = pb.CompleteClaimRequest(id=claim_id, possession_challenge_id=proof or "")
        return self._call(auth, "CompleteClaim", request)

    def list_keys(self, auth, page_size=None, page=None, key_type=None, status=None) -> Reply:
        request = pb.ListKeysRequest(
            key_type=enum(pb.KeyType, key_type),
            status=enum(pb.EntryStatus, status),
            page_size=page_size or 0,
            page_token=page or "",
        )
        return self._list(auth, "ListKeys", "entries", request)

    def get_key(self, auth, key_id) -> Reply:
        return self._call(auth, "GetKey", pb.GetKeyRequest(id=key_id))

    def delete_key(self, auth, key_id, reason=None) -> Reply:
        return self._call(auth, "DeleteKey", pb.DeleteKeyRequest(id=key_id, reason=enum(pb.Reason, reason)))

    def update_key(self, auth, key_id, account_id, request_id, reason=None) -> Reply:
        request = pb.UpdateKeyRequest(
            id=key_id, account_id=account_id, request_id=request_id, reason=enum(pb.Reason, reason)
        )
        return self._started(self._call(auth, "UpdateKey", request), "entry")

    def start_claim(self, auth, account_id, key, key_type, request_id) -> Reply:
        request = pb.StartClaimRequest(
            account_id=account_id, key=key, key_type=enum(pb.KeyType, key_type), request_id=request_id
        )
        return self._started(self._call(auth, "StartClaim", request), "claim")

    def claim_status(self, auth, claim_id) -> Reply:
        return self._call(auth, "GetClaimStatus", pb.GetClaimStatusRequest(id=claim_id))

    def _claims(self, auth, method, page_size, page, claim_type, status) -> Reply:
        request = pb.ListClaimsRequest(
            type=enum(pb.ClaimType, claim_type),
            status=enum(pb.ClaimStatus, status),
            page_size=page_size or 0,
            page_token=page or "",
        )
        return self._list(auth, method, "claims", request)

    def incoming_claims(self, auth, page_size=None, page=None, type=None, status=None) -> Reply:  # noqa: A002
        return self._claims(auth, "ListIncomingClaims", page_size, page, type, status)

    def outgoing_claims(self, auth, page_size=None, page=None, type=None, status=None) -> Reply:  # noqa: A002
        return self._claims(auth, "ListOutgoingClaims", page_size, page, type, status)

    def respond(self, auth, claim_id, decision, otp, proof=None) -> Reply:
        decision = enum(pb.Decision, decision.upper())
        request = pb.RespondToClaimRequest(id=claim_id, decision=decision, otp=otp, possession_challenge_id=proof)
        return self._call(auth, "RespondToClaim", request)

    def cancel_claim(self, auth, claim_id, otp, reason=None, proof=None) -> Reply:
        reason = enum(pb.Reason, reason)
        request = pb.CancelClaimRequest(id=claim_id, otp=otp, reason=reason, possession_challenge_id=proof)
        return self._call(auth, "CancelClaim", request)

    def start_portability(self, auth, account_id, key_type, key, request_id) -> Reply:
        request = pb.StartPortabilityRequest(
            account_id=account_id, key_type=enum(pb.KeyType, key_type), key=key, request_id=request_id
        )
        return self._started(self._call(auth, "StartPortability", request), "claim")

    def confirm_portability(self, auth, claim_id, otp) -> Reply:
        return self._call(auth, "ConfirmPortability", pb.ConfirmPortabilityRequest(id=claim_id, otp=otp))

    def cancel_portability(self, auth, claim_id, otp) -> Reply:
        return self._call(auth, "CancelPortability", pb.CancelPortabilityRequest(id=claim_id, otp=otp))

    def lookup(self, auth, key, include_statistics=None, payer_account_id=None) -> Reply:
        request = pb.LookupKeyRequest(
            key=key, include_statistics=include_statistics or False, payer_account_id=payer_account_id or 0
        )
        return self._call(auth, "LookupKey", request)

    def create_key_undecodable(self, auth) -> Reply:
        """Bytes that are no protobuf message (an invalid wire type)."""
        return self._call(auth, "CreateKey", b"\xff\xff\xff")

    def med_open_report(self, auth, transaction_id, situation_type, request_id, details="") -> Reply:
        request = pb.OpenInfractionReportRequest(
            transaction_id=transaction_id,
            situation_type=situation_type,
            request_id=request_id,
            email="fraude@psp.example",
            phone="+5561988887777",
            report_details=details,
        )
        return self._started(self._call(auth, "OpenInfractionReport", request), "report")

    def med_get_report(self, auth, report_id) -> Reply:
        return self._call(auth, "GetInfractionReport", pb.MedIdRequest(id=report_id))

    def med_list_reports(self, auth, page_size=None, page=None, role=None, status=None) -> Reply:
        request = pb.ListMedRequest(
            role=role or "", status=status or "", page_size=page_size or 0, page_token=page or ""
        )
        return self._list(auth, "ListInfractionReports", "reports", request)

    def med_ack_report(self, auth, report_id) -> Reply:
        return self._call(auth, "AcknowledgeInfractionReport", pb.MedIdRequest(id=report_id))

    def med_close_report(self, auth, report_id, analysis_result, fraud_type="", details="") -> Reply:
        request = pb.CloseInfractionReportRequest(
            id=report_id, analysis_result=analysis_result, fraud_type=fraud_type, analysis_details=details
        )
        return self._call(auth, "CloseInfractionReport", request)

    def med_cancel_report(self, auth, report_id) -> Reply:
        return self._call(auth, "CancelInfractionReport", pb.MedIdRequest(id=report_id))

    def med_request_refund(self, auth, transaction_id, reason, amount, request_id, details="") -> Reply:
        request = pb.RequestRefundRequest(
            transaction_id=transaction_id, reason=reason, amount=amount, request_id=request_id, details=details
        )
        return self._started(self._call(auth, "RequestRefund", request), "refund")

    def med_create_marker(self, auth, tax_id, fraud_type, request_id, key="") -> Reply:
        request = pb.CreateFraudMarkerRequest(tax_id=tax_id, fraud_type=fraud_type, request_id=request_id, key=key)
        return self._started(self._call(auth, "CreateFraudMarker", request), "marker")


# --- transport-neutral views ------------------------------------------------------------------------------


def blank(value: Any) -> Any:
    """REST's null, proto's default and an enum's UNSPECIFIED zero are one thing: absent."""
    if value in (None, "", 0, "0") or (isinstance(value, str) and value.endswith("_UNSPECIFIED")):
        return None
    return value


class World:
    """One run's fresh data, and the names its values go by in views (so two runs compare)."""

    def __init__(self, make_account: Callable[..., Any]) -> None:
        self._make_account = make_account
        self.names: dict[str, str] = {}

    def named(self, value: Any, name: str) -> Any:
        self.names[str(value)] = name
        return value

    def name_of(self, value: Any) -> Any:
        value = blank(value)
        return None if value is None else self.names.get(str(value), value)

    def account(self, name: str, *, legal: bool = False, holder=None):
        account = self._make_account(legal=legal, holder=holder)
        self.named(account.pk, name)
        return account

    def email(self, name: str) -> str:
        return self.named(f"{uuid.uuid4().hex[:12]}@example.com", name)

    def phone(self, name: str) -> str:
        return self.named(new_phone(), name)

    def entry(self, data: dict) -> dict:
        value = data.get("key_value")
        shown = "<generated>" if data.get("key_type") == "EVP" and value else self.name_of(value)
        return {
            "account": self.name_of(data.get("account_id")),
            "key_type": data.get("key_type"),
            "key_value": shown,
            "status": data.get("status"),
            "delete_reason": blank(data.get("delete_reason")),
            "failure_code": blank(data.get("failure_code")),
            "update_pending": bool(data.get("update_pending")),
            "update_account": self.name_of(data.get("update_account_id")),
            "update_reason": blank(data.get("update_reason")),
            "replayed": data.get("replayed", False),
        }

    def claim(self, data: dict) -> dict:
        return {
            "type": data.get("type"),
            "role": data.get("role"),
            "status": data.get("status"),
            "key_type": data.get("key_type"),
            "key": self.name_of(data.get("key")),
            "account": self.name_of(data.get("account_id")),
            "has_entry": blank(data.get("entry_id")) is not None,
            "donor": data.get("donor_participant"),
            "claimer": data.get("claimer_participant"),
            "confirm_reason": blank(data.get("confirm_reason")),
            "cancel_reason": blank(data.get("cancel_reason")),
            "cancelled_by": blank(data.get("cancelled_by")),
            "running": data.get("time_left_seconds") is not None,
            "replayed": data.get("replayed", False),
        }

    def lookup(self, data: dict) -> dict:
        keep = ("key_type", "person_type", "name", "trade_name", "ispb", "statistics_absent_reason")
        statistics = data.get("statistics")
        return {k: blank(data.get(k)) for k in keep} | {
            "key": self.name_of(data.get("key")),
            "tax_id": self.name_of(data.get("tax_id")),
            "end_to_end_id": bool(data.get("end_to_end_id")),
            "statistics": statistics and {block: counters(statistics[block]) for block in ("key", "owner")},
        }

    def challenge(self, data: dict) -> dict:
        return {
            "key_type": data.get("key_type"),
            "key": self.name_of(data.get("key")),
            "status": str(data.get("status")).removeprefix("POSSESSION_"),
            "attempts_left": blank(data.get("attempts_left")),
            "confirmed": blank(data.get("confirmed_at")) is not None,
        }

    def med(self, data: dict) -> dict:
        """A report, refund or marker: its enum names, parties and transaction as named, whether DICT holds it."""
        shown = ("role", "status", "reason", "situation_type", "analysis_result", "fraud_type", "amount", "intent")
        return {name: blank(data.get(name)) for name in shown} | {
            "transaction": self.name_of(data.get("transaction_id")),
            "tax_id": self.name_of(data.get("tax_id")),
            "counterparty": blank(data.get("counterparty_participant") or data.get("contested_participant")),
            "at_dict": blank(data.get("dict_id")) is not None,
            "failure_code": blank(data.get("failure_code")),
            "replayed": data.get("replayed", False),
        }

    def page(self, item_view: Callable[[dict], dict]) -> Callable[[dict], dict]:
        return lambda data: {"items": [item_view(i) for i in data["items"]], "more": bool(data["next"])}


def counters(block: dict) -> dict:
    """One block of DICT's statistics as numbers: MessageToDict renders int64 as text and leaves zeros out."""
    view: dict[str, Any] = {"watermark": bool(block.get("watermark"))}
    for counter in (f for f in fields(Statistics) if f.name != "watermark"):
        value = block.get(counter.name)
        windows = {w: int((value or {}).get(w, 0)) for w in ("d90", "m12", "m60")}
        view[counter.name] = int(value or 0) if counter.type is int else windows
    return view


VIEWS: dict[str, Callable[[World], Callable[[dict], dict]]] = {
    "create_key": lambda w: w.entry,
    "list_keys": lambda w: w.page(w.entry),
    "get_key": lambda w: w.entry,
    "delete_key": lambda w: w.entry,
    "update_key": lambda w: w.entry,
    "start_claim": lambda w: w.claim,
    "claim_status": lambda w: w.claim,
    "incoming_claims": lambda w: w.page(w.claim),
    "outgoing_claims": lambda w: w.page(w.claim),
    "respond": lambda w: w.claim,
    "cancel_claim": lambda w: w.claim,
    "start_portability": lambda w: w.claim,
    "confirm_portability": lambda w: w.claim,
    "cancel_portability": lambda w: w.claim,
    "lookup": lambda w: w.lookup,
    "create_key_undecodable": lambda w: w.entry,
    "start_challenge": lambda w: w.challenge,
    "confirm_challenge": lambda w: w.challenge,
    "complete_claim": lambda w: w.claim,
    **dict.fromkeys(
        (
            "med_open_report",
            "med_get_report",
            "med_ack_report",
            "med_close_report",
            "med_cancel_report",
            "med_request_refund",
            "med_create_marker",
        ),
        lambda w: w.med,
    ),
    "med_list_reports": lambda w: w.page(w.med),
}


@dataclass(frozen=True)
class Step:
    operation: str
    expected: str
    code: str
    status: int | grpc.StatusCode
    view: Any
    fields: frozenset[str]


@dataclass
class Run:
    """A scenario on one transport: ``run.op(who, ..., expect=CODE)`` calls and records a step.

    ``who`` is a user (a fresh real access token), a raw Authorization value, or None.
    """

    transport: Rest | Grpc
    world: World
    steps: list[Step] = field(default_factory=list)

    def __getattr__(self, operation: str) -> Callable[..., Reply]:
        call = getattr(self.transport, operation)
        view = VIEWS[operation](self.world)

        def step(who: Any, *args: Any, expect: str = "OK", **kwargs: Any) -> Reply:
            auth = who if who is None or isinstance(who, str) else f"Bearer {AccessToken.for_user(who)}"
            reply = call(auth, *args, **kwargs)
            shown = view(reply.data) if reply.code == "OK" else None
            self.steps.append(Step(operation, expect, reply.code, reply.status, shown, reply.fields))
            return reply

        return step


def rid() -> str:
    return str(uuid.uuid4())


def prove(run: Run, who: Any, key_type: str, key: str) -> str:
    """A possession challenge for ``key`` through the transport, confirmed with the code read where it was sent."""
    started = run.start_challenge(who, key_type, key)
    run.confirm_challenge(who, started.data["id"], sent_code(started.data["key"]))
    return started.data["id"]


# --- the scenarios ------------------------------------------------------------------------------------------


def key_lifecycle(run: Run, w: World) -> None:
    """Create, replay, conflicting reuse, read, list, a refused reason, delete and its retry."""
    account = w.account("account")
    user = account.holder.user
    email, request_id = w.email("email"), rid()
    created = run.create_key(user, account.pk, "EMAIL", email.upper(), request_id, prove(run, user, "EMAIL", email))
    run.create_key(user, account.pk, "EMAIL", email, request_id)  # a retry: replayed
    run.create_key(user, account.pk, "EMAIL", w.email("other email"), request_id, expect="RequestIdAlreadyUsed")
    # Whether a phone or e-mail is registered here is told only with a proof of holding it.
    run.create_key(user, account.pk, "EMAIL", email, rid(), expect="PossessionNotProven")
    run.create_key(
        user, account.pk, "EMAIL", email, rid(), prove(run, user, "EMAIL", email), expect="EntryAlreadyExists"
    )
    run.create_key(user, account.pk, "EVP", "", rid())
    key_id = created.data["id"]
    run.get_key(user, key_id)
    run.list_keys(user)
    run.list_keys(user, key_type="EVP")
    run.delete_key(user, key_id, "FRAUD", expect="InvalidReason")  # not a customer's reason
    run.delete_key(user, key_id)
    run.get_key(user, key_id)
    run.delete_key(user, key_id)  # a retried delete answers the deleted key
    run.list_keys(user, status="ACTIVE")


def key_updates(run: Run, w: World) -> None:
    """UpdateKey: a key moved to another of the holder's accounts, its replay and a reused request id, the
    reasons a customer may not give (an EVP's only one included), and accounts that are not the caller's."""
    account = w.account("account")
    user = account.holder.user
    other = w.account("other account", holder=account.holder).pk
    theirs = w.account("theirs")
    cpf = run.create_key(user, account.pk, "CPF", w.named(account.holder.tax_id, "cpf"), rid()).data["id"]
    evp = run.create_key(user, account.pk, "EVP", "", rid()).data["id"]
    request_id = rid()
    run.update_key(user, cpf, other, request_id)
    run.update_key(user, cpf, other, request_id)  # a retry: replayed
    run.update_key(user, cpf, account.pk, request_id, expect="RequestIdAlreadyUsed")
    run.get_key(user, cpf)
    run.update_key(user, cpf, account.pk, rid(), "BRANCH_TRANSFER", expect="InvalidReason")  # the PSP's reason
    run.update_key(user, cpf, account.pk, rid(), "FRAUD", expect="BadRequest")  # no update reason at all
    run.update_key(user, evp, other, rid(), expect="InvalidReason")  # EVP: RFB_VALIDATION only
    run.update_key(user, cpf, theirs.pk, rid(), expect="NotFound")
    run.update_key(user, cpf, 0, rid(), expect="BadRequest")
    run.update_key(user, cpf, account.pk, "not-a-uuid", expect="BadRequest")
    run.update_key(theirs.holder.user, cpf, theirs.pk, rid(), expect="NotFound")
    run.update_key(user, str(uuid.uuid4()), account.pk, rid(), expect="NotFound")


def invalid_input(run: Run, w: World) -> None:
    """Refusals at the edge and by the domain, with the same code and the same invalid fields."""
    account = w.account("account")
    user = account.holder.user
    run.create_key(user, account.pk, "EMAIL", "not an e-mail", rid(), expect="EntryInvalid")
    run.create_key(user, account.pk, "PHONE", "+12025550123", rid(), expect="EntryInvalid")  # not a BR mobile
    run.create_key(user, account.pk, "FOO", "x@example.com", rid(), expect="BadRequest")
    run.create_key(user, account.pk, "EMAIL", "x@example.com", "not-a-uuid", expect="BadRequest")
    run.create_key(user, 0, "EMAIL", "x@example.com", rid(), expect="BadRequest")
    run.create_key(user, account.pk, "CPF", "12345678901", rid(), expect="EntryInvalid")  # bad check digits
    run.create_key(user, account.pk, "CPF", new_cpf(), rid(), expect="EntryTaxIdNumberByDifferentOwner")
    run.create_key(user, account.pk, "CNPJ", account.holder.tax_id, rid(), expect="EntryInvalid")
    run.create_key(user, account.pk, "EVP", "123e4567-e89b-12d3-a456-426614174000", rid(), expect="EntryInvalid")
    run.get_key(user, "not-a-uuid", expect="NotFound")
    run.claim_status(user, str(uuid.uuid4()), expect="NotFound")
    run.list_keys(user, key_type="FOO", expect="BadRequest")
    run.incoming_claims(user, type="FOO", expect="BadRequest")
    run.lookup(user, "k" * 100, expect="EntryInvalid")
    run.lookup(user, "not a key", expect="EntryInvalid")  # DICT answers 400 too; no token is spent
    run.lookup(user, "+55 11 98765-4321", expect="EntryInvalid")
    run.lookup(user, "a\x00b@example.com", expect="BadRequest")  # a control character: see strict_input


def strict_input(run: Run, w: World) -> None:
    """Input is read as strictly on both edges: one code, naming the field.

    Only what both edges can carry is here. Unknown fields exist in JSON only (a protobuf parser
    skips unknown field numbers by design), JSON nesting has no protobuf counterpart, and an
    integer ``request_id`` cannot be sent over gRPC (the field is a string): REST's refusals of
    these are in tests/test_input_edges.py.
    """
    account = w.account("account")
    user = account.holder.user
    for text in ("a\x00b@example.com", "a\x01b@example.com", "a\x7fb@example.com", "a\x85b@example.com"):
        run.create_key(user, account.pk, "EMAIL", text, rid(), expect="BadRequest")
        run.lookup(user, text, expect="BadRequest")
    # A line break too; not in a lookup, where REST's URL pattern does not match it (NotFound).
    run.create_key(user, account.pk, "EMAIL", "a\nb@example.com", rid(), expect="BadRequest")
    run.start_claim(user, account.pk, "+5511\x0098765432", "PHONE", rid(), expect="BadRequest")
    run.start_portability(user, account.pk, "EMAIL", "a\tb@example.com", rid(), expect="BadRequest")
    run.create_key(user, account.pk, "EVP", "", "123", expect="BadRequest")  # request_id: a UUID string
    run.create_key(user, account.pk, "EVP", "", str(uuid.uuid4().int), expect="BadRequest")
    run.create_key_undecodable(user, expect="BadRequest")
    run.create_key_undecodable(None, expect="Unauthorized")  # the token is checked before the body
    run.list_keys(user)


def unauthenticated(run: Run, w: World) -> None:
    """No token, a forged one, an expired one and one for another audience: 401 everywhere."""
    account = w.account("account")
    user = account.holder.user
    expired = f"Bearer {token_for(user, exp=timezone.now() - timedelta(seconds=1))}"
    foreign = f"Bearer {token_for(user, aud='someone-else')}"
    for who in (None, "Bearer not-a-jwt", expired, foreign, "Basic YWxpY2U6cHc="):
        run.create_key(who, account.pk, "EMAIL", w.email("email"), rid(), expect="Unauthorized")
    run.list_keys(None, expect="Unauthorized")
    run.get_key(None, str(uuid.uuid4()), expect="Unauthorized")
    run.outgoing_claims(None, expect="Unauthorized")
    run.lookup(None, "x@example.com", expect="Unauthorized")
    run.list_keys(user)  # the same user with a good token


def another_customers_resources(run: Run, w: World) -> None:
    """Another customer's account, key and claim do not exist for the caller."""
    mine, theirs = w.account("mine"), w.account("theirs")
    me, them = mine.holder.user, theirs.holder.user
    their_email = w.email("their email")
    their_key = run.create_key(them, theirs.pk, "EMAIL", their_email, rid(), prove(run, them, "EMAIL", their_email))
    their_key = their_key.data["id"]
    key_at_other_psp("PHONE", phone := w.phone("phone"), stranger())
    their_claim = run.start_claim(them, theirs.pk, phone, "PHONE", rid()).data["id"]
    run.create_key(me, theirs.pk, "EMAIL", w.email("email"), rid(), expect="NotFound")
    run.get_key(me, their_key, expect="NotFound")
    run.delete_key(me, their_key, expect="NotFound")
    run.list_keys(me)
    run.claim_status(me, their_claim, expect="NotFound")
    run.cancel_claim(me, their_claim, code(device_for(me)), expect="NotFound")
    run.outgoing_claims(me)
    key_at_other_psp("EMAIL", email := w.email("portable"), owner_of(theirs))
    run.start_portability(me, theirs.pk, "EMAIL", email, rid(), expect="NotFound")
    run.get_key(them, their_key)  # untouched


def staff_on_the_customer_api(run: Run, w: World) -> None:
    """A staff token (a superuser's, even) is a customer's like any other: a customer's account, keys
    and claims do not exist for it, and the PSP's delete reasons are the back-office's, not the API's."""
    own, theirs = w.account("staff's own"), w.account("theirs")
    staff, them = own.holder.user, theirs.holder.user
    staff.is_staff = staff.is_superuser = True
    staff.save(update_fields=["is_staff", "is_superuser"])
    their_email = w.email("their email")
    their_key = run.create_key(them, theirs.pk, "EMAIL", their_email, rid(), prove(run, them, "EMAIL", their_email))
    their_key = their_key.data["id"]
    key_at_other_psp("PHONE", phone := w.phone("phone"), stranger())
    their_claim = run.start_claim(them, theirs.pk, phone, "PHONE", rid()).data["id"]
    on_their_key, _ = incoming_claim(theirs)
    w.named(on_their_key.key, "claimed key")
    staffs_code = code(device_for(staff))  # a valid second factor, but the staff member's own
    run.list_keys(staff)
    run.get_key(staff, their_key, expect="NotFound")
    run.delete_key(staff, their_key, expect="NotFound")
    run.delete_key(staff, their_key, "FRAUD", expect="InvalidReason")
    run.create_key(staff, theirs.pk, "EMAIL", w.email("email"), rid(), expect="NotFound")
    run.start_claim(staff, theirs.pk, w.phone("another phone"), "PHONE", rid(), expect="NotFound")
    key_at_other_psp("EMAIL", email := w.email("portable"), owner_of(theirs))
    run.start_portability(staff, theirs.pk, "EMAIL", email, rid(), expect="NotFound")
    run.outgoing_claims(staff)
    run.incoming_claims(staff)
    run.claim_status(staff, their_claim, expect="NotFound")
    run.cancel_claim(staff, their_claim, staffs_code, expect="NotFound")
    run.claim_status(staff, str(on_their_key.pk), expect="NotFound")
    run.respond(staff, str(on_their_key.pk), "reject", staffs_code, expect="NotFound")
    run.confirm_portability(staff, str(on_their_key.pk), staffs_code, expect="NotFound")
    run.cancel_portability(staff, str(on_their_key.pk), staffs_code, expect="NotFound")
    run.get_key(them, their_key)  # all untouched
    run.claim_status(them, their_claim)
    run.claim_status(them, str(on_their_key.pk))


def key_limits(run: Run, w: World) -> None:
    """Five keys per natural person's account; a sixth, or a claim to bring one, is refused."""
    account = w.account("account")
    user = account.holder.user
    for n in range(5):
        email = w.email(f"email {n}")
        run.create_key(user, account.pk, "EMAIL", email, rid(), prove(run, user, "EMAIL", email))
    run.create_key(user, account.pk, "EMAIL", w.email("sixth"), rid(), expect="EntryLimitExceeded")
    run.create_key(user, account.pk, "EVP", "", rid(), expect="EntryLimitExceeded")
    key_at_other_psp("EMAIL", email := w.email("elsewhere"), owner_of(account))
    run.start_portability(user, account.pk, "EMAIL", email, rid(), expect="EntryLimitExceeded")  # nowhere to land
    first = run.list_keys(user, page_size=3)
    run.list_keys(user, page_size=3, page=first.data["next"])


def ownership_claim(run: Run, w: World) -> None:
    """We claim a phone held by someone else: start, replay, status, list, then cancel with TOTP."""
    account = w.account("account")
    user = account.holder.user
    key_at_other_psp("PHONE", phone := w.phone("phone"), stranger())
    request_id = rid()
    started = run.start_claim(user, account.pk, phone, "PHONE", request_id)
    run.start_claim(user, account.pk, phone, "PHONE", request_id)
    run.start_claim(user, account.pk, w.email("email"), "EMAIL", rid(), expect="ClaimInvalid")
    run.start_claim(user, account.pk, w.phone("nobody's"), "PHONE", rid(), expect="ClaimKeyNotFound")
    claim_id = started.data["id"]
    run.complete_claim(user, claim_id, "not-a-uuid", expect="BadRequest")
    run.complete_claim(
        user, claim_id, prove(run, user, "PHONE", phone), expect="ClaimOperationInvalid"
    )  # not confirmed
    run.claim_status(user, claim_id)
    run.outgoing_claims(user)
    run.incoming_claims(user)
    run.cancel_claim(user, claim_id, "123456", expect="SecondFactorRequired")
    device = device_for(user)
    run.cancel_claim(user, claim_id, wrong_code(device), expect="SecondFactorInvalid")
    run.cancel_claim(user, claim_id, "12ab", expect="BadRequest")
    run.cancel_claim(user, claim_id, code(device), "FRAUD")
    run.cancel_claim(user, claim_id, code(device, drift=1), expect="ClaimOperationInvalid")


def ownership_completion(run: Run, w: World) -> None:
    """Our customer's ownership claim, confirmed by default at day 7 and past its completion period (the
    directory's clock is moved back while the claim runs, so its periods end in our past): the poll does not
    complete it without the customer's proof of possession of the phone; completing with one does."""
    account = w.account("account")
    user = account.holder.user
    key_at_other_psp("PHONE", phone := w.phone("phone"), stranger())
    dict_clock.advance(-15 * DAY)
    try:
        claim_id = run.start_claim(user, account.pk, phone, "PHONE", rid()).data["id"]
        dict_id = Claim.objects.get(pk=claim_id).dict_id
        dir_claims.claim_acknowledge(participant=OTHER_PSP, claim_id=dict_id)
        dict_clock.advance(7 * DAY + timedelta(seconds=1))
        dir_claims.claim_confirm(participant=OTHER_PSP, claim_id=dict_id, reason="DEFAULT_OPERATION")
    finally:
        dict_clock.reset()
    claims_poll()
    run.claim_status(user, claim_id)  # CONFIRMED, and it stays so: no proof yet
    run.complete_claim(user, claim_id, None, expect="BadRequest")
    run.complete_claim(
        user, claim_id, prove(run, user, "PHONE", w.phone("another phone")), expect="PossessionNotProven"
    )
    run.complete_claim(user, claim_id, prove(run, user, "PHONE", phone))
    run.complete_claim(user, claim_id, prove(run, user, "PHONE", phone), expect="ClaimOperationInvalid")
    run.list_keys(user)


def portabilities(run: Run, w: World) -> None:
    """Incoming portabilities confirmed and refused; ours started, listed and a wrong kind refused."""
    account = w.account("account")
    user = account.holder.user
    confirming, _ = incoming_claim(account)
    refusing, _ = incoming_claim(account)
    ownership, _ = incoming_claim(account, "PHONE", "OWNERSHIP")
    for n, claim in enumerate((confirming, refusing, ownership)):
        w.named(claim.key, f"claimed key {n}")
    device = device_for(user)
    run.incoming_claims(user, page_size=2)
    run.incoming_claims(user, type="OWNERSHIP")
    run.confirm_portability(user, str(ownership.pk), code(device), expect="NotFound")
    run.confirm_portability(user, str(confirming.pk), "bad", expect="BadRequest")
    run.confirm_portability(user, str(confirming.pk), code(device))
    run.cancel_portability(user, str(refusing.pk), code(device, drift=1))
    run.respond(user, str(ownership.pk), "accept", wrong_code(device), expect="SecondFactorInvalid")
    key_at_other_psp("EMAIL", email := w.email("mine elsewhere"), owner_of(account))
    run.start_portability(user, account.pk, "EMAIL", email, rid())
    run.start_portability(user, account.pk, "EVP", str(uuid.uuid4()), rid(), expect="ClaimInvalid")
    run.start_portability(user, account.pk, "EMAIL", email, rid(), expect="ClaimAlreadyExistsForKey")
    run.outgoing_claims(user, type="PORTABILITY")


def respond_to_ownership(run: Run, w: World) -> None:
    """An ownership claim on our phone key: rejecting it (FRAUD) is how the holder keeps the key, and
    needs the TOTP code and a proof of possession of the phone (the code sent to it), each in turn."""
    account = w.account("account")
    user = account.holder.user
    claim, _ = incoming_claim(account, "PHONE", "OWNERSHIP")
    w.named(claim.key, "phone")
    device = device_for(user)
    claim_id = str(claim.pk)
    run.respond(user, claim_id, "maybe", code(device), expect="BadRequest")
    run.respond(user, claim_id, "reject", code(device), "not-a-uuid", expect="BadRequest")
    run.respond(
        user, claim_id, "reject", wrong_code(device), prove(run, user, "PHONE", claim.key), expect="SecondFactorInvalid"
    )
    run.respond(user, claim_id, "reject", code(device, drift=-1), expect="PossessionNotProven")  # the TOTP alone
    another = prove(run, user, "PHONE", w.phone("another phone"))
    run.respond(user, claim_id, "reject", code(device), another, expect="PossessionNotProven")
    run.respond(user, claim_id, "reject", code(device, drift=1), prove(run, user, "PHONE", claim.key))
    run.claim_status(user, claim_id)


def lookups(run: Run, w: World) -> None:
    """Another PSP's keys as DICT lets a payer see them, our own key, and a key no one holds."""
    payer = w.account("payer")
    user = payer.holder.user
    tax_id = w.named(new_cpf(), "their CPF")
    at_other_psp("EMAIL", email := w.email("their email"), tax_id=tax_id)
    masked = f"***.{tax_id[3:6]}.{tax_id[6:9]}-**"
    w.named(masked, "their masked CPF")
    run.lookup(user, email)
    run.lookup(user, email.upper())
    ours = w.account("ours", legal=True)
    w.named(ours.holder.tax_id, "our CNPJ")
    own = w.email("our email")
    run.create_key(ours.holder.user, ours.pk, "EMAIL", own, rid(), prove(run, ours.holder.user, "EMAIL", own))
    run.lookup(user, own)
    run.lookup(user, w.named(unknown_email(), "unknown"), expect="NotFound")


def lookup_statistics(run: Run, w: World) -> None:
    """The risk engine's lookup with DICT's statistics for a payer it names; everyone else asking is refused."""
    payer = w.account("payer")
    user = payer.holder.user
    engine = get_user_model().objects.create_user(username=f"risk-engine-{uuid.uuid4().hex[:8]}")
    engine.groups.add(Group.objects.get(name=RISK_ENGINE))
    tax_id = new_cpf()
    at_other_psp("EMAIL", email := w.email("their email"), tax_id=tax_id)
    w.named(f"***.{tax_id[3:6]}.{tax_id[6:9]}-**", "their masked CPF")
    run.lookup(user, email)
    spi.settle(
        end_to_end_id=new_end_to_end_id(ispb=settings.DICT_ISPB, at=timezone.now()),
        payer_participant=settings.DICT_ISPB,
        payer_tax_id=payer.holder.tax_id,
        receiver_key=email,
        amount=Decimal("42.00"),
    )
    run.lookup(engine, email, include_statistics=True, payer_account_id=payer.pk)  # one settlement counted
    run.lookup(engine, email, payer_account_id=payer.pk, expect="BadRequest")  # naming a payer is for statistics
    run.lookup(user, email, include_statistics=True, expect="Forbidden")
    run.lookup(user, email, payer_account_id=payer.pk, expect="Forbidden")
    run.lookup(engine, email, include_statistics=True, expect="BadRequest")  # which payer?
    run.lookup(engine, email, include_statistics=True, payer_account_id=10**12, expect="BadRequest")
    run.lookup(engine, email, expect="Forbidden")  # as itself it is no payer
    ours = w.account("ours", legal=True)
    own = w.email("our email")
    run.create_key(ours.holder.user, ours.pk, "EMAIL", own, rid(), prove(run, ours.holder.user, "EMAIL", own))
    w.named(ours.holder.tax_id, "our CNPJ")
    run.lookup(engine, own, include_statistics=True, payer_account_id=payer.pk)  # BOOK_TRANSFER, no statistics


def rfb_refusals(run: Run, w: World) -> None:
    """An owner irregular at Receita Federal gets no key and no claim; one named otherwise there, no key."""
    suspended = w.account("suspended")
    user = suspended.holder.user
    simulated_registration_set(tax_id=suspended.holder.tax_id, status="SUSPENDED")
    run.create_key(user, suspended.pk, "EVP", "", rid(), expect="OwnerTaxIdIrregular")
    key_at_other_psp("EMAIL", email := w.email("mine elsewhere"), owner_of(suspended))
    run.start_portability(user, suspended.pk, "EMAIL", email, rid(), expect="OwnerTaxIdIrregular")
    key_at_other_psp("PHONE", phone := w.phone("their phone"), stranger())
    run.start_claim(user, suspended.pk, phone, "PHONE", rid(), expect="OwnerTaxIdIrregular")
    renamed = w.account("renamed")
    simulated_registration_set(tax_id=renamed.holder.tax_id, status="REGULAR", name="Maria de Souza")
    run.create_key(renamed.holder.user, renamed.pk, "EVP", "", rid(), expect="OwnerNameMismatch")


def possession(run: Run, w: World) -> None:
    """A phone or e-mail key is registered only with its holder's confirmed challenge (DICT_RULES §1)."""
    account, other = w.account("account"), w.account("other")
    user, them = account.holder.user, other.holder.user
    phone, email = w.phone("phone"), w.email("email")
    run.start_challenge(user, "CPF", account.holder.tax_id, expect="BadRequest")
    run.start_challenge(user, "PHONE", "+12025550123", expect="EntryInvalid")
    run.start_challenge(user, "EMAIL", "a\x00b@example.com", expect="BadRequest")
    run.create_key(user, account.pk, "PHONE", phone, rid(), expect="PossessionNotProven")
    started = run.start_challenge(user, "PHONE", phone)
    challenge_id = w.named(started.data["id"], "challenge")
    run.create_key(user, account.pk, "PHONE", phone, rid(), challenge_id, expect="PossessionNotProven")
    code = sent_code(phone)
    run.confirm_challenge(user, challenge_id, f"{(int(code) + 1) % 10**6:06d}", expect="PossessionCodeInvalid")
    run.confirm_challenge(user, challenge_id, "12ab", expect="BadRequest")
    run.confirm_challenge(them, challenge_id, code, expect="NotFound")
    run.confirm_challenge(user, str(uuid.uuid4()), code, expect="NotFound")
    run.confirm_challenge(user, challenge_id, code)
    run.create_key(them, other.pk, "PHONE", phone, rid(), challenge_id, expect="PossessionNotProven")  # not theirs
    run.create_key(user, account.pk, "EMAIL", email, rid(), challenge_id, expect="PossessionNotProven")  # another key
    run.create_key(user, account.pk, "PHONE", phone, rid(), challenge_id)
    run.create_key(user, account.pk, "PHONE", w.phone("phone 2"), rid(), challenge_id, expect="PossessionNotProven")
    run.confirm_challenge(user, challenge_id, code, expect="PossessionChallengeExpired")  # used: no more codes,
    run.confirm_challenge(user, challenge_id, "000000", expect="PossessionChallengeExpired")  # right or wrong
    run.create_key(user, account.pk, "EMAIL", email, rid(), prove(run, user, "EMAIL", email.upper()))
    run.list_keys(user)


def med_fraud_team(run: Run, w: World) -> None:
    """MED is the fraud team's (med.manage_infractions): a customer is refused; the team reports its customer's
    payment, is refused what DICT or our rules refuse, marks a customer, answers an incoming report."""
    payer = w.account("payer")
    customer = payer.holder.user
    analyst = fraud_team(w.account("analyst").holder.user)
    tx = w.named(paid_by_our_customer(payer), "tx")
    w.named(payer.holder.tax_id, "payer's tax id")
    run.med_open_report(customer, tx, "SCAM", rid(), expect="Forbidden")
    run.med_open_report(
        analyst, f"E{OTHER_PSP}202611300000abcdefghijk", "SCAM", rid(), expect="InfractionReportInvalid"
    )
    run.med_open_report(analyst, tx, "UNKNOWN", rid(), expect="InfractionReportInvalid")
    run.med_open_report(analyst, tx, "OTHER", rid(), expect="InfractionReportInvalid")  # OTHER needs details
    run.med_open_report(analyst, tx, "SCAM", "not-a-uuid", expect="BadRequest")
    request_id = rid()
    report_id = w.named(run.med_open_report(analyst, tx, "SCAM", request_id).data["id"], "report")
    run.med_open_report(analyst, tx, "SCAM", request_id)  # the same answer again
    run.med_open_report(analyst, tx, "SCAM", rid(), expect="InfractionReportAlreadyBeingProcessedForTransaction")
    run.med_get_report(customer, report_id, expect="Forbidden")
    run.med_get_report(analyst, str(uuid.uuid4()), expect="NotFound")
    run.med_ack_report(analyst, report_id, expect="InfractionReportOperationInvalid")  # the counterparty's move
    run.med_list_reports(analyst, role="REPORTER", status="OPEN")
    run.med_list_reports(analyst, role="DONOR", expect="BadRequest")
    run.med_cancel_report(analyst, report_id)
    run.med_request_refund(analyst, tx, "FRAUD", "10.00", rid(), expect="RefundInfractionReportNotFound")
    run.med_request_refund(analyst, tx, "OPERATIONAL_FLAW", "10.5", rid(), "duplicated", expect="RefundInvalid")
    run.med_request_refund(analyst, tx, "OPERATIONAL_FLAW", "10.00", rid(), "paid twice by mistake")
    run.med_create_marker(analyst, payer.holder.tax_id, "UNKNOWN", rid(), expect="FraudMarkerInvalid")

    receiver = w.account("receiver")
    incoming_tx = w.named(paid_to_our_customer(our_key(receiver, "EMAIL", w.email("receiver's key"))), "incoming tx")
    reported_by_other_psp(incoming_tx)
    med_poll()  # stores it and acknowledges it at once
    incoming_id = w.named(str(InfractionReport.objects.get(transaction_id=incoming_tx).pk), "incoming report")
    run.med_get_report(analyst, incoming_id)
    run.med_close_report(analyst, incoming_id, "DISAGREED", expect="InfractionReportInvalid")  # says why
    run.med_close_report(analyst, incoming_id, "AGREED", "MULE_ACCOUNT")
    run.med_close_report(customer, incoming_id, "AGREED", "MULE_ACCOUNT", expect="Forbidden")
    w.named(receiver.holder.tax_id, "receiver's tax id")
    run.med_create_marker(analyst, receiver.holder.tax_id, "MULE_ACCOUNT", rid())  # DICT knows them by their key


SCENARIOS = [
    key_lifecycle,
    possession,
    key_updates,
    invalid_input,
    strict_input,
    unauthenticated,
    another_customers_resources,
    staff_on_the_customer_api,
    key_limits,
    ownership_claim,
    ownership_completion,
    portabilities,
    respond_to_ownership,
    lookups,
    lookup_statistics,
    rfb_refusals,
    med_fraud_team,
]


# --- the servers and the test --------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _quiet(settings, monkeypatch) -> None:
    """No per-client limit (it has its own parity test); connections closed after each server call."""
    settings.RATE_LIMIT_RPS = 0
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # a wrong code must not delay the right one
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)


@pytest.fixture
def transports(live_server):
    server = new_server(workers=4, interceptors=server_interceptors())
    port, _ = start_server(server, address="127.0.0.1:0", service_names=grpc_handlers(server))
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    yield Rest(live_server.url), Grpc(core_dict_pb2_grpc.CoreDictServiceStub(channel), channel)
    channel.close()
    server.stop(None).wait()


def run_on(transport: Rest | Grpc, scenario: Callable[[Run, World], None], make_account) -> Run:
    run = Run(transport, World(make_account))
    scenario(run, run.world)
    return run


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__)
def test_rest_and_grpc_give_the_same_outcomes(scenario, transports, make_account) -> None:
    rest, grpc_ = (run_on(t, scenario, make_account) for t in transports)

    def outcomes(run: Run) -> list[tuple]:
        return [(s.operation, s.code, s.view, sorted(s.fields)) for s in run.steps]

    assert outcomes(rest) == outcomes(grpc_)
    assert [(s.operation, s.code) for s in rest.steps] == [(s.operation, s.expected) for s in rest.steps]
    mismatched = [
        (r.operation, r.code, r.status, g.status)
        for r, g in zip(rest.steps, grpc_.steps, strict=True)
        if g.status not in CORRESPONDING.get(r.status, set())
    ]
    assert mismatched == []


def test_the_per_client_limit_is_one_budget_across_rest_and_grpc(transports, make_account, settings) -> None:
    """RATE_LIMIT_RPS counts a client's calls on both transports together, and both refuse alike."""
    settings.RATE_LIMIT_RPS = 3
    rest, grpc_ = transports
    user = make_account().holder.user
    auth = f"Bearer {AccessToken.for_user(user)}"
    replies = [t.list_keys(auth) for _ in range(10) for t in (rest, grpc_)]

    assert {(r.status, r.code) for r in replies} >= {
        (429, "RateLimited"),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, "RateLimited"),
    }
    assert sum(r.code == "OK" for r in replies) <= 6  # two one-second windows at most


def test_every_domain_error_has_corresponding_statuses_in_both_tables() -> None:
    """Each DICT code is placed in both tables on purpose, never left to a fallback on one side."""
    for dict_code, cls in sorted(ERRORS_BY_CODE.items()):
        error = cls("x")
        mapped_http = next((c for c in cls.__mro__ if c in HTTP_STATUS), None)
        mapped_grpc = next((c for c in cls.__mro__ if c in GRPC_STATUS), None)
        assert mapped_http is mapped_grpc, f"{dict_code}: HTTP maps it as {mapped_http}, gRPC as {mapped_grpc}"
        assert grpc_status_for(error) in CORRESPONDING[http_status_for(error)], dict_code
