"""REST views of MED under /api/v1/med/ (the fraud team's: med.manage_infractions): parse, call, render.

Lists are keyset pages, newest first; creates answer 201 (a replay of the request id says so in the
``Idempotent-Replayed`` header, as claims do); actions are POST sub-resources answering the row as stored.
Every answer carrying rows records them in the PII audit trail (services.pii_shown_record) before rendering.
"""

from collections.abc import Callable
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.admin_helpers import PiiScreen
from common.openapi import refusals
from common.pagination import NewestFirstCursorPagination
from med import selectors, services
from med.serializers import (
    MarkerCreateIn,
    MarkerOut,
    RefundCloseIn,
    RefundOut,
    RefundRequestIn,
    ReportCloseIn,
    ReportOpenIn,
    ReportOut,
    ReportUpdateIn,
)

FILTERS = [OpenApiParameter("role", OpenApiTypes.STR), OpenApiParameter("status", OpenApiTypes.STR)]
# Every MED operation is the fraud team's (403 for anyone else); DICT's refusals are 400, 404, 409, 422.
ACT_RESPONSES = refusals(400, 403, 404, 409, 422)


def _parsed(serializer: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    data = serializer(data=request.data)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


def _shown(request: Request, out: type[serializers.Serializer], row: Any) -> dict[str, Any]:
    """The row as the answer's body, its sight recorded in the PII audit trail first."""
    services.pii_shown_record(user=request.user, rows=[row], screen=PiiScreen.REST)
    return out(row).data


def _created(request: Request, out: type[serializers.Serializer], row: Any, replayed: bool) -> Response:
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return Response(_shown(request, out, row), status=status.HTTP_201_CREATED, headers=headers)


def _page(request: Request, view: APIView, qs: Any, out: type[serializers.Serializer]) -> Response:
    paginator = view.pagination_class()
    page = paginator.paginate_queryset(qs, request, view=view)
    services.pii_shown_record(user=request.user, rows=page, screen=PiiScreen.REST)
    return paginator.get_paginated_response(out(page, many=True).data)


class ReportListApi(APIView):
    pagination_class = NewestFirstCursorPagination

    @extend_schema(
        summary="Infraction reports we are party to, newest first",
        parameters=FILTERS,
        responses={200: ReportOut(many=True), **refusals(403)},
    )
    def get(self, request: Request) -> Response:
        qs = selectors.report_list(user=request.user, **{f: request.query_params.get(f) for f in ("role", "status")})
        return _page(request, self, qs, ReportOut)

    @extend_schema(
        summary="Report a transaction our customer paid (REFUND_REQUEST), as the payer's PSP",
        request=ReportOpenIn,
        responses={201: ReportOut, **ACT_RESPONSES},
    )
    def post(self, request: Request) -> Response:
        row, replayed = services.report_open(user=request.user, **_parsed(ReportOpenIn, request))
        return _created(request, ReportOut, row, replayed)


class ReportDetailApi(APIView):
    @extend_schema(summary="One infraction report", responses={200: ReportOut, **refusals(403, 404)})
    def get(self, request: Request, report_id) -> Response:
        return Response(_shown(request, ReportOut, selectors.report_get(user=request.user, report_id=report_id)))


def _report_action(summary: str, body: type[serializers.Serializer] | None, act: Callable[..., Any]) -> type[APIView]:
    """A POST sub-resource of a report: ``act(user=, report_id=, **body)``, answered with the report."""

    class Action(APIView):
        @extend_schema(summary=summary, request=body, responses={200: ReportOut, **ACT_RESPONSES})
        def post(self, request: Request, report_id) -> Response:
            args = _parsed(body, request) if body else {}
            return Response(_shown(request, ReportOut, act(user=request.user, report_id=report_id, **args)))

    return Action


ReportUpdateApi = _report_action(
    "Correct our report's situation, contact or details: the fields sent (at least one; empty is not sent)",
    ReportUpdateIn,
    services.report_update,
)
ReportCancelApi = _report_action("Withdraw our report (closed or not)", None, services.report_cancel)
ReportAcknowledgeApi = _report_action("Acknowledge a report on our customer", None, services.report_acknowledge)
ReportCloseApi = _report_action(
    "Close a report on our customer: AGREED (with fraud_type) or DISAGREED", ReportCloseIn, services.report_close
)


class RefundListApi(APIView):
    pagination_class = NewestFirstCursorPagination

    @extend_schema(
        summary="Refunds we are party to, newest first",
        parameters=FILTERS,
        responses={200: RefundOut(many=True), **refusals(403)},
    )
    def get(self, request: Request) -> Response:
        qs = selectors.refund_list(user=request.user, **{f: request.query_params.get(f) for f in ("role", "status")})
        return _page(request, self, qs, RefundOut)

    @extend_schema(
        summary="Ask the receiver's PSP for our customer's money back (FRAUD or OPERATIONAL_FLAW)",
        request=RefundRequestIn,
        responses={201: RefundOut, **ACT_RESPONSES},
    )
    def post(self, request: Request) -> Response:
        row, replayed = services.refund_request(user=request.user, **_parsed(RefundRequestIn, request))
        return _created(request, RefundOut, row, replayed)


class RefundDetailApi(APIView):
    @extend_schema(summary="One refund", responses={200: RefundOut, **refusals(403, 404)})
    def get(self, request: Request, refund_id) -> Response:
        return Response(_shown(request, RefundOut, selectors.refund_get(user=request.user, refund_id=refund_id)))


class RefundCancelApi(APIView):
    @extend_schema(summary="Withdraw our OPEN refund", request=None, responses={200: RefundOut, **ACT_RESPONSES})
    def post(self, request: Request, refund_id) -> Response:
        return Response(_shown(request, RefundOut, services.refund_cancel(user=request.user, refund_id=refund_id)))


class RefundCloseApi(APIView):
    @extend_schema(
        summary="Answer a refund asked of us: accepted (with the refund's transaction) or rejected",
        request=RefundCloseIn,
        responses={200: RefundOut, **ACT_RESPONSES},
    )
    def post(self, request: Request, refund_id) -> Response:
        row = services.refund_close(user=request.user, refund_id=refund_id, **_parsed(RefundCloseIn, request))
        return Response(_shown(request, RefundOut, row))


class MarkerListApi(APIView):
    pagination_class = NewestFirstCursorPagination

    @extend_schema(
        summary="Fraud markers we created, newest first",
        parameters=[OpenApiParameter("status", OpenApiTypes.STR)],
        responses={200: MarkerOut(many=True), **refusals(403)},
    )
    def get(self, request: Request) -> Response:
        return _page(
            request,
            self,
            selectors.marker_list(user=request.user, status=request.query_params.get("status")),
            MarkerOut,
        )

    @extend_schema(
        summary="Mark one of our customers (tax id, and a key of theirs when known) at DICT",
        request=MarkerCreateIn,
        responses={201: MarkerOut, **ACT_RESPONSES},
    )
    def post(self, request: Request) -> Response:
        row, replayed = services.marker_create(user=request.user, **_parsed(MarkerCreateIn, request))
        return _created(request, MarkerOut, row, replayed)


class MarkerDetailApi(APIView):
    @extend_schema(summary="One fraud marker", responses={200: MarkerOut, **refusals(403, 404)})
    def get(self, request: Request, marker_id) -> Response:
        return Response(_shown(request, MarkerOut, selectors.marker_get(user=request.user, marker_id=marker_id)))


class MarkerCancelApi(APIView):
    @extend_schema(
        summary="Withdraw a fraud marker we created", request=None, responses={200: MarkerOut, **ACT_RESPONSES}
    )
    def post(self, request: Request, marker_id) -> Response:
        return Response(_shown(request, MarkerOut, services.marker_cancel(user=request.user, marker_id=marker_id)))
