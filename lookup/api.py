"""REST views for lookups: parse, call a service, render. No rules live here."""

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.openapi import refusals
from lookup import services
from lookup.serializers import LookupOut, LookupQueryIn, LookupStatisticsOut, PaymentIn, PaymentOut


class LookupApi(APIView):
    @extend_schema(
        summary="Resolve a PIX key before paying it",
        description="Answers the receiver's name, trade name, masked tax id and participant, with the "
        "EndToEndId the payment must carry. A key that does not exist costs 20 lookup tokens; an "
        "exhausted budget is 429 RateLimited with Retry-After. The PSP's risk engine may add "
        "include_statistics=true and payer_account_id (one of our open accounts) to get DICT's anti-fraud "
        "statistics too; a customer's answer never has the statistics fields (absent, not null). That lookup "
        "is the paying customer's own: charged to the customer's and the PSP's lookup budgets as any "
        "lookup and counted in the customer's lookups per payment, a ratio DICT watches for scanning. So a "
        "risk engine makes it INSTEAD of the payment's lookup, never in addition, and the payment carries "
        "its EndToEndId.",
        parameters=[LookupQueryIn],
        # One superset shape on purpose: a oneOf of LookupOut and LookupStatisticsOut (drf-spectacular's
        # only polymorphism) is wrong here, since every answer matches both; the statistics fields are optional.
        responses={200: LookupStatisticsOut, **refusals(400, 403, 404)},
    )
    def get(self, request: Request, key: str) -> Response:
        query = LookupQueryIn.from_query(request.query_params)
        query.is_valid(raise_exception=True)
        answer = services.lookup_key(user=request.user, key=key, **query.validated_data)
        shape = LookupStatisticsOut if query.validated_data["include_statistics"] else LookupOut
        return Response(shape(answer).data, headers={"Cache-Control": "no-store"})


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
