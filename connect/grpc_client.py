"""The Connect gRPC adapter: one time budget per call, retries, a circuit breaker and a bulkhead.

Each directory call has one deadline (``deadline`` seconds, CONNECT_DEADLINE_SEC) for all of
its attempts together: each attempt's gRPC timeout is what is left of it, and a retry (after a
jittered backoff) starts only while some of it remains. So a directory that accepts connections
and never answers costs a caller the budget, never attempts × timeout. The attempts are a short
loop written here rather than tenacity: each sleep must be cut to what is left of the budget,
which tenacity's stop and wait policies cannot see, and the loop is shorter than the policy objects.

The breaker (connect/breaker.py) counts a call's outcome once, after its retries: a transport
failure (UNAVAILABLE, DEADLINE_EXCEEDED) is a failure, anything the directory answered is a
success, and it opens on the failure ratio over a window, shared by all threads of the process.
The bulkhead caps the directory calls in flight per process, so a hanging directory cannot hold
every worker thread; a call beyond the cap waits for a slot a short while (CONNECT_BULKHEAD_WAIT_SEC,
and never past its own budget, which starts before that wait), then fails. Both refusals are
DirectoryNotAsked (a ServiceUnavailable) with a ``retry_after``, which REST sends as Retry-After
and gRPC as the retry-after trailer.

Only transport failures (UNAVAILABLE, DEADLINE_EXCEEDED) are retried and counted by the
breaker; a directory refusal (a DICT error type in the trailers) is final and raised as the
matching DomainError. Anything else the directory cannot answer becomes ServiceUnavailable,
so the caller keeps the work pending and tries again later.

A retry repeats the request, so only idempotent calls retry on every transport failure: reads,
writes carrying a request id (CreateEntry, CompleteClaim, CreateFraudMarker), and writes whose
repeat the directory answers as the first (UpdateEntry and UpdateInfractionReport set the same
values; Acknowledge, and Confirm or Cancel with the same reason, answer a repeat with the claim
unchanged, as the MED acknowledges, cancels and closes with the same parameters do). CreateClaim (a repeat is
ClaimAlreadyExistsForKey: a 409 for the claim just made), DeleteEntry (a repeat is NotFound),
CreateInfractionReport and CreateRefund (a repeat is *AlreadyBeingProcessedForTransaction)
carry no request id and are not: DEADLINE_EXCEEDED may come after the directory committed, and
so may UNAVAILABLE (a connection lost mid-call). They retry only when the channel never
connected, so the request never left this process; otherwise ServiceUnavailable reaches the
caller, which keeps the work pending and decides itself how to try again.
"""

import logging
import random
import time
import uuid
from collections.abc import Iterator
from datetime import datetime

import grpc

from common import connect_codec as mappers
from common.connect_codec import PARTICIPANT_METADATA_KEY
from common.grpc_errors import domain_error_from_rpc
from common.pb_util import from_timestamp
from common.retry_after import retry_after_seconds
from connect.breaker import Bulkhead, CircuitOpen, RatioBreaker
from connect.metrics import observed_call
from connect.ports import DirectoryNotAsked
from dict_rules.directory import (
    BankAccount,
    ClaimPage,
    ClaimRequest,
    CompletedClaim,
    DirectoryClaim,
    DirectoryEntry,
    EntryByCid,
    EntryRequest,
    Owner,
)
from dict_rules.errors import ServiceUnavailable
from dict_rules.med import (
    ContactInformation,
    FraudMarker,
    FraudMarkerPage,
    FraudMarkerRequest,
    InfractionReport,
    InfractionReportPage,
    InfractionReportRequest,
    Refund,
    RefundClose,
    RefundPage,
    RefundRequest,
)
from protos.dict.connect.v1 import connect_pb2 as pb
from protos.dict.connect.v1 import connect_pb2_grpc

logger = logging.getLogger(__name__)

RETRYABLE = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})
CID_PAGE = 10_000
MIN_ATTEMPT_SEC = 0.05  # no retry is started with less of the budget left than this
BACKOFF_FIRST_SEC, BACKOFF_MAX_SEC = 0.1, 1.0  # full jitter: uniform up to first × 2^(n-1), capped
REFUSAL_LOG_EVERY_SEC = 1.0  # bulkhead refusals are logged at most this often


# grpc-core's words for a call that failed before any connection to the server existed.
NOT_CONNECTED = ("failed to connect to all addresses", "DNS resolution failed")


def is_transport_failure(error: BaseException) -> bool:
    return isinstance(error, grpc.RpcError) and error.code() in RETRYABLE


def never_reached_the_server(error: BaseException) -> bool:
    """UNAVAILABLE because no connection could be made: the request was certainly not sent.

    An UNAVAILABLE after the call started (the server going away, a reset connection) is not
    this: the server may have run the request. Unknown wording counts as "may have reached".
    """
    return (
        isinstance(error, grpc.RpcError)
        and error.code() == grpc.StatusCode.UNAVAILABLE
        and (error.details() or "").startswith(NOT_CONNECTED)
    )


# gRPC's default reconnect backoff grows to 120 s: a channel that saw the directory down keeps failing
# calls fast for that long after the directory is back, and the calls' own retries cannot help. Try
# again at least every second instead: a connection attempt to one gateway costs nothing. (Not
# grpc.min_reconnect_backoff_ms: it is also each attempt's connect timeout, 20 s, which a slow
# handshake needs; the call's own deadline bounds a caller's wait anyway.)
RECONNECT_OPTIONS = (
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 1000),
)


class GrpcDirectoryClient:
    def __init__(
        self,
        *,
        url: str,
        participant: str,
        deadline: float,
        attempts: int,
        breaker: RatioBreaker,
        bulkhead: Bulkhead,
        credentials: grpc.ChannelCredentials | None = None,
    ) -> None:
        """``deadline``: seconds for a whole call, retries included; ``attempts``: at most that many."""
        if credentials is not None:
            self._channel = grpc.secure_channel(url, credentials, options=RECONNECT_OPTIONS)
        else:
            self._channel = grpc.insecure_channel(url, options=RECONNECT_OPTIONS)
        self._stub = connect_pb2_grpc.ConnectServiceStub(self._channel)
        self._metadata = ((PARTICIPANT_METADATA_KEY, participant),)
        self.deadline = deadline
        self._attempts = attempts
        self.breaker = breaker
        self.bulkhead = bulkhead
        self._refusals_logged_at = float("-inf")
        self._refusals_unlogged = 0

    def _invoke(self, method: str, request, *, idempotent: bool, ends: float):
        """The attempts of one call, all before ``ends`` (time.monotonic())."""
        may_retry = is_transport_failure if idempotent else never_reached_the_server
        stub_method = getattr(self._stub, method)
        attempt = 1
        while True:
            try:
                return stub_method(request, timeout=max(ends - time.monotonic(), 0.001), metadata=self._metadata)
            except grpc.RpcError as error:
                left = ends - time.monotonic()
                if attempt >= self._attempts or left < MIN_ATTEMPT_SEC or not may_retry(error):
                    raise
                jitter = random.uniform(0, min(BACKOFF_MAX_SEC, BACKOFF_FIRST_SEC * 2 ** (attempt - 1)))  # noqa: S311
                time.sleep(max(0.0, min(jitter, left - MIN_ATTEMPT_SEC)))  # never past the budget
                attempt += 1

    def _call(self, method: str, request, *, idempotent: bool):
        """One directory call; ``idempotent`` says whether a repeat is safe once it may have arrived."""
        with observed_call(method):
            ends = time.monotonic() + self.deadline  # the budget covers the wait for a bulkhead slot too
            if not self.bulkhead.acquire(budget=self.deadline):
                self._log_refusal(method)
                raise DirectoryNotAsked("too many directory calls in flight; try again shortly.", retry_after=1)
            try:
                return self._guarded(method, request, idempotent=idempotent, ends=ends)
            finally:
                self.bulkhead.release()

    def _log_refusal(self, method: str) -> None:
        """A warning per second at most: under load every caller beyond the cap is refused."""
        self._refusals_unlogged += 1  # a lost update between threads only miscounts the log line
        now = time.monotonic()
        if now - self._refusals_logged_at >= REFUSAL_LOG_EVERY_SEC:
            refused, self._refusals_unlogged, self._refusals_logged_at = self._refusals_unlogged, 0, now
            logger.warning(
                "connect %s refused: %d directory calls already in flight (%d refused since the last warning)",
                method,
                self.bulkhead.limit,
                refused,
            )

    def _guarded(self, method: str, request, *, idempotent: bool, ends: float):
        try:
            permit = self.breaker.before_call()
        except CircuitOpen as open_:
            raise DirectoryNotAsked(
                "the directory is unreachable (circuit open); try again later.",
                retry_after=retry_after_seconds(open_.retry_after),
            ) from None
        failed = False
        try:
            return self._invoke(method, request, idempotent=idempotent, ends=ends)
        except grpc.RpcError as error:
            failed = is_transport_failure(error)
            refusal = domain_error_from_rpc(error)
            if refusal is not None:
                raise refusal from None
            logger.warning("connect %s failed: %s", method, error.code().name)
            raise ServiceUnavailable(f"the directory did not answer ({error.code().name}).") from None
        except Exception as error:  # e.g. ValueError "Cannot invoke RPC on closed channel!"
            failed = True
            logger.warning("connect %s failed: %s", method, type(error).__name__)  # the type only: no request data
            raise ServiceUnavailable("the directory could not be called.") from None
        finally:
            self.breaker.record(permit, failed=failed)

    def create_entry(self, request: EntryRequest) -> DirectoryEntry:
        response = self._call("CreateEntry", mappers.create_request_to_pb(request), idempotent=True)
        return mappers.entry_from_pb(response.entry)

    def get_entry(
        self, *, key: str, payer_id: str, end_to_end_id: str, include_statistics: bool = False
    ) -> DirectoryEntry:
        request = pb.GetEntryRequest(
            key=key, payer_id=payer_id, end_to_end_id=end_to_end_id, include_statistics=include_statistics
        )
        response = self._call("GetEntry", request, idempotent=True)
        return mappers.get_entry_response_from_pb(response, include_statistics=include_statistics)

    def update_entry(self, *, key: str, account: BankAccount, owner: Owner, reason: str) -> DirectoryEntry:
        request = pb.UpdateEntryRequest(
            key=key,
            account=mappers.account_to_pb(account),
            owner=mappers.owner_to_pb(owner),
            reason=pb.Reason.Value(reason),
        )
        return mappers.entry_from_pb(self._call("UpdateEntry", request, idempotent=True).entry)

    def delete_entry(self, *, key: str, reason: str) -> None:
        self._call("DeleteEntry", pb.DeleteEntryRequest(key=key, reason=pb.Reason.Value(reason)), idempotent=False)

    def check_sync(self, *, key_type: str, verifier: str) -> tuple[bool, str]:
        request = pb.CheckSyncRequest(key_type=pb.KeyType.Value(key_type), participant_sync_verifier=verifier)
        response = self._call("CheckSync", request, idempotent=True)
        return response.result == pb.CheckSyncResponse.OK, response.directory_sync_verifier

    def list_cids(self, *, key_type: str) -> Iterator[str]:
        token = ""
        while True:
            request = pb.ListCidsRequest(key_type=pb.KeyType.Value(key_type), page_size=CID_PAGE, page_token=token)
            response = self._call("ListCids", request, idempotent=True)
            yield from response.cids
            if not response.next_page_token:
                return
            token = response.next_page_token

    def get_entry_by_cid(self, cid: str) -> EntryByCid:
        response = self._call("GetEntryByCid", pb.GetEntryByCidRequest(cid=cid), idempotent=True)
        return mappers.entry_by_cid_from_pb(response)

    def health(self) -> datetime:
        return from_timestamp(self._call("Health", pb.HealthRequest(), idempotent=True).now)

    def create_claim(self, request: ClaimRequest) -> DirectoryClaim:
        return mappers.claim_from_pb(
            self._call("CreateClaim", mappers.claim_request_to_pb(request), idempotent=False).claim
        )

    def get_claim(self, claim_id: uuid.UUID) -> DirectoryClaim:
        return mappers.claim_from_pb(
            self._call("GetClaim", pb.ClaimIdRequest(claim_id=str(claim_id)), idempotent=True).claim
        )

    def list_claims(
        self,
        *,
        as_donor: bool,
        as_claimer: bool,
        modified_after: datetime | None = None,
        modified_before: datetime | None = None,
        statuses: tuple[str, ...] = (),
        claim_type: str = "",
        limit: int = 200,
    ) -> ClaimPage:
        request = mappers.list_claims_request_to_pb(
            as_donor=as_donor,
            as_claimer=as_claimer,
            statuses=statuses,
            claim_type=claim_type,
            modified_after=modified_after,
            modified_before=modified_before,
            limit=limit,
        )
        response = self._call("ListClaims", request, idempotent=True)
        return ClaimPage(
            claims=[mappers.claim_from_pb(claim) for claim in response.claims], has_more=response.has_more_elements
        )

    def acknowledge_claim(self, claim_id: uuid.UUID) -> DirectoryClaim:
        response = self._call("AcknowledgeClaim", pb.ClaimIdRequest(claim_id=str(claim_id)), idempotent=True)
        return mappers.claim_from_pb(response.claim)

    def confirm_claim(self, claim_id: uuid.UUID, *, reason: str) -> DirectoryClaim:
        request = pb.ClaimReasonRequest(claim_id=str(claim_id), reason=pb.Reason.Value(reason))
        return mappers.claim_from_pb(self._call("ConfirmClaim", request, idempotent=True).claim)

    def cancel_claim(self, claim_id: uuid.UUID, *, reason: str) -> DirectoryClaim:
        request = pb.ClaimReasonRequest(claim_id=str(claim_id), reason=pb.Reason.Value(reason))
        return mappers.claim_from_pb(self._call("CancelClaim", request, idempotent=True).claim)

    def complete_claim(self, claim_id: uuid.UUID, *, request_id: uuid.UUID) -> CompletedClaim:
        request = pb.CompleteClaimRequest(claim_id=str(claim_id), request_id=str(request_id))
        return mappers.completed_from_pb(self._call("CompleteClaim", request, idempotent=True))

    def _report(self, method: str, request, *, idempotent: bool = True) -> InfractionReport:
        return mappers.report_from_pb(self._call(method, request, idempotent=idempotent).infraction_report)

    def create_infraction_report(self, request: InfractionReportRequest) -> InfractionReport:
        return self._report("CreateInfractionReport", mappers.report_request_to_pb(request), idempotent=False)

    def get_infraction_report(self, report_id: uuid.UUID) -> InfractionReport:
        return self._report("GetInfractionReport", pb.InfractionReportIdRequest(infraction_report_id=str(report_id)))

    def list_infraction_reports(
        self,
        *,
        as_reporter: bool,
        as_counterparty: bool,
        statuses: tuple[str, ...] = (),
        modified_after: datetime | None = None,
        modified_before: datetime | None = None,
        limit: int = 200,
    ) -> InfractionReportPage:
        request = pb.ListInfractionReportsRequest(
            is_reporter=as_reporter,
            is_counterparty=as_counterparty,
            status=statuses,
            limit=limit,
            **mappers.window_to_pb(modified_after, modified_before),
        )
        response = self._call("ListInfractionReports", request, idempotent=True)
        return InfractionReportPage(
            reports=[mappers.report_from_pb(report) for report in response.infraction_reports],
            has_more=response.has_more_elements,
        )

    def update_infraction_report(
        self, report_id: uuid.UUID, *, situation_type: str, report_details: str, contact: ContactInformation
    ) -> InfractionReport:
        """Idempotent: a repeat sets the same values."""
        request = pb.UpdateInfractionReportRequest(
            infraction_report_id=str(report_id),
            situation_type=situation_type,
            report_details=report_details,
            contact_email=contact.email,
            contact_phone=contact.phone,
        )
        return self._report("UpdateInfractionReport", request)

    def acknowledge_infraction_report(self, report_id: uuid.UUID) -> InfractionReport:
        request = pb.InfractionReportIdRequest(infraction_report_id=str(report_id))
        return self._report("AcknowledgeInfractionReport", request)

    def cancel_infraction_report(self, report_id: uuid.UUID) -> InfractionReport:
        request = pb.InfractionReportIdRequest(infraction_report_id=str(report_id))
        return self._report("CancelInfractionReport", request)

    def close_infraction_report(
        self, report_id: uuid.UUID, *, analysis_result: str, fraud_type: str = "", analysis_details: str = ""
    ) -> InfractionReport:
        request = pb.CloseInfractionReportRequest(
            infraction_report_id=str(report_id),
            analysis_result=analysis_result,
            fraud_type=fraud_type,
            analysis_details=analysis_details,
        )
        return self._report("CloseInfractionReport", request)

    def _marker(self, method: str, request) -> FraudMarker:
        return mappers.marker_from_pb(self._call(method, request, idempotent=True).fraud_marker)

    def create_fraud_marker(self, request: FraudMarkerRequest) -> FraudMarker:
        """Idempotent by the request id, which the directory keeps per participant."""
        return self._marker("CreateFraudMarker", mappers.marker_request_to_pb(request))

    def get_fraud_marker(self, marker_id: uuid.UUID) -> FraudMarker:
        return self._marker("GetFraudMarker", pb.FraudMarkerIdRequest(fraud_marker_id=str(marker_id)))

    def list_fraud_markers(
        self, *, tax_id: str = "", key: str = "", page: int = 1, per_page: int = 20
    ) -> FraudMarkerPage:
        request = pb.ListFraudMarkersRequest(tax_id_number=tax_id, key=key, page_number=page, items_per_page=per_page)
        response = self._call("ListFraudMarkers", request, idempotent=True)
        return FraudMarkerPage(
            markers=[mappers.marker_from_pb(marker) for marker in response.fraud_markers],
            has_more=response.has_more_elements,
        )

    def cancel_fraud_marker(self, marker_id: uuid.UUID) -> FraudMarker:
        return self._marker("CancelFraudMarker", pb.FraudMarkerIdRequest(fraud_marker_id=str(marker_id)))

    def _refund(self, method: str, request, *, idempotent: bool = True) -> Refund:
        return mappers.refund_from_pb(self._call(method, request, idempotent=idempotent).refund)

    def create_refund(self, request: RefundRequest) -> Refund:
        return self._refund("CreateRefund", mappers.refund_request_to_pb(request), idempotent=False)

    def get_refund(self, refund_id: uuid.UUID) -> Refund:
        return self._refund("GetRefund", pb.RefundIdRequest(refund_id=str(refund_id)))

    def list_refunds(
        self,
        *,
        role: str = "",
        statuses: tuple[str, ...] = (),
        modified_after: datetime | None = None,
        modified_before: datetime | None = None,
        limit: int = 200,
    ) -> RefundPage:
        request = pb.ListRefundsRequest(
            participant_role=role, status=statuses, limit=limit, **mappers.window_to_pb(modified_after, modified_before)
        )
        response = self._call("ListRefunds", request, idempotent=True)
        return RefundPage(
            refunds=[mappers.refund_from_pb(refund) for refund in response.refunds], has_more=response.has_more_elements
        )

    def cancel_refund(self, refund_id: uuid.UUID) -> Refund:
        return self._refund("CancelRefund", pb.RefundIdRequest(refund_id=str(refund_id)))

    def close_refund(self, refund_id: uuid.UUID, *, close: RefundClose) -> Refund:
        return self._refund("CloseRefund", mappers.refund_close_to_pb(refund_id, close))

    def close(self) -> None:
        self._channel.close()
