"""REST views for claims (ownership start, lists, status, respond, cancel): parse, call, render."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from claims import selectors, services
from claims.serializers import CancelIn, ClaimOut, CompleteIn, OwnershipClaimIn, RespondIn
from common.openapi import refusals
from common.pagination import DeadlineFirstCursorPagination, NewestFirstCursorPagination
from dict_rules.claims import ClaimStatus, ClaimType, Role

LIST_PARAMETERS = [
    OpenApiParameter("type", OpenApiTypes.STR, enum=list(ClaimType)),
    OpenApiParameter("status", OpenApiTypes.STR, enum=list(ClaimStatus)),
]
# A claim's answers need the caller's second factor (403) and DICT's lifecycle to allow them (409, 422).
ACT_RESPONSES = {200: ClaimOut, **refusals(403, 409, 422)}


def created(claim, replayed: bool, request: Request) -> Response:
    """201 with the claim as the caller sees it; a replay says so in a header."""
    claim = selectors.claim_get(user=request.user, claim_id=claim.pk)
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return Response(ClaimOut(claim).data, status=status.HTTP_201_CREATED, headers=headers)


class OwnershipClaimCreateApi(APIView):
    @extend_schema(
        summary="Claim ownership of another person's phone key for one of the caller's accounts",
        request=OwnershipClaimIn,
        responses={201: ClaimOut, **refusals(403, 404, 409, 422)},
    )
    def post(self, request: Request) -> Response:
        data = OwnershipClaimIn(data=request.data)
        data.is_valid(raise_exception=True)
        claim, replayed = services.ownership_claim_start(user=request.user, **data.validated_data)
        return created(claim, replayed, request)


class _ClaimListApi(APIView):
    role: Role
    pagination_class: type[CursorPagination]

    def get(self, request: Request) -> Response:
        qs = selectors.claim_list(
            user=request.user,
            role=self.role,
            claim_type=request.query_params.get("type"),
            status=request.query_params.get("status"),
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(ClaimOut(page, many=True).data)


class IncomingClaimListApi(_ClaimListApi):
    role = Role.DONOR
    pagination_class = DeadlineFirstCursorPagination

    @extend_schema(
        summary="Claims on the caller's keys, most urgent first",
        parameters=LIST_PARAMETERS,
        responses=ClaimOut(many=True),
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class OutgoingClaimListApi(_ClaimListApi):
    role = Role.CLAIMER
    pagination_class = NewestFirstCursorPagination

    @extend_schema(
        summary="Claims the caller made, newest first", parameters=LIST_PARAMETERS, responses=ClaimOut(many=True)
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class ClaimDetailApi(APIView):
    @extend_schema(summary="One claim: status, role, DICT's periods and the time left", responses=ClaimOut)
    def get(self, request: Request, claim_id) -> Response:
        return Response(ClaimOut(selectors.claim_get(user=request.user, claim_id=claim_id)).data)


class ClaimRespondApi(APIView):
    @extend_schema(
        summary="Accept or reject a claim on the caller's key (needs a TOTP code)",
        request=RespondIn,
        responses=ACT_RESPONSES,
    )
    def post(self, request: Request, claim_id) -> Response:
        data = RespondIn(data=request.data)
        data.is_valid(raise_exception=True)
        accept = data.validated_data["decision"] == "accept"
        proof = data.validated_data["possession_challenge_id"]
        otp = data.validated_data["otp"]
        services.claim_respond(
            user=request.user, claim_id=claim_id, accept=accept, otp=otp, possession_challenge_id=proof
        )
        return Response(ClaimOut(selectors.claim_get(user=request.user, claim_id=claim_id)).data)


class ClaimCompleteApi(APIView):
    @extend_schema(
        summary="Complete the caller's ownership claim with its proof of possession of the phone",
        request=CompleteIn,
        responses={200: ClaimOut, **refusals(404, 409, 422)},
    )
    def post(self, request: Request, claim_id) -> Response:
        data = CompleteIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.claim_complete(user=request.user, claim_id=claim_id, **data.validated_data)
        return Response(ClaimOut(selectors.claim_get(user=request.user, claim_id=claim_id)).data)


class ClaimCancelApi(APIView):
    @extend_schema(summary="Cancel a claim (needs a TOTP code)", request=CancelIn, responses=ACT_RESPONSES)
    def post(self, request: Request, claim_id) -> Response:
        data = CancelIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.claim_cancel(user=request.user, claim_id=claim_id, **data.validated_data)
        return Response(ClaimOut(selectors.claim_get(user=request.user, claim_id=claim_id)).data)
