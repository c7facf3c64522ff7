"""MED's CoreDictService methods (infraction reports, refunds, fraud markers) and their mappers.

Each method parses the request, calls the same service or selector as REST and answers with the row
as stored; DICT's enum values are strings on both edges, checked by the domain, so both refuse alike.
Every answer carrying rows records them in the PII audit trail first (services.pii_shown_record), as REST.
UpdateInfractionReport is partial: an empty string is a field not sent (proto3 cannot tell them apart).
"""

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from common.admin_helpers import PiiScreen
from common.grpc_fields import present, resource_id_from_pb
from common.grpc_pages import Keyset
from common.grpc_service import rpc
from common.pagination import NewestFirstCursorPagination
from common.pb_util import to_timestamp, uuid_field
from med import selectors, services
from med.domain import MARKER_NOT_FOUND, REFUND_NOT_FOUND, REPORT_NOT_FOUND
from med.models import FraudMarker, InfractionReport, Refund
from protos.dict.core.v1 import core_dict_pb2 as pb

REPORTS = Keyset("med-reports", NewestFirstCursorPagination)
REFUNDS = Keyset("med-refunds", NewestFirstCursorPagination)
MARKERS = Keyset("med-markers", NewestFirstCursorPagination)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _common(row: InfractionReport | Refund | FraudMarker) -> dict[str, Any]:
    return {
        "id": str(row.pk),
        "dict_id": _text(row.dict_id),
        "status": row.status,
        "request_id": _text(row.request_id),
        "failure_code": row.failure_code,
        "intent": row.intent,
        "dict_created_at": to_timestamp(row.dict_created_at),
        "last_modified": to_timestamp(row.last_modified),
        "created_at": to_timestamp(row.created_at),
    }


def report_to_pb(row: InfractionReport) -> pb.InfractionReport:
    return pb.InfractionReport(
        **present(
            **_common(row),
            role=row.role,
            transaction_id=row.transaction_id,
            reason=row.reason,
            situation_type=row.situation_type,
            contact_email=row.contact_email,
            contact_phone=row.contact_phone,
            report_details=row.report_details,
            reporter_participant=row.reporter_participant,
            counterparty_participant=row.counterparty_participant,
            analysis_result=row.analysis_result,
            analysis_details=row.analysis_details,
            fraud_type=row.fraud_type,
            fraud_marker_dict_id=_text(row.fraud_marker_dict_id),
            closed_at=to_timestamp(row.closed_at),
            analysis_deadline=to_timestamp(row.analysis_deadline),
            refund_deadline=to_timestamp(row.refund_deadline),
        )
    )


def refund_to_pb(row: Refund) -> pb.Refund:
    return pb.Refund(
        **present(
            **_common(row),
            role=row.role,
            transaction_id=row.transaction_id,
            reason=row.reason,
            amount=str(row.amount),
            details=row.details,
            infraction_report_id=_text(row.infraction_report_id),
            infraction_report_dict_id=_text(row.infraction_report_dict_id),
            requesting_participant=row.requesting_participant,
            contested_participant=row.contested_participant,
            analysis_result=row.analysis_result,
            analysis_details=row.analysis_details,
            rejection_reason=row.rejection_reason,
            refund_transaction_id=row.refund_transaction_id,
        )
    )


def marker_to_pb(row: FraudMarker) -> pb.FraudMarker:
    return pb.FraudMarker(**present(**_common(row), tax_id=row.tax_id, key=row.key, fraud_type=row.fraud_type))


def _shown(user: AbstractBaseUser, to_pb: Callable[[Any], Any], row: Any) -> Any:
    """The row as the answer, its sight recorded in the PII audit trail first."""
    services.pii_shown_record(user=user, rows=[row], screen=PiiScreen.GRPC)
    return to_pb(row)


def _page(
    user: AbstractBaseUser, qs: Any, request: pb.ListMedRequest, keyset: Keyset, to_pb: Callable[[Any], Any]
) -> tuple[list, str]:
    rows, token = keyset.page(qs, request.page_size, request.page_token)
    services.pii_shown_record(user=user, rows=rows, screen=PiiScreen.GRPC)
    return [to_pb(row) for row in rows], token


class MedMethods:
    # --- infraction reports ---

    @rpc
    def OpenInfractionReport(
        self, request: pb.OpenInfractionReportRequest, user: AbstractBaseUser
    ) -> pb.OpenInfractionReportResponse:
        row, replayed = services.report_open(
            user=user,
            transaction_id=request.transaction_id,
            situation_type=request.situation_type,
            email=request.email,
            phone=request.phone,
            report_details=request.report_details,
            request_id=uuid_field(request.request_id, "request_id"),
        )
        return pb.OpenInfractionReportResponse(report=_shown(user, report_to_pb, row), replayed=replayed)

    @rpc
    def GetInfractionReport(self, request: pb.MedIdRequest, user: AbstractBaseUser) -> pb.InfractionReport:
        report_id = resource_id_from_pb(request.id, REPORT_NOT_FOUND)
        return _shown(user, report_to_pb, selectors.report_get(user=user, report_id=report_id))

    @rpc
    def ListInfractionReports(
        self, request: pb.ListMedRequest, user: AbstractBaseUser
    ) -> pb.ListInfractionReportsResponse:
        qs = selectors.report_list(user=user, role=request.role, status=request.status)
        reports, token = _page(user, qs, request, REPORTS, report_to_pb)
        return pb.ListInfractionReportsResponse(reports=reports, next_page_token=token)

    @rpc
    def UpdateInfractionReport(
        self, request: pb.UpdateInfractionReportRequest, user: AbstractBaseUser
    ) -> pb.InfractionReport:
        row = services.report_update(
            user=user,
            report_id=resource_id_from_pb(request.id, REPORT_NOT_FOUND),
            situation_type=request.situation_type,
            email=request.email,
            phone=request.phone,
            report_details=request.report_details,
        )
        return _shown(user, report_to_pb, row)

    @rpc
    def CancelInfractionReport(self, request: pb.MedIdRequest, user: AbstractBaseUser) -> pb.InfractionReport:
        report_id = resource_id_from_pb(request.id, REPORT_NOT_FOUND)
        return _shown(user, report_to_pb, services.report_cancel(user=user, report_id=report_id))

    @rpc
    def AcknowledgeInfractionReport(self, request: pb.MedIdRequest, user: AbstractBaseUser) -> pb.InfractionReport:
        report_id = resource_id_from_pb(request.id, REPORT_NOT_FOUND)
        return _shown(user, report_to_pb, services.report_acknowledge(user=user, report_id=report_id))

    @rpc
    def CloseInfractionReport(
        self, request: pb.CloseInfractionReportRequest, user: AbstractBaseUser
    ) -> pb.InfractionReport:
        row = services.report_close(
            user=user,
            report_id=resource_id_from_pb(request.id, REPORT_NOT_FOUND),
            analysis_result=request.analysis_result,
            fraud_type=request.fraud_type,
            analysis_details=request.analysis_details,
        )
        return _shown(user, report_to_pb, row)

    # --- refunds ---

    @rpc
    def RequestRefund(self, request: pb.RequestRefundRequest, user: AbstractBaseUser) -> pb.RequestRefundResponse:
        row, replayed = services.refund_request(
            user=user,
            transaction_id=request.transaction_id,
            reason=request.reason,
            amount=request.amount,
            details=request.details,
            request_id=uuid_field(request.request_id, "request_id"),
        )
        return pb.RequestRefundResponse(refund=_shown(user, refund_to_pb, row), replayed=replayed)

    @rpc
    def GetRefund(self, request: pb.MedIdRequest, user: AbstractBaseUser) -> pb.Refund:
        refund_id = resource_id_from_pb(request.id, REFUND_NOT_FOUND)
        return _shown(user, refund_to_pb, selectors.refund_get(user=user, refund_id=refund_id))

    @rpc
    def ListRefunds(self, request: pb.ListMedRequest, user: AbstractBaseUser) -> pb.ListRefundsResponse:
        qs = selectors.refund_list(user=user, role=request.role, status=request.status)
        refunds, token = _page(user, qs, request, REFUNDS, refund_to_pb)
        return pb.ListRefundsResponse(refunds=refunds, next_page_token=token)

    @rpc
    def CancelRefund(self, request: pb.MedIdRequest, user: AbstractBaseUser) -> pb.Refund:
        refund_id = resource_id_from_pb(request.id, REFUND_NOT_FOUND)
        return _shown(user, refund_to_pb, services.refund_cancel(user=user, refund_id=refund_id))

    @rpc
    def CloseRefund(self, request: pb.CloseRefundRequest, user: AbstractBaseUser) -> pb.Refund:
        row = services.refund_close(
            user=user,
            refund_id=resource_id_from_pb(request.id, REFUND_NOT_FOUND),
            result=request.result,
            refund_transaction_id=request.refund_transaction_id,
            rejection_reason=request.rejection_reason,
            details=request.details,
        )
        return _shown(user, refund_to_pb, row)

    # --- fraud markers ---

    @rpc
    def CreateFraudMarker(
        self, request: pb.CreateFraudMarkerRequest, user: AbstractBaseUser
    ) -> pb.CreateFraudMarkerResponse:
        row, replayed = services.marker_create(
            user=user,
            tax_id=request.tax_id,
            key=request.key,
            fraud_type=request.fraud_type,
            request_id=uuid_field(request.request_id, "request_id"),
        )
        return pb.CreateFraudMarkerResponse(marker=_shown(user, marker_to_pb, row), replayed=replayed)

    @rpc
    def GetFraudMarker(self, request: pb.MedIdRequest, user: AbstractBaseUser) -> pb.FraudMarker:
        marker_id = resource_id_from_pb(request.id, MARKER_NOT_FOUND)
        return _shown(user, marker_to_pb, selectors.marker_get(user=user, marker_id=marker_id))

    @rpc
    def ListFraudMarkers(self, request: pb.ListMedRequest, user: AbstractBaseUser) -> pb.ListFraudMarkersResponse:
        qs = selectors.marker_list(user=user, role=request.role, status=request.status)
        markers, token = _page(user, qs, request, MARKERS, marker_to_pb)
        return pb.ListFraudMarkersResponse(markers=markers, next_page_token=token)

    @rpc
    def CancelFraudMarker(self, request: pb.MedIdRequest, user: AbstractBaseUser) -> pb.FraudMarker:
        marker_id = resource_id_from_pb(request.id, MARKER_NOT_FOUND)
        return _shown(user, marker_to_pb, services.marker_cancel(user=user, marker_id=marker_id))
