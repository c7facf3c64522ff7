"""REST views for possession challenges: parse, call a service, render."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.openapi import refusals
from possession import selectors, services
from possession.serializers import ChallengeConfirmIn, ChallengeOut, ChallengeStartIn


class ChallengeStartApi(APIView):
    @extend_schema(
        summary="Send a verification code to a phone or e-mail, to prove possession before registering it",
        description="The code expires in 10 minutes and takes 5 attempts; at most 3 codes per key and 10 in all "
        "per hour. Confirm it, then name the challenge as possession_challenge_id when creating the key "
        "(or completing an ownership claim).",
        request=ChallengeStartIn,
        responses={201: ChallengeOut, **refusals(404)},
    )
    def post(self, request: Request) -> Response:
        data = ChallengeStartIn(data=request.data)
        data.is_valid(raise_exception=True)
        challenge = services.challenge_start(user=request.user, **data.validated_data)
        return Response(ChallengeOut(challenge).data, status=status.HTTP_201_CREATED)


class ChallengeConfirmApi(APIView):
    @extend_schema(
        summary="Confirm a possession challenge with the code that was sent",
        request=ChallengeConfirmIn,
        responses={200: ChallengeOut, **refusals(403, 404, 409)},
    )
    def post(self, request: Request, challenge_id) -> Response:
        data = ChallengeConfirmIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.challenge_confirm(user=request.user, challenge_id=challenge_id, **data.validated_data)
        return Response(ChallengeOut(selectors.challenge_get(user=request.user, challenge_id=challenge_id)).data)
