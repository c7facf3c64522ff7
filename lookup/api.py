"""REST views for lookups: parse, call a service, render. No rules live here."""

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.openapi import refusals
from lookup import services
from lookup.serializers import LookupOut, PaymentIn, PaymentOut


class LookupApi(APIView):
    @extend_schema(
        summary="Resolve a PIX key before paying it",
        description="Answers the receiver's name, trade name, masked tax id and participant, with the "
        "EndToEndId the payment must carry. A key that does not exist costs 20 lookup tokens; an "
        "exhausted budget is 429 RateLimited with Retry-After.",
        responses={200: LookupOut, **refusals(400, 403)},
    )
    def get(self, request: Request, key: str) -> Response:
        answer = services.lookup_key(user=request.user, key=key)
        return Response(LookupOut(answer).data, headers={"Cache-Control": "no-store"})


class PaymentCreditApi(APIView):
    @extend_schema(
        summary="Report the payment order sent for a lookup",
        description="Gives back lookup tokens, once per EndToEndId, as DICT does when a payment follows a lookup.",
        request=PaymentIn,
        responses={200: PaymentOut, **refusals(403, 404)},
    )
    def post(self, request: Request) -> Response:
        data = PaymentIn(data=request.data)
        data.is_valid(raise_exception=True)
        end_to_end_id = data.validated_data["end_to_end_id"]
        services.payment_credit(user=request.user, end_to_end_id=end_to_end_id)
        return Response(PaymentOut({"credited": True, "end_to_end_id": end_to_end_id}).data)
