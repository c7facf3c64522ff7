"""REST views for portabilities: start, confirm and cancel; listing and status are the claims' views."""

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from claims import selectors
from claims.api import ACT_RESPONSES, created
from claims.serializers import ClaimOut, OtpIn, PortabilityIn
from common.openapi import refusals
from portability import services


def _shown(request: Request, claim_id) -> Response:
    return Response(ClaimOut(selectors.claim_get(user=request.user, claim_id=claim_id)).data)


class PortabilityCreateApi(APIView):
    @extend_schema(
        summary="Bring the caller's own key from another PSP to one of their accounts",
        request=PortabilityIn,
        responses={201: ClaimOut, **refusals(403, 404, 409, 422)},
    )
    def post(self, request: Request) -> Response:
        data = PortabilityIn(data=request.data)
        data.is_valid(raise_exception=True)
        claim, replayed = services.portability_start(user=request.user, **data.validated_data)
        return created(claim, replayed, request)


class PortabilityConfirmApi(APIView):
    @extend_schema(
        summary="Let the caller's key go to the other PSP (needs a TOTP code)", request=OtpIn, responses=ACT_RESPONSES
    )
    def post(self, request: Request, claim_id) -> Response:
        data = OtpIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.portability_confirm(user=request.user, claim_id=claim_id, otp=data.validated_data["otp"])
        return _shown(request, claim_id)


class PortabilityCancelApi(APIView):
    @extend_schema(
        summary="Refuse or withdraw a portability (needs a TOTP code)", request=OtpIn, responses=ACT_RESPONSES
    )
    def post(self, request: Request, claim_id) -> Response:
        data = OtpIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.portability_cancel(user=request.user, claim_id=claim_id, otp=data.validated_data["otp"])
        return _shown(request, claim_id)
