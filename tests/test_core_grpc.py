"""CoreDictService over a real socket: the 15 methods, their refusals with REST's codes, keyset
pages, and a failing handler that never takes the server down.

The server is built as ``grpcserver`` builds it, through the root handlers hook
(``dict_project.grpc.grpc_handlers``), and runs in-process on its own threads (own database
connections), so the tests are transactional. The real JWT interceptor has its own tests; here a
tiny interceptor binds the user named in metadata ``x-test-user``, as the auth interceptor binds
the token's user.
"""

import base64
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db import connections
from grpc_health.v1 import health, health_pb2

from claims.models import Claim
from common import core_grpc
from common.grpc_context import reset_current_user, set_current_user
from common.grpc_errors import ERROR_METADATA_KEY, RETRY_AFTER_METADATA_KEY
from common.grpc_server import new_server, start_server
from common.health import Readiness
from dict_project.grpc import SERVICE_NAME, CoreDictServicer, grpc_handlers
from keys import selectors as key_selectors
from protos.dict.core.v1 import core_dict_pb2 as pb
from protos.dict.core.v1 import core_dict_pb2_grpc
from tests.e2e_support import self_signed_certificate
from tests.factories import (
    at_other_psp,
    code,
    device_for,
    incoming_claim,
    key_at_other_psp,
    new_phone,
    our_key,
    owner_of,
    possession_proof,
    sent_code,
    stranger,
    unknown_email,
    wrong_code,
)

pytestmark = pytest.mark.django_db(transaction=True)

USER_METADATA_KEY = "x-test-user"


class BindTestUser(grpc.ServerInterceptor):
    """Binds the user named in metadata for the handler's own thread (None when absent)."""

    def intercept_service(self, continuation, details: grpc.HandlerCallDetails):
        handler = continuation(details)
        if handler is None or handler.unary_unary is None:
            return handler
        username = dict(details.invocation_metadata or ()).get(USER_METADATA_KEY)
        behaviour = handler.unary_unary

        def bound(request, context):
            user = get_user_model().objects.get(username=username) if username else None
            token = set_current_user(user)
            try:
                return behaviour(request, context)
            finally:
                reset_current_user(token)

        return grpc.unary_unary_rpc_method_handler(
            bound,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


class Caller:
    """The stub's methods, called as one user (metadata ``x-test-user``; none: anonymous)."""

    def __init__(self, stub: core_dict_pb2_grpc.CoreDictServiceStub, user=None) -> None:
        self.stub = stub
        self.metadata = ((USER_METADATA_KEY, user.username),) if user is not None else ()

    def __getattr__(self, name: str) -> Callable[[Any], Any]:
        method = getattr(self.stub, name)
        return lambda request: method(request, metadata=self.metadata, timeout=20)


def refusal(call: Callable[[], Any]) -> tuple[grpc.StatusCode, str | None]:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    return caught.value.code(), dict(caught.value.trailing_metadata() or ()).get(ERROR_METADATA_KEY)


@pytest.fixture(autouse=True)
def _no_api_limits(settings, no_api_rate_limit) -> None:
    """REST parity calls go through the per-client limit (off); its own tests cover it."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # a wrong code must not delay the right one


@pytest.fixture(autouse=True)
def _server_threads_close_their_connections(monkeypatch) -> None:
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)


@pytest.fixture
def api() -> Iterator[Callable[..., Caller]]:
    server = new_server(workers=4, interceptors=[BindTestUser()])
    port, _ = start_server(server, address="127.0.0.1:0", service_names=grpc_handlers(server))
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    stub = core_dict_pb2_grpc.CoreDictServiceStub(channel)
    yield lambda user=None: Caller(stub, user)
    channel.close()
    server.stop(None).wait()


def create(
    account, key_type: int = pb.EMAIL, key_value: str = "", *, prove: bool = False, **overrides
) -> pb.CreateKeyRequest:
    """A CreateKey request; with ``prove``, naming a possession challenge the holder confirmed for the key."""
    fields = {"account_id": account.pk, "key_type": key_type, "key_value": key_value, "request_id": str(uuid.uuid4())}
    if prove:
        proof = possession_proof(account.holder.user, pb.KeyType.Name(key_type), key_value)
        fields["possession_challenge_id"] = str(proof)
    return pb.CreateKeyRequest(**(fields | overrides))


# --- keys -----------------------------------------------------------------------------------------------


def test_create_key_registers_and_a_retry_is_replayed(make_account, api) -> None:
    account = make_account()
    user = account.holder.user
    request = create(account, key_value="Maria@Example.com", prove=True)

    first = api(user).CreateKey(request)
    again = api(user).CreateKey(request)

    assert (first.replayed, again.replayed, again.entry.id) == (False, True, first.entry.id)
    entry = first.entry
    assert (entry.key_type, entry.key_value, entry.account_id) == (pb.EMAIL, "maria@example.com", account.pk)
    assert entry.status in (pb.PENDING, pb.ACTIVE) and entry.HasField("created_at")


def test_possession_challenge_round_trip_then_the_key_registers(make_account, api) -> None:
    account = make_account()
    caller = api(account.holder.user)
    phone = new_phone()
    challenge = caller.StartPossessionChallenge(pb.StartPossessionChallengeRequest(key_type=pb.PHONE, key=phone))
    assert (challenge.status, challenge.attempts_left, challenge.key) == (pb.POSSESSION_PENDING, 5, phone)
    assert refusal(
        lambda: caller.CreateKey(create(account, pb.PHONE, phone, possession_challenge_id=challenge.id))
    ) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "PossessionNotProven",
    )
    wrong = pb.ConfirmPossessionChallengeRequest(id=challenge.id, code=f"{(int(sent_code(phone)) + 1) % 10**6:06d}")
    assert refusal(lambda: caller.ConfirmPossessionChallenge(wrong)) == (
        grpc.StatusCode.PERMISSION_DENIED,
        "PossessionCodeInvalid",
    )
    confirmed = caller.ConfirmPossessionChallenge(
        pb.ConfirmPossessionChallengeRequest(id=challenge.id, code=sent_code(phone))
    )
    assert (confirmed.status, confirmed.attempts_left) == (pb.POSSESSION_CONFIRMED, 3)

    entry = caller.CreateKey(create(account, pb.PHONE, phone, possession_challenge_id=challenge.id)).entry

    assert (entry.key_value, entry.status) == (phone, pb.ACTIVE)
    again = pb.ConfirmPossessionChallengeRequest(id=challenge.id, code=sent_code(phone))
    assert refusal(lambda: caller.ConfirmPossessionChallenge(again)) == (  # used: no code is compared any more
        grpc.StatusCode.FAILED_PRECONDITION,
        "PossessionChallengeExpired",
    )


@pytest.mark.parametrize(
    ("fields", "rest_body"),
    [
        ({"key_value": "not an e-mail"}, {"key_value": "not an e-mail"}),
        ({"key_type": pb.KEY_TYPE_UNSPECIFIED}, {"key_type": None}),
        ({"key_type": 42}, {"key_type": "FOO"}),
        ({"request_id": "nope"}, {"request_id": "nope"}),
        ({"account_id": 0}, {"account_id": 0}),
        ({"key_type": pb.CPF, "key_value": "12345678901"}, {"key_type": "CPF", "key_value": "12345678901"}),
    ],
)
def test_create_key_refusals_carry_rests_codes(make_account, client_for, api, fields: dict, rest_body: dict) -> None:
    account = make_account()
    body = {"account_id": account.pk, "key_type": "EMAIL", "key_value": "", "request_id": str(uuid.uuid4())}
    rest = client_for(account.holder.user).post(
        "/api/v1/keys/", {k: v for k, v in (body | rest_body).items() if v is not None}, format="json"
    )
    status, error = refusal(lambda: api(account.holder.user).CreateKey(create(account, **fields)))
    assert status == grpc.StatusCode.INVALID_ARGUMENT
    assert error == rest.json()["code"]


def test_create_key_on_another_customers_account_and_over_the_limit(make_account, api) -> None:
    account, other = make_account(), make_account()
    user = account.holder.user
    assert refusal(lambda: api(user).CreateKey(create(other, key_value="x@example.com"))) == (
        grpc.StatusCode.NOT_FOUND,
        "NotFound",
    )
    for n in range(5):
        api(user).CreateKey(create(account, key_value=f"k{n}@example.com", prove=True))
    assert refusal(lambda: api(user).CreateKey(create(account, key_value="six@example.com"))) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "EntryLimitExceeded",
    )


def test_list_keys_pages_cover_every_row_exactly_once_newest_first(make_account, api) -> None:
    account = make_account(legal=True)
    user = account.holder.user
    created = [
        api(user).CreateKey(create(account, key_value=f"p{n}@example.com", prove=True)).entry.id for n in range(7)
    ]
    our_key(make_account(), "EMAIL", "not-mine@example.com")

    seen, token, pages = [], "", 0
    while True:
        page = api(user).ListKeys(pb.ListKeysRequest(page_size=3, page_token=token))
        seen += [entry.id for entry in page.entries]
        pages += 1
        token = page.next_page_token
        if not token:
            break

    assert (seen, pages) == (created[::-1], 3)
    assert len(api(user).ListKeys(pb.ListKeysRequest(key_type=pb.EVP)).entries) == 0
    assert refusal(lambda: api(user).ListKeys(pb.ListKeysRequest(page_token="bm90LWEtdG9rZW4="))) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "BadRequest",
    )


def test_get_key_is_the_owners_only(make_account, api) -> None:
    account, other = make_account(), make_account()
    entry = our_key(account, "EMAIL", "get@example.com")

    got = api(account.holder.user).GetKey(pb.GetKeyRequest(id=str(entry.pk)))

    assert (got.id, got.status, got.cid) == (str(entry.pk), pb.ACTIVE, entry.cid)
    for key_id in (str(entry.pk), "not-a-uuid"):
        assert refusal(lambda key_id=key_id: api(other.holder.user).GetKey(pb.GetKeyRequest(id=key_id))) == (
            grpc.StatusCode.NOT_FOUND,
            "NotFound",
        )


def test_delete_key_and_its_refusals(make_account, api) -> None:
    account, other = make_account(), make_account()
    entry = our_key(account, "EMAIL", "bye@example.com")
    user = account.holder.user
    request = pb.DeleteKeyRequest(id=str(entry.pk))

    assert refusal(lambda: api(user).DeleteKey(pb.DeleteKeyRequest(id=str(entry.pk), reason=pb.FRAUD))) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "InvalidReason",
    )
    refused_reason = pb.DeleteKeyRequest(id=str(entry.pk), reason=pb.DEFAULT_OPERATION)
    assert refusal(lambda: api(user).DeleteKey(refused_reason)) == (grpc.StatusCode.INVALID_ARGUMENT, "BadRequest")
    assert refusal(lambda: api(other.holder.user).DeleteKey(request))[0] == grpc.StatusCode.NOT_FOUND

    deleted = api(user).DeleteKey(request)
    assert deleted.status in (pb.DELETE_PENDING, pb.DELETED) and deleted.delete_reason == pb.USER_REQUESTED


# --- lookups, health, the edges of every call ------------------------------------------------------------


def test_lookup_shows_another_psps_key_as_dict_allows(make_account, api) -> None:
    at_other_psp("EMAIL", "joana@example.com", name="Joana Souza")
    answer = api(make_account().holder.user).LookupKey(pb.LookupKeyRequest(key="Joana@Example.com"))
    assert (answer.key, answer.key_type, answer.person_type, answer.name) == (
        "joana@example.com",
        pb.EMAIL,
        pb.NATURAL_PERSON,
        "Joana Souza",
    )
    assert (answer.ispb, answer.trade_name, answer.tax_id.startswith("***")) == ("99999901", "", True)
    assert answer.end_to_end_id.startswith("E")


def test_lookup_refusals_invalid_unknown_and_scanning(make_account, api) -> None:
    user = make_account().holder.user
    assert refusal(lambda: api(user).LookupKey(pb.LookupKeyRequest(key="  "))) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "EntryInvalid",
    )
    misses = [refusal(lambda: api(user).LookupKey(pb.LookupKeyRequest(key=unknown_email()))) for _ in range(5)]
    assert misses == [(grpc.StatusCode.NOT_FOUND, "NotFound")] * 5

    with pytest.raises(grpc.RpcError) as caught:
        api(user).LookupKey(pb.LookupKeyRequest(key=unknown_email()))
    trailing = dict(caught.value.trailing_metadata())
    assert (caught.value.code(), trailing[ERROR_METADATA_KEY]) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "RateLimited")
    assert 1 <= int(trailing[RETRY_AFTER_METADATA_KEY]) <= 60


def test_redis_down_is_unavailable_not_internal(make_account, api, redis_unreachable) -> None:
    user = make_account().holder.user
    assert refusal(lambda: api(user).LookupKey(pb.LookupKeyRequest(key=unknown_email()))) == (
        grpc.StatusCode.UNAVAILABLE,
        "ServiceUnavailable",
    )


def test_health_check_is_open_and_reports_readiness(api) -> None:
    health = api().HealthCheck(pb.HealthCheckRequest())
    assert (health.status, health.database, health.cache, health.connect) == (pb.SERVING, "ok", "ok", "in-process")


def test_a_call_without_a_user_is_unauthenticated(api) -> None:
    assert refusal(lambda: api().ListKeys(pb.ListKeysRequest())) == (grpc.StatusCode.UNAUTHENTICATED, "Unauthorized")


def test_a_failing_handler_never_takes_the_server_down(make_account, api, monkeypatch) -> None:
    account = make_account()
    entry = our_key(account, "EMAIL", "boom@example.com")

    def boom(**kwargs):
        raise RuntimeError("handler bug")

    monkeypatch.setattr(key_selectors, "entry_get", boom)
    status, _ = refusal(lambda: api(account.holder.user).GetKey(pb.GetKeyRequest(id=str(entry.pk))))
    monkeypatch.undo()

    assert status in (grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL)
    assert api(account.holder.user).GetKey(pb.GetKeyRequest(id=str(entry.pk))).id == str(entry.pk)


# --- claims and portabilities -----------------------------------------------------------------------------


def start_portability(account, key: str, key_type: int = pb.EMAIL) -> pb.StartPortabilityRequest:
    return pb.StartPortabilityRequest(account_id=account.pk, key_type=key_type, key=key, request_id=str(uuid.uuid4()))


def test_start_claim_get_status_and_refusals(make_account, client_for, api) -> None:
    account, other = make_account(), make_account()
    user = account.holder.user
    phone = new_phone()
    key_at_other_psp("PHONE", phone, stranger())
    request = pb.StartClaimRequest(account_id=account.pk, key=phone, request_id=str(uuid.uuid4()))

    started = api(user).StartClaim(request)
    replay = api(user).StartClaim(request)
    status = api(user).GetClaimStatus(pb.GetClaimStatusRequest(id=started.claim.id))

    assert (replay.replayed, replay.claim.id) == (True, started.claim.id)
    claim = status
    assert (claim.type, claim.role, claim.status, claim.key, claim.key_type) == (
        pb.OWNERSHIP,
        pb.CLAIMER,
        pb.OPEN,
        phone,
        pb.PHONE,
    )
    assert claim.HasField("time_left_seconds") and claim.account_id == account.pk
    email_claim = pb.StartClaimRequest(
        account_id=account.pk, key="a@example.com", key_type=pb.EMAIL, request_id=str(uuid.uuid4())
    )
    rest = client_for(user).post(
        "/api/v1/claims/",
        {"account_id": account.pk, "key": "a@example.com", "key_type": "EMAIL", "request_id": str(uuid.uuid4())},
        format="json",
    )
    assert refusal(lambda: api(user).StartClaim(email_claim)) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        rest.json()["code"],
    )
    assert refusal(lambda: api(other.holder.user).GetClaimStatus(pb.GetClaimStatusRequest(id=started.claim.id))) == (
        grpc.StatusCode.NOT_FOUND,
        "NotFound",
    )


def test_incoming_claims_most_urgent_first_in_pages(make_account, api) -> None:
    account = make_account()
    claims = [incoming_claim(account)[0] for _ in range(3)]
    incoming_claim(make_account())  # someone else's
    expected = [str(c.pk) for c in sorted(claims, key=lambda c: (c.resolution_period_end, c.pk))]

    seen, token = [], ""
    while True:
        page = api(account.holder.user).ListIncomingClaims(pb.ListClaimsRequest(page_size=2, page_token=token))
        seen += [claim.id for claim in page.claims]
        token = page.next_page_token
        if not token:
            break

    assert seen == expected
    assert all(c.role == pb.DONOR for c in page.claims)
    assert refusal(lambda: api(account.holder.user).ListIncomingClaims(pb.ListClaimsRequest(type=9))) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "BadRequest",
    )


def test_outgoing_claims_newest_first_and_a_foreign_token_is_refused(make_account, api) -> None:
    account = make_account()
    user = account.holder.user
    started = []
    for n in range(3):
        key_at_other_psp("EMAIL", f"out{n}@example.com", owner_of(account))
        started.append(api(user).StartPortability(start_portability(account, f"out{n}@example.com")).claim.id)

    first = api(user).ListOutgoingClaims(pb.ListClaimsRequest(page_size=2))
    second = api(user).ListOutgoingClaims(pb.ListClaimsRequest(page_size=2, page_token=first.next_page_token))

    assert [c.id for c in [*first.claims, *second.claims]] == started[::-1]
    assert second.next_page_token == ""
    keys_token = first.next_page_token  # a token of this list is refused by the keys list
    assert refusal(lambda: api(user).ListKeys(pb.ListKeysRequest(page_token=keys_token)))[1] == "BadRequest"


def _token(*parts) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode()


ROW_ID = "3b4f55f0-84d1-47b4-ae75-f047cf691445"  # fixed, not uuid4(): every pytest-xdist worker must see one test id


@pytest.mark.parametrize(
    "token",
    [
        "not base64 at all!",
        _token("keys", "2024-01-01T00:00:00+00:00", 5),  # the id is no string
        _token("keys", "2024-01-01T00:00:00", ROW_ID),  # no time zone
        _token("keys", "9999-12-31T23:59:59-23:59", ROW_ID),  # past the end of time in UTC
        _token("keys", "0001-01-01T00:00:00+23:59", ROW_ID),
        base64.urlsafe_b64encode(b"[" * 100_000).decode(),  # too deep for the JSON parser, and too long
        _token("keys", "2024-01-01T00:00:00+00:00"),
    ],
)
def test_a_malformed_page_token_is_invalid_argument_never_internal(make_account, api, token: str) -> None:
    user = make_account().holder.user
    assert refusal(lambda: api(user).ListKeys(pb.ListKeysRequest(page_token=token))) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "BadRequest",
    )


def test_respond_to_claim_needs_a_second_factor_and_a_right_code(make_account, api) -> None:
    account = make_account()
    claim, _ = incoming_claim(account)
    user = account.holder.user

    def respond(otp: str, decision: int = pb.ACCEPT) -> Callable[[], pb.Claim]:
        return lambda: api(user).RespondToClaim(pb.RespondToClaimRequest(id=str(claim.pk), decision=decision, otp=otp))

    assert refusal(respond("123456")) == (grpc.StatusCode.PERMISSION_DENIED, "SecondFactorRequired")
    device = device_for(user)
    assert refusal(respond(wrong_code(device))) == (grpc.StatusCode.PERMISSION_DENIED, "SecondFactorInvalid")
    assert refusal(respond("12ab")) == (grpc.StatusCode.INVALID_ARGUMENT, "BadRequest")
    assert refusal(respond(code(device), pb.DECISION_UNSPECIFIED)) == (grpc.StatusCode.INVALID_ARGUMENT, "BadRequest")

    accepted = respond(code(device))()
    assert (accepted.status, accepted.confirm_reason) == (pb.CONFIRMED, pb.USER_REQUESTED)


def test_claimer_cancels_its_own_claim_and_not_anothers(make_account, api) -> None:
    account, other = make_account(), make_account()
    user = account.holder.user
    key_at_other_psp("EMAIL", "back@example.com", owner_of(account))
    claim_id = api(user).StartPortability(start_portability(account, "back@example.com")).claim.id
    device = device_for(user)

    foreign = pb.CancelClaimRequest(id=claim_id, otp=code(device_for(other.holder.user)))
    assert refusal(lambda: api(other.holder.user).CancelClaim(foreign)) == (grpc.StatusCode.NOT_FOUND, "NotFound")
    cancelled = api(user).CancelClaim(pb.CancelClaimRequest(id=claim_id, otp=code(device)))
    assert (cancelled.status, cancelled.cancelled_by, cancelled.cancel_reason) == (
        pb.CANCELLED,
        pb.CLAIMER,
        pb.USER_REQUESTED,
    )


def test_start_portability_and_its_refusal(make_account, api) -> None:
    account = make_account()
    key_at_other_psp("EMAIL", "mine@example.com", owner_of(account))
    started = api(account.holder.user).StartPortability(start_portability(account, "Mine@example.com"))
    assert (started.claim.type, started.claim.key, started.replayed) == (pb.PORTABILITY, "mine@example.com", False)
    evp = start_portability(account, "123e4567-e89b-12d3-a456-426614174000", pb.EVP)
    assert refusal(lambda: api(account.holder.user).StartPortability(evp)) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "ClaimInvalid",
    )
    assert Claim.objects.count() == 1


def test_confirm_and_cancel_portability(make_account, api) -> None:
    account = make_account()
    user = account.holder.user
    confirming, entry = incoming_claim(account)
    cancelling, _ = incoming_claim(account)
    ownership, _ = incoming_claim(account, "PHONE", "OWNERSHIP")
    device = device_for(user)

    assert refusal(
        lambda: api(user).ConfirmPortability(pb.ConfirmPortabilityRequest(id=str(ownership.pk), otp="000000"))
    ) == (grpc.StatusCode.NOT_FOUND, "NotFound")
    confirmed = api(user).ConfirmPortability(pb.ConfirmPortabilityRequest(id=str(confirming.pk), otp=code(device)))
    cancelled = api(user).CancelPortability(
        pb.CancelPortabilityRequest(id=str(cancelling.pk), otp=code(device, drift=1))
    )

    assert confirmed.status == pb.CONFIRMED
    assert (cancelled.status, cancelled.cancel_reason, cancelled.cancelled_by) == (
        pb.CANCELLED,
        pb.USER_REQUESTED,
        pb.DONOR,
    )
    entry.refresh_from_db()
    assert entry.status == "DELETED"
    assert refusal(
        lambda: api(user).CancelPortability(pb.CancelPortabilityRequest(id=str(cancelling.pk), otp="bad"))
    ) == (grpc.StatusCode.INVALID_ARGUMENT, "BadRequest")


# --- the gRPC start-up's pieces (common.core_grpc, shared by grpcserver and serve) ---------------------------


def test_every_method_of_the_proto_is_served_by_an_apps_mixin() -> None:
    """A method in the proto but in no app's mixin would fall through to the generated stub (UNIMPLEMENTED)."""
    generated = core_dict_pb2_grpc.CoreDictServiceServicer
    methods = pb.DESCRIPTOR.services_by_name["CoreDictService"].methods
    assert [m.name for m in methods if getattr(CoreDictServicer, m.name) is getattr(generated, m.name)] == []


def test_standard_health_follows_readiness(monkeypatch) -> None:
    health_servicer = health.HealthServicer()
    monkeypatch.setattr(core_grpc, "readiness", lambda: Readiness(database="unavailable", cache="ok", connect="x"))
    stop = threading.Event()
    stop.set()  # one round, then return

    core_grpc.watch_readiness(health_servicer, stop, [SERVICE_NAME], interval=0)

    for name in ("", SERVICE_NAME):
        answer = health_servicer.Check(health_pb2.HealthCheckRequest(service=name), None)
        assert answer.status == health_pb2.HealthCheckResponse.NOT_SERVING


def test_tls_needs_both_the_certificate_and_its_key() -> None:
    assert core_grpc.tls_credentials("", "") is None
    with pytest.raises(CommandError):
        core_grpc.tls_credentials("/etc/cert.pem", "")


def test_tls_when_a_certificate_is_configured(tmp_path) -> None:
    cert, key = self_signed_certificate(tmp_path, "server")
    server = new_server(workers=2)
    credentials = core_grpc.tls_credentials(str(cert), str(key))
    port, _ = start_server(server, address="127.0.0.1:0", service_names=grpc_handlers(server), credentials=credentials)
    channel = grpc.secure_channel(
        f"127.0.0.1:{port}",
        grpc.ssl_channel_credentials(root_certificates=cert.read_bytes()),
        options=[("grpc.ssl_target_name_override", "localhost")],
    )
    try:
        health_answer = core_dict_pb2_grpc.CoreDictServiceStub(channel).HealthCheck(pb.HealthCheckRequest(), timeout=10)
        assert health_answer.status == pb.SERVING
    finally:
        channel.close()
        server.stop(None).wait()
