"""REST views for lookups: parse, call a service, render. No rules live here."""

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.authentication import HolderJWTAuthentication
from common.openapi import refusals
from common.throttling import counted_on_refusal
from lookup import services
from lookup.serializers import LookupQueryIn, LookupStatisticsOut, PaymentIn, PaymentOut, customer_answer


class LookupApi(APIView):
    # The token's user id only; the user is checked, and the per-client limit counted, in the lookup's
    # one Redis call (lookup.store), on the same counter as ClientRateThrottle.
    throttle_classes: list = []

    def get_authenticators(self) -> list:
        return [HolderJWTAuthentication(token_only=True)]

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
        responses={200: LookupStatisticsOut, **refusals(400, 403, 404, 429)},  # 429: counted in the lookup itself
    )
    def get(self, request: Request, key: str) -> Response:
        with counted_on_refusal(request.user.pk):  # counted on the per-client limit as any call
            query = LookupQueryIn.parse(request.query_params)
        answer = services.lookup_key(user=request.user, key=key, **query)
        body = LookupStatisticsOut(answer).data if query["include_statistics"] else customer_answer(answer)
        return Response(body, headers={"Cache-Control": "no-store"})


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
