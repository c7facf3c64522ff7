"""REST views for the second factor: enrol a TOTP app and confirm it with a first code."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import second_factor
from common.openapi import refusals


class EnrolIn(serializers.Serializer):
    otp = serializers.RegexField(
        second_factor.OTP_PATTERN, required=False, help_text="Needed to replace a confirmed device."
    )


class ConfirmIn(serializers.Serializer):
    otp = serializers.RegexField(second_factor.OTP_PATTERN)


class TotpEnrolApi(APIView):
    @extend_schema(
        summary="Start enrolling an authenticator app",
        request=EnrolIn,
        responses={201: inline_serializer("TotpEnrolment", {"config_url": serializers.CharField()}), **refusals(403)},
    )
    def post(self, request: Request) -> Response:
        data = EnrolIn(data=request.data)
        data.is_valid(raise_exception=True)
        url = second_factor.totp_enrol(user=request.user, otp=data.validated_data.get("otp"))
        return Response({"config_url": url}, status=status.HTTP_201_CREATED)


class TotpConfirmApi(APIView):
    @extend_schema(
        summary="Confirm the enrolled app with its first code",
        request=ConfirmIn,
        responses={204: None, **refusals(403)},
    )
    def post(self, request: Request) -> Response:
        data = ConfirmIn(data=request.data)
        data.is_valid(raise_exception=True)
        second_factor.totp_confirm(user=request.user, otp=data.validated_data["otp"])
        return Response(status=status.HTTP_204_NO_CONTENT)
