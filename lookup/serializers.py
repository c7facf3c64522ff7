"""Input and output shapes for lookups. A customer's answer holds only what DICT lets a payer see;
DICT's statistics are added only for a risk engine that asked for them (lookup.services)."""

from rest_framework import serializers

from common.strict_input import StrictSerializer
from lookup.domain import StatisticsAbsent


class LookupQueryIn(StrictSerializer):
    """The lookup's query parameters; any other parameter is ignored, as it always was."""

    include_statistics = serializers.BooleanField(
        default=False,
        help_text="DICT's anti-fraud statistics with the answer: for the PSP's risk engine only "
        "(lookup.view_statistics, and no customer); anyone else asking is 403.",
    )
    payer_account_id = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text="The paying account, one of our open ones (its holder is DICT's PayerId); only with "
        "include_statistics=true, risk engines only. The lookup is that customer's own: charged to their "
        "lookup budget and the PSP's, counted in their lookups per payment. Make it instead of the "
        "payment's lookup, not in addition, and send the payment with its end_to_end_id.",
    )

    @classmethod
    def parse(cls, query: dict) -> dict:
        """The declared parameters, validated; a client's unrelated parameters never change its answer.

        A customer's lookup sends none: it gets the defaults without a serializer built per call (the hot path).
        """
        given = {name: query[name] for name in _QUERY_FIELDS if name in query}
        if not given:
            return {"include_statistics": False}
        parsed = cls(data=given)
        parsed.is_valid(raise_exception=True)
        return parsed.validated_data


class LookupOut(serializers.Serializer):
    key = serializers.CharField()
    key_type = serializers.CharField()
    person_type = serializers.CharField()
    name = serializers.CharField()
    trade_name = serializers.CharField(allow_null=True, help_text="Legal persons only; null otherwise.")
    tax_id = serializers.CharField(help_text="A CPF masked (***.456.789-**), a CNPJ in full.")
    ispb = serializers.CharField(help_text="The receiving participant.")
    end_to_end_id = serializers.CharField(help_text="The EndToEndId the payment order must carry.")


_QUERY_FIELDS = tuple(LookupQueryIn().fields)
_CUSTOMER_FIELDS = tuple(LookupOut().fields)


def customer_answer(answer) -> dict:
    """LookupOut's rendering of a customer's answer (every field a string or null), without a serializer
    built per call: the hot path. tests/test_lookup.py holds it to LookupOut's own output."""
    return {name: getattr(answer, name) for name in _CUSTOMER_FIELDS}


class WindowedValueOut(serializers.Serializer):
    d90 = serializers.IntegerField(help_text="The last 89 days and today.")
    m12 = serializers.IntegerField(help_text="The last 12 full months.")
    m60 = serializers.IntegerField(help_text="The last 60 full months.")


class StatisticsOut(serializers.Serializer):
    """DICT's KeyStatistics or PersonStatistics, as DICT computed them (at most 12 h behind the watermark)."""

    watermark = serializers.DateTimeField()
    settlements = WindowedValueOut(help_text="Settled payments received.")
    application_frauds = WindowedValueOut()
    mule_accounts = WindowedValueOut()
    scammer_accounts = WindowedValueOut()
    other_frauds = WindowedValueOut()
    unknown_frauds = WindowedValueOut()
    total_fraud_transaction_amount = WindowedValueOut(help_text="In whole reais.")
    distinct_fraud_reporters = WindowedValueOut()
    open_reports = serializers.IntegerField()
    open_reports_distinct_reporters = serializers.IntegerField()
    rejected_reports = WindowedValueOut()
    accounts = WindowedValueOut(help_text="DistinctAccounts for the key, RegisteredAccounts for the owner.")


class EntryStatisticsOut(serializers.Serializer):
    key = StatisticsOut()
    owner = StatisticsOut()


class LookupStatisticsOut(LookupOut):
    """A risk engine's answer (include_statistics=true): the payer's view, then the statistics or why none."""

    statistics = EntryStatisticsOut(
        allow_null=True, required=False, help_text="Only with include_statistics=true; null when DICT was not asked."
    )
    statistics_absent_reason = serializers.ChoiceField(
        choices=[reason.value for reason in StatisticsAbsent],
        allow_null=True,
        required=False,
        help_text="Only with include_statistics=true: BOOK_TRANSFER for our own key, answered here (DICT refuses "
        "lookups of a participant's own keys, so it has no statistics to give); null when statistics are present.",
    )


class PaymentIn(StrictSerializer):
    end_to_end_id = serializers.CharField()


class PaymentOut(serializers.Serializer):
    credited = serializers.BooleanField()
    end_to_end_id = serializers.CharField()
