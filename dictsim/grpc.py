"""The simulated directory served over the Connect gRPC API: proto <-> dictsim services."""

import functools
import uuid
from collections.abc import Callable

import grpc

from common import connect_codec as mappers
from common.connect_codec import PARTICIPANT_METADATA_KEY
from common.grpc_service import serve
from common.pb_util import enum_name, from_timestamp, to_timestamp, uuid_field
from dict_rules.accounts import ISPB_RE
from dict_rules.errors import ParticipantInvalid
from dict_rules.med import ContactInformation, FraudMarker, InfractionReport, Refund
from dictsim import claims, clock, fraud_markers, infractions, listing, refunds, services
from protos.dict.connect.v1 import connect_pb2 as pb
from protos.dict.connect.v1 import connect_pb2_grpc


def _participant(context: grpc.ServicerContext) -> str:
    ispb = dict(context.invocation_metadata()).get(PARTICIPANT_METADATA_KEY, "")
    if not ISPB_RE.fullmatch(ispb):
        raise ParticipantInvalid(f"metadata {PARTICIPANT_METADATA_KEY} must carry the caller's 8-digit ISPB.")
    return ispb


def rpc(method: Callable) -> Callable:
    """A servicer method that receives the calling participant; the kernel's ``serve`` gives it
    fresh DB connections and turns domain errors and outages (dictsim's database) into statuses."""

    @functools.wraps(method)
    def wrapper(self, request, context: grpc.ServicerContext):
        return serve(context, lambda: method(self, request, context, _participant(context)))

    return wrapper


def _correlation_id() -> str:
    return uuid.uuid4().hex


def _claim_response(claim) -> pb.ClaimResponse:
    return pb.ClaimResponse(claim=mappers.claim_to_pb(claim), correlation_id=_correlation_id())


def _report_response(report: InfractionReport) -> pb.InfractionReportResponse:
    return pb.InfractionReportResponse(infraction_report=mappers.report_to_pb(report), correlation_id=_correlation_id())


def _marker_response(marker: FraudMarker) -> pb.FraudMarkerResponse:
    return pb.FraudMarkerResponse(fraud_marker=mappers.marker_to_pb(marker), correlation_id=_correlation_id())


def _refund_response(refund: Refund) -> pb.RefundResponse:
    return pb.RefundResponse(refund=mappers.refund_to_pb(refund), correlation_id=_correlation_id())


def _report_id(
    request: pb.InfractionReportIdRequest | pb.UpdateInfractionReportRequest | pb.CloseInfractionReportRequest,
) -> uuid.UUID:
    return uuid_field(request.infraction_report_id, "infraction_report_id")


class ConnectServicer(connect_pb2_grpc.ConnectServiceServicer):
    @rpc
    def CreateEntry(self, request: pb.CreateEntryRequest, context, participant: str) -> pb.CreateEntryResponse:
        request_id = uuid_field(request.request_id, "request_id")
        entry = services.entry_create(
            participant=participant, request=mappers.create_request_from_pb(request, request_id)
        )
        return pb.CreateEntryResponse(entry=mappers.entry_to_pb(entry), correlation_id=_correlation_id())

    @rpc
    def GetEntry(self, request: pb.GetEntryRequest, context, participant: str) -> pb.GetEntryResponse:
        entry = services.entry_get(
            participant=participant,
            key=request.key,
            payer_id=request.payer_id,
            end_to_end_id=request.end_to_end_id,
            include_statistics=request.include_statistics,
        )
        return mappers.get_entry_response_to_pb(entry, _correlation_id())

    @rpc
    def UpdateEntry(self, request: pb.UpdateEntryRequest, context, participant: str) -> pb.UpdateEntryResponse:
        entry = services.entry_update(
            participant=participant,
            key=request.key,
            account=mappers.account_from_pb(request.account),
            owner=mappers.owner_from_pb(request.owner),
            reason=enum_name(pb.Reason, request.reason),
        )
        return pb.UpdateEntryResponse(entry=mappers.entry_to_pb(entry), correlation_id=_correlation_id())

    @rpc
    def DeleteEntry(self, request: pb.DeleteEntryRequest, context, participant: str) -> pb.DeleteEntryResponse:
        if request.participant and request.participant != participant:
            raise ParticipantInvalid("the participant in the body must be the caller.")
        services.entry_delete(participant=participant, key=request.key, reason=enum_name(pb.Reason, request.reason))
        return pb.DeleteEntryResponse(key=request.key, correlation_id=_correlation_id())

    @rpc
    def CheckSync(self, request: pb.CheckSyncRequest, context, participant: str) -> pb.CheckSyncResponse:
        ok, theirs = services.sync_verify(
            participant=participant,
            key_type=enum_name(pb.KeyType, request.key_type),
            verifier=request.participant_sync_verifier,
        )
        return pb.CheckSyncResponse(
            result=pb.CheckSyncResponse.OK if ok else pb.CheckSyncResponse.NOK,
            directory_sync_verifier=theirs,
            correlation_id=_correlation_id(),
        )

    @rpc
    def ListCids(self, request: pb.ListCidsRequest, context, participant: str) -> pb.ListCidsResponse:
        page = services.cid_list(
            participant=participant,
            key_type=enum_name(pb.KeyType, request.key_type),
            after=request.page_token,
            limit=request.page_size or services.CID_PAGE_MAX,
        )
        full = len(page) == min(request.page_size or services.CID_PAGE_MAX, services.CID_PAGE_MAX)
        return pb.ListCidsResponse(cids=page, next_page_token=page[-1] if page and full else "")

    @rpc
    def GetEntryByCid(self, request: pb.GetEntryByCidRequest, context, participant: str) -> pb.GetEntryByCidResponse:
        found = services.entry_by_cid(participant=participant, cid=request.cid)
        return mappers.entry_by_cid_to_pb(found, _correlation_id())

    @rpc
    def Health(self, request: pb.HealthRequest, context, participant: str) -> pb.HealthResponse:
        return pb.HealthResponse(serving=True, now=to_timestamp(clock.now()))

    @rpc
    def CreateClaim(self, request: pb.CreateClaimRequest, context, participant: str) -> pb.ClaimResponse:
        claim = claims.claim_create(participant=participant, request=mappers.claim_request_from_pb(request))
        return _claim_response(claim)

    @rpc
    def GetClaim(self, request: pb.ClaimIdRequest, context, participant: str) -> pb.ClaimResponse:
        return _claim_response(
            claims.claim_get(participant=participant, claim_id=uuid_field(request.claim_id, "claim_id"))
        )

    @rpc
    def ListClaims(self, request: pb.ListClaimsRequest, context, participant: str) -> pb.ListClaimsResponse:
        page = claims.claim_list(
            participant=participant,
            as_donor=request.is_donor,
            as_claimer=request.is_claimer,
            statuses=tuple(enum_name(pb.ClaimStatus, status) for status in request.status),
            claim_type=enum_name(pb.ClaimType, request.type),
            modified_after=from_timestamp(request.modified_after, request.HasField("modified_after")),
            modified_before=from_timestamp(request.modified_before, request.HasField("modified_before")),
            limit=request.limit or listing.LIST_DEFAULT,
        )
        return pb.ListClaimsResponse(
            claims=[mappers.claim_to_pb(claim) for claim in page.claims], has_more_elements=page.has_more
        )

    @rpc
    def AcknowledgeClaim(self, request: pb.ClaimIdRequest, context, participant: str) -> pb.ClaimResponse:
        return _claim_response(
            claims.claim_acknowledge(participant=participant, claim_id=uuid_field(request.claim_id, "claim_id"))
        )

    @rpc
    def ConfirmClaim(self, request: pb.ClaimReasonRequest, context, participant: str) -> pb.ClaimResponse:
        claim = claims.claim_confirm(
            participant=participant,
            claim_id=uuid_field(request.claim_id, "claim_id"),
            reason=enum_name(pb.Reason, request.reason),
        )
        return _claim_response(claim)

    @rpc
    def CancelClaim(self, request: pb.ClaimReasonRequest, context, participant: str) -> pb.ClaimResponse:
        claim = claims.claim_cancel(
            participant=participant,
            claim_id=uuid_field(request.claim_id, "claim_id"),
            reason=enum_name(pb.Reason, request.reason),
        )
        return _claim_response(claim)

    @rpc
    def CompleteClaim(self, request: pb.CompleteClaimRequest, context, participant: str) -> pb.CompleteClaimResponse:
        completed = claims.claim_complete(
            participant=participant,
            claim_id=uuid_field(request.claim_id, "claim_id"),
            request_id=uuid_field(request.request_id, "request_id"),
        )
        return mappers.completed_to_pb(completed, _correlation_id())

    @rpc
    def CreateInfractionReport(
        self, request: pb.CreateInfractionReportRequest, context, participant: str
    ) -> pb.InfractionReportResponse:
        report = infractions.report_create(participant=participant, request=mappers.report_request_from_pb(request))
        return _report_response(report)

    @rpc
    def GetInfractionReport(
        self, request: pb.InfractionReportIdRequest, context, participant: str
    ) -> pb.InfractionReportResponse:
        return _report_response(infractions.report_get(participant=participant, report_id=_report_id(request)))

    @rpc
    def ListInfractionReports(
        self, request: pb.ListInfractionReportsRequest, context, participant: str
    ) -> pb.ListInfractionReportsResponse:
        modified_after, modified_before = mappers.window_from_pb(request)
        page = infractions.report_list(
            participant=participant,
            as_reporter=request.is_reporter,
            as_counterparty=request.is_counterparty,
            statuses=tuple(request.status),
            modified_after=modified_after,
            modified_before=modified_before,
            limit=request.limit or listing.LIST_DEFAULT,
        )
        return pb.ListInfractionReportsResponse(
            infraction_reports=[mappers.report_to_pb(report) for report in page.reports],
            has_more_elements=page.has_more,
        )

    @rpc
    def UpdateInfractionReport(
        self, request: pb.UpdateInfractionReportRequest, context, participant: str
    ) -> pb.InfractionReportResponse:
        report = infractions.report_update(
            participant=participant,
            report_id=_report_id(request),
            situation_type=request.situation_type,
            report_details=request.report_details,
            contact=ContactInformation(email=request.contact_email, phone=request.contact_phone),
        )
        return _report_response(report)

    @rpc
    def AcknowledgeInfractionReport(
        self, request: pb.InfractionReportIdRequest, context, participant: str
    ) -> pb.InfractionReportResponse:
        return _report_response(infractions.report_acknowledge(participant=participant, report_id=_report_id(request)))

    @rpc
    def CancelInfractionReport(
        self, request: pb.InfractionReportIdRequest, context, participant: str
    ) -> pb.InfractionReportResponse:
        return _report_response(infractions.report_cancel(participant=participant, report_id=_report_id(request)))

    @rpc
    def CloseInfractionReport(
        self, request: pb.CloseInfractionReportRequest, context, participant: str
    ) -> pb.InfractionReportResponse:
        report = infractions.report_close(
            participant=participant,
            report_id=_report_id(request),
            analysis_result=request.analysis_result,
            fraud_type=request.fraud_type,
            analysis_details=request.analysis_details,
        )
        return _report_response(report)

    @rpc
    def CreateFraudMarker(
        self, request: pb.CreateFraudMarkerRequest, context, participant: str
    ) -> pb.FraudMarkerResponse:
        marker_request = mappers.marker_request_from_pb(request, uuid_field(request.request_id, "request_id"))
        return _marker_response(fraud_markers.marker_create(participant=participant, request=marker_request))

    @rpc
    def GetFraudMarker(self, request: pb.FraudMarkerIdRequest, context, participant: str) -> pb.FraudMarkerResponse:
        marker_id = uuid_field(request.fraud_marker_id, "fraud_marker_id")
        return _marker_response(fraud_markers.marker_get(participant=participant, marker_id=marker_id))

    @rpc
    def ListFraudMarkers(
        self, request: pb.ListFraudMarkersRequest, context, participant: str
    ) -> pb.ListFraudMarkersResponse:
        page = fraud_markers.marker_list(
            participant=participant,
            tax_id=request.tax_id_number,
            key=request.key,
            page=request.page_number or 1,
            per_page=request.items_per_page or listing.LIST_DEFAULT,
        )
        return pb.ListFraudMarkersResponse(
            fraud_markers=[mappers.marker_to_pb(marker) for marker in page.markers], has_more_elements=page.has_more
        )

    @rpc
    def CancelFraudMarker(self, request: pb.FraudMarkerIdRequest, context, participant: str) -> pb.FraudMarkerResponse:
        marker_id = uuid_field(request.fraud_marker_id, "fraud_marker_id")
        return _marker_response(fraud_markers.marker_cancel(participant=participant, marker_id=marker_id))

    @rpc
    def CreateRefund(self, request: pb.CreateRefundRequest, context, participant: str) -> pb.RefundResponse:
        refund = refunds.refund_create(participant=participant, request=mappers.refund_request_from_pb(request))
        return _refund_response(refund)

    @rpc
    def GetRefund(self, request: pb.RefundIdRequest, context, participant: str) -> pb.RefundResponse:
        refund_id = uuid_field(request.refund_id, "refund_id")
        return _refund_response(refunds.refund_get(participant=participant, refund_id=refund_id))

    @rpc
    def ListRefunds(self, request: pb.ListRefundsRequest, context, participant: str) -> pb.ListRefundsResponse:
        modified_after, modified_before = mappers.window_from_pb(request)
        page = refunds.refund_list(
            participant=participant,
            role=request.participant_role,
            statuses=tuple(request.status),
            modified_after=modified_after,
            modified_before=modified_before,
            limit=request.limit or listing.LIST_DEFAULT,
        )
        return pb.ListRefundsResponse(
            refunds=[mappers.refund_to_pb(refund) for refund in page.refunds], has_more_elements=page.has_more
        )

    @rpc
    def CancelRefund(self, request: pb.RefundIdRequest, context, participant: str) -> pb.RefundResponse:
        refund_id = uuid_field(request.refund_id, "refund_id")
        return _refund_response(refunds.refund_cancel(participant=participant, refund_id=refund_id))

    @rpc
    def CloseRefund(self, request: pb.CloseRefundRequest, context, participant: str) -> pb.RefundResponse:
        refund = refunds.refund_close(
            participant=participant,
            refund_id=uuid_field(request.refund_id, "refund_id"),
            close=mappers.refund_close_from_pb(request),
        )
        return _refund_response(refund)
