"""Input and output shapes for lookups. The output holds only what DICT lets a payer see."""

from rest_framework import serializers

from common.strict_input import StrictSerializer


class LookupOut(serializers.Serializer):
    key = serializers.CharField()
    key_type = serializers.CharField()
    person_type = serializers.CharField()
    name = serializers.CharField()
    trade_name = serializers.CharField(allow_null=True, help_text="Legal persons only; null otherwise.")
    tax_id = serializers.CharField(help_text="A CPF masked (***.456.789-**), a CNPJ in full.")
    ispb = serializers.CharField(help_text="The receiving participant.")
    end_to_end_id = serializers.CharField(help_text="The EndToEndId the payment order must carry.")


class PaymentIn(StrictSerializer):
    end_to_end_id = serializers.CharField()


class PaymentOut(serializers.Serializer):
    credited = serializers.BooleanField()
    end_to_end_id = serializers.CharField()
